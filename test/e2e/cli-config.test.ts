// A project whose ansible.cfg names the inventory, the vault password file and the forks: rm-play
// runs its playbook with no flags, on lab hosts, as ansible-playbook does with the same file.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

async function rmPlay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('cli config: a project run by its ansible.cfg', function () {
  this.timeout(180000)
  let lab: TestLab
  let dir: string
  const cwd = process.cwd()
  const saved = { ...process.env }

  before(async function () {
    lab = await testLab(2)
    dir = mkdtempSync(join(tmpdir(), 'rmp-cfgproj-'))
    chmodSync(dir, 0o755)
    mkdirSync(join(dir, 'group_vars'))
    writeFileSync(join(dir, '.vault_pass'), 'cfg-test-pw\n')
    writeFileSync(join(dir, 'group_vars', 'all.yml'), encryptVault('secret_word: swordfish\n', 'cfg-test-pw'))
    writeFileSync(join(dir, 'ansible.cfg'), `[defaults]\ninventory = ${lab.inventory}\nvault_password_file = .vault_pass\nforks = 1\n`)
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { content: "word={{ secret_word }}", dest: /root/rmp-cfg-word }\n`,
    )
    for (const h of lab.names.slice(0, 2)) await sh(lab.inventory, h, 'rm -f /root/rmp-cfg-word')
  })

  after(async () => {
    process.chdir(cwd)
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
    setVaultPassword(undefined)
    await closeHostConnections()
  })

  it('issue 9: no -i, no --vault-password-file: ansible.cfg gives both; ANSIBLE_* overrides the file; the flag overrides both', async function () {
    process.chdir(dir)
    const limit = lab.names.slice(0, 2).join(',')
    const r = await rmPlay(['site.yml', '-l', limit, '-v'])
    expect(r.code, r.out + r.err).to.equal(0)
    expect(r.err).to.contain(`Using ${join(dir, 'ansible.cfg')} as config file`)
    expect(r.out).to.match(/changed=1/)
    for (const h of lab.names.slice(0, 2)) expect((await sh(lab.inventory, h, 'cat /root/rmp-cfg-word')).stdout).to.equal('word=swordfish')
    // the environment beats the file: an inventory with no such hosts
    writeFileSync(join(dir, 'other.ini'), '[x]\nnot-a-lab-host\n')
    process.env.ANSIBLE_INVENTORY = join(dir, 'other.ini')
    const env = await rmPlay(['site.yml', '--list-hosts'])
    expect(env.out).to.contain('not-a-lab-host').and.not.to.contain(lab.names[0]!)
    // the command line beats both
    const cli = await rmPlay(['site.yml', '--list-hosts', '-i', lab.inventory])
    expect(cli.out).to.contain(lab.names[0]!).and.not.to.contain('not-a-lab-host')
    delete process.env.ANSIBLE_INVENTORY
    if (spawnSync('ansible-playbook', ['--version']).status !== 0) return
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')))
    const a = spawnSync('ansible-playbook', ['site.yml', '--check', '-l', limit], {
      cwd: dir,
      env: { ...clean, ANSIBLE_NOCOLOR: '1' },
      encoding: 'utf8',
      timeout: 120000,
    })
    expect(a.status, a.stdout + a.stderr).to.equal(0)
    expect(a.stdout)
      .to.match(/changed=0/)
      .and.not.to.match(/changed=[1-9]/)
  })
})
