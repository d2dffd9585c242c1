// `rm-play init` makes a project that runs against the lab at once, converges, and that Ansible
// itself then finds converged.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initCommand } from '../../src/cli/init.js'
import { main } from '../../src/cli/main.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

async function rmPlay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('cli init: a project that runs against the lab', function () {
  this.timeout(180000)
  let lab: TestLab
  let dir: string
  const cwd = process.cwd()

  before(async function () {
    lab = await testLab(2)
    for (const h of lab.names.slice(0, 2)) await sh(lab.inventory, h, 'rm -rf /srv/demo /etc/motd')
    dir = join(mkdtempSync(join(tmpdir(), 'rmp-init-')), 'demo')
  })

  after(async () => {
    process.chdir(cwd)
    await closeHostConnections()
  })

  it('issue 9: rm-play init DIR, then (the lab inventory in place) rm-play site.yml converges; a second run changes nothing', async function () {
    let out = ''
    expect(initCommand([dir], { out: (s) => (out += s), err: () => {} })).to.equal(0)
    expect(out).to.contain('created ansible.cfg').and.to.contain('created roles/app/tasks/main.yml')
    chmodSync(dir, 0o755)
    // what `rm-play lab up` run in the project writes
    mkdirSync(join(dir, 'inventory', 'lab'), { recursive: true })
    copyFileSync(lab.inventory, join(dir, 'inventory', 'lab', 'hosts.yml'))
    process.chdir(dir)
    const limit = lab.names.slice(0, 2).join(',')
    const first = await rmPlay(['site.yml', '-l', limit])
    expect(first.code, first.out + first.err).to.equal(0)
    expect(first.out).to.match(/changed=3/)
    const h1 = lab.names[0]!
    expect((await sh(lab.inventory, h1, 'cat /srv/demo/index.html')).stdout).to.contain(`Served by ${h1}, in the groups runmaster.`)
    const second = await rmPlay(['site.yml', '-l', limit])
    expect(second.code).to.equal(0)
    expect(second.out).not.to.match(/changed=[1-9]/)
    if (spawnSync('ansible-playbook', ['--version']).status !== 0) return
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')))
    const ansible = spawnSync('ansible-playbook', ['site.yml', '--check', '-l', limit], {
      cwd: dir,
      env: { ...env, ANSIBLE_NOCOLOR: '1' },
      encoding: 'utf8',
      timeout: 120000,
    })
    expect(ansible.status, ansible.stdout + ansible.stderr).to.equal(0)
    expect(ansible.stdout)
      .to.match(/changed=0/)
      .and.not.to.match(/changed=[1-9]/)
  })

  it('issue 9: init keeps existing files', () => {
    let out = ''
    expect(initCommand([dir], { out: (s) => (out += s), err: () => {} })).to.equal(0)
    expect(out).to.contain('kept    ansible.cfg (exists)').and.not.to.contain('created')
    expect(readFileSync(join(dir, 'ansible.cfg'), 'utf8')).to.contain('inventory = inventory/lab/hosts.yml')
  })
})
