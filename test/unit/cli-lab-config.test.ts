import { expect } from 'chai'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/cli/config.js'
import { labCommand } from '../../src/cli/lab.js'
import { writeLabConfig } from '../../src/cli/lab-config.js'

describe('cli lab --write-config', () => {
  it('issue 9: writes an ansible.cfg that points at the lab inventory, read back as the -i default', () => {
    const d = mkdtempSync(join(tmpdir(), 'rmp-labcfg-'))
    chmodSync(d, 0o755)
    const r = writeLabConfig(d, 'lab', join(d, 'inventory', 'lab', 'hosts.yml'))
    expect(r.written).to.equal(true)
    expect(readFileSync(join(d, 'ansible.cfg'), 'utf8')).to.contain('inventory = inventory/lab/hosts.yml')
    const cfg = loadConfig({ env: {}, cwd: d, home: d })
    expect(cfg.settings.get('inventory')!.value).to.deep.equal([join(d, 'inventory', 'lab', 'hosts.yml')])
    // rewriting its own file is fine; an absolute path outside the project stays absolute
    expect(writeLabConfig(d, 'lab', '/var/lib/x/hosts.yml').written).to.equal(true)
    expect(readFileSync(join(d, 'ansible.cfg'), 'utf8')).to.contain('inventory = /var/lib/x/hosts.yml')
  })

  it("issue 9: never replaces the user's own ansible.cfg", () => {
    const d = mkdtempSync(join(tmpdir(), 'rmp-labcfg-'))
    writeFileSync(join(d, 'ansible.cfg'), '[defaults]\nforks = 3\n')
    const r = writeLabConfig(d, 'lab', join(d, 'inv', 'hosts.yml'))
    expect(r.written).to.equal(false)
    expect(r.message).to.contain("add 'inventory = inv/hosts.yml'")
    expect(readFileSync(join(d, 'ansible.cfg'), 'utf8')).to.equal('[defaults]\nforks = 3\n')
  })
})

describe('cli lab up --inventory', () => {
  it('a file name there is refused before any lab is made (it would become a directory of that name)', async () => {
    // a bad --init too, checked after --inventory: without the check, the command fails on --init
    // (the assertions below then fail) instead of making a lab
    const args = ['up', '--name', 'rmnever', '--init', 'none', '--inventory']
    const d = mkdtempSync(join(tmpdir(), 'rmp-labinv-'))
    const said: string[] = []
    const error = console.error
    console.error = (...a: unknown[]) => void said.push(a.join(' '))
    try {
      expect(await labCommand([...args, join(d, 'hosts.yml')])).to.equal(1)
      writeFileSync(join(d, 'inv'), 'all: {}\n')
      expect(await labCommand([...args, join(d, 'inv')])).to.equal(1)
    } finally {
      console.error = error
    }
    expect(said.join('\n')).to.match(/--inventory takes a directory .*hosts\.yml'/)
    expect(said.join('\n')).to.match(/--inventory takes a directory .*inv'/)
    expect(existsSync(join(d, 'hosts.yml'))).to.equal(false)
    expect(existsSync('/var/lib/rm-play/lab/rmnever')).to.equal(false)
  })
})
