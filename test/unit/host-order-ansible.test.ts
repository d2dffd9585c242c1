// The hosts a pattern selects and their order, with Ansible's InventoryManager as the judge: the
// order is the order hosts run in, serial batches are cut from, run_once picks the first of, and
// `web[0]` or `groups['web'][0]` index. Ansible keeps a pattern's terms in the order given, a
// group's hosts in its own order, then its children's (breadth first), and INI children in the
// order their sections appear.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { orderHosts } from '../../src/engine/play.js'
import { HOST_ORDERS } from '../../src/playbook/model.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { matchHosts } from '../../src/playbook/patterns.js'
import { hasAnsible } from '../helpers/ansible.js'

const INVENTORIES: Record<string, Record<string, string>> = {
  // children named before their sections, a host in two groups, hosts outside any section
  'ini, children pending': {
    hosts: `u1
[front:children]
db
web

[web]
w2
a1
w1

[db]
d1
a1
z0

[front]
f1

[back]
b1
u1
`,
  },
  // hosts under all:, children before hosts, a group under two parents
  'yaml, nested': {
    'hosts.yml': `all:
  children:
    front:
      children:
        web:
          hosts:
            w2:
            a1:
        db:
          hosts:
            d1:
            a1:
      hosts:
        f1:
    web:
      hosts:
        w1:
  hosts:
    y1:
    a1:
`,
  },
  // a directory of two sources: hosts and groups accumulate in file order
  'directory, two files': {
    '10-a.yml': `all:
  children:
    app:
      hosts:
        n3:
        n1:
`,
    '20-b': `[app]
n2
n1
[cache]
c1
n3
[app:children]
cache
`,
  },
}

const PATTERNS = [
  'all',
  '*',
  'ungrouped',
  'web',
  'db',
  'front',
  'back',
  'app',
  'cache',
  'db,web',
  'web:db',
  'z0,w2,all',
  'front:!w1',
  '!db',
  '&front',
  'db:&front',
  'all:&web:!a1',
  'w*',
  '*1',
  '~w',
  '~.1',
  '~[wd]',
  'front[0]',
  'front[1:3]',
  'front[-1]',
  'front[2:]',
  'w*[1]',
  'all[0]',
  'app[0]',
  'app[1:]',
  'cache,app',
  'n1,c1,n3',
]

function inventoryDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-host-order-'))
  mkdirSync(join(dir, 'inv'))
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'inv', f), text)
  return dir
}

// Ansible's own InventoryManager, as its strategies call it (`get_hosts(play.hosts)`): one process
// for every pattern. (ansible-playbook --list-hosts prints a set, in no order.)
const LIST_HOSTS = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
out = {}
for p in json.loads(sys.argv[2]):
    try:
        out[p] = [h.name for h in inv.get_hosts(p)]
    except Exception as e:
        out[p] = ['error']
for o in ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle']:
    out['order ' + o] = [h.name for h in inv.get_hosts('db,web', order=o)]
print(json.dumps(out))
`

/** The interpreter ansible-playbook runs on (its shebang), which has the ansible package. */
function ansiblePython(): string {
  const bin = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).stdout.trim()
  return /^#!\s*(\S+)/.exec(readFileSync(bin, 'utf8').split('\n')[0]!)![1]!
}

/** Per pattern, the hosts Ansible selects (in order), or 'error' for a pattern it rejects. */
function ansibleLists(dir: string, patterns: string[]): Map<string, string[]> {
  const r = spawnSync(ansiblePython(), ['-c', LIST_HOSTS, join(dir, 'inv'), JSON.stringify(patterns)], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
  })
  expect(r.status, r.stderr).to.equal(0)
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, string[]>))
}

function rmPlayLists(dir: string, patterns: string[]): Map<string, string[]> {
  const inv = loadInventory([join(dir, 'inv')])
  const out = new Map<string, string[]>()
  for (const p of patterns) {
    try {
      out.set(p, matchHosts(inv, p))
    } catch {
      out.set(p, ['error'])
    }
  }
  return out
}

describe("host order and patterns, compared with Ansible's InventoryManager", function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  for (const [name, files] of Object.entries(INVENTORIES)) {
    it(`${name}: every pattern selects the same hosts in the same order`, () => {
      const dir = inventoryDir(files)
      const want = ansibleLists(dir, PATTERNS)
      const got = rmPlayLists(dir, PATTERNS)
      const lines = (m: Map<string, string[]>) => PATTERNS.map((p) => `${p}: ${(m.get(p) ?? []).join(' ')}`)
      expect(lines(got)).to.deep.equal(lines(want))
      // the play keyword `order`, on a pattern's hosts; shuffle: the same hosts in some order
      for (const o of HOST_ORDERS) {
        const mine = orderHosts(got.get('db,web')!, o)
        const theirs = want.get(`order ${o}`)!
        if (o === 'shuffle') expect([...mine].sort()).to.deep.equal([...theirs].sort())
        else expect(mine, `order: ${o}`).to.deep.equal(theirs)
      }
    })
  }
})
