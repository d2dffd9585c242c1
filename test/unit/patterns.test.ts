import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadInventory } from '../../src/playbook/inventory.js'
import { matchHosts, unmatchedTerms } from '../../src/playbook/patterns.js'

const d = mkdtempSync(join(tmpdir(), 'rmp-pat-'))
writeFileSync(join(d, 'hosts'), '[web]\nweb1\nweb2\nweb3\n[db]\ndb1\nweb2\n[staging]\nweb3\ndb1\n')
const inv = loadInventory([join(d, 'hosts')])
const m = (p: string) => matchHosts(inv, p)

describe('host patterns (--limit and hosts:)', () => {
  const cases: [string, string[]][] = [
    ['all', ['web1', 'web2', 'web3', 'db1']],
    ['*', ['web1', 'web2', 'web3', 'db1']],
    ['web1', ['web1']],
    ['db', ['db1', 'web2']], // the group's own order (Ansible's), not the inventory's
    ['web*', ['web1', 'web2', 'web3']],
    ['~web[12]', ['web1', 'web2']],
    ['web:db', ['web1', 'web2', 'web3', 'db1']],
    ['web,db1', ['web1', 'web2', 'web3', 'db1']],
    ['web:&db', ['web2']],
    ['web:!staging', ['web1', 'web2']],
    ['all:!web', ['db1']],
    ['web[0]', ['web1']],
    ['web[-1]', ['web3']],
    ['web[0:1]', ['web1', 'web2']],
    ['localhost', ['localhost']],
    ['nosuch', []],
  ]
  for (const [p, want] of cases) it(`${p} → ${want.join(',') || '(none)'}`, () => expect(m(p)).to.deep.equal(want))
  it('names terms that match nothing', () => {
    expect(unmatchedTerms(inv, 'web:nosuch')).to.deep.equal(['nosuch'])
  })
})
