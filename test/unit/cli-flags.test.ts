// The flags Ansible users type: -c, -k, --ssh-common-args/--ssh-extra-args, --become-method,
// --vault-id (several, @prompt), -J, -M and --flush-cache. Passwords come from a prompt (injected
// here), never from the command line.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'
import { connectionOptions, setUpVault } from '../../src/cli/run-flags.js'
import { sshTargetFor } from '../../src/engine/connect.js'
import { encryptVault } from '../../src/playbook/vault.js'
import { hasAnsible } from '../helpers/ansible.js'

const dir = mkdtempSync(join(tmpdir(), 'rmp-cli-flags-'))

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('cli flags', () => {
  it('-c local runs hosts the inventory gives no connection on this machine; -c other is a clear error', async () => {
    writeFileSync(join(dir, 'here.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: hostname\n')
    const r = await cli([join(dir, 'here.yml'), '-i', 'somebox,', '-c', 'local', '--json'])
    expect(r.code, r.err).to.equal(0)
    const result = r.out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'host-result')
    expect(result.host).to.equal('somebox')
    expect(result.output.stdout).to.equal(hostname())
    const bad = await cli([join(dir, 'here.yml'), '-i', 'somebox,', '-c', 'winrm'])
    expect(bad.code).to.equal(1)
    expect(bad.err).to.contain("--connection takes ssh, local, got 'winrm'")
  })

  it("-k asks for the SSH password; a host's ansible_password wins, as in Ansible; the password is no flag value", async () => {
    expect(() => parseArgs(['site.yml', '-k', 'pw'])).not.to.throw() // -k takes no value: 'pw' is a playbook
    expect(parseArgs(['site.yml', '-k', 'pw']).playbooks).to.deep.equal(['site.yml', 'pw'])
    const prompts: string[] = []
    const o = await connectionOptions(parseArgs(['site.yml', '-k']), async (p) => (prompts.push(p), 'typed-pw'))
    expect(prompts).to.deep.equal(['SSH password: '])
    expect(sshTargetFor('h', { ansible_host: '10.0.0.1' }, { ...o }).password).to.equal('typed-pw')
    expect(sshTargetFor('h', { ansible_password: 'inv-pw' }, { ...o }).password).to.equal('inv-pw')
  })

  it('--ssh-common-args/--ssh-extra-args: the -o options ssh2 honours are used, others refused by name', async () => {
    const o = await connectionOptions(
      parseArgs([
        's.yml',
        '--ssh-common-args',
        '-o Port=2222 -o User=deploy -o ConnectTimeout=7',
        '--ssh-extra-args=-o ServerAliveInterval=4 -o StrictHostKeyChecking=accept-new -o IdentityFile=/k/id',
      ]),
    )
    const t = sshTargetFor('h', {}, o)
    expect([t.port, t.user, t.connectTimeoutMs, t.keepaliveIntervalMs, t.hostKeyChecking, t.privateKeyFiles[0]]).to.deep.equal([
      2222,
      'deploy',
      7000,
      4000,
      'accept-new',
      '/k/id',
    ])
    // the host's own ansible_ssh_common_args win over the flag, as in Ansible
    expect(sshTargetFor('h', { ansible_ssh_common_args: '-p 2200' }, o).port).to.equal(2200)
    // ControlMaster/ControlPersist are honoured (the connection keeper); ControlPath is not
    expect(sshTargetFor('h', { ansible_ssh_common_args: '-o ControlMaster=auto -o ControlPersist=10m' }, o).persistMs).to.equal(600_000)
    const r = await cli([join(dir, 'here.yml'), '-i', 'somebox,', '--ssh-common-args', '-o ControlPath=/x/%h -o Compression=yes -o Port=22'])
    expect(r.code).to.equal(1)
    expect(r.err)
      .to.contain("cannot honour '-o ControlPath=/x/%h', '-o Compression=yes'")
      .and.not.match(/internal error/)
    const flag = await cli([join(dir, 'here.yml'), '-i', 'somebox,', '--ssh-extra-args', '-A'])
    expect(flag.err).to.contain("--ssh-extra-args: rm-play's SSH (ssh2, not OpenSSH) cannot honour '-A'")
  })

  it('--become-method takes sudo and su, anything else is a clear error', async () => {
    expect(parseArgs(['s.yml', '--become-method', 'su']).becomeMethod).to.equal('su')
    const r = await cli([join(dir, 'here.yml'), '--become-method', 'doas'])
    expect(r.code).to.equal(1)
    expect(r.err).to.contain("--become-method takes sudo, su, got 'doas'")
  })

  it('-M is accepted and ignored with a note; --flush-cache is accepted (no fact cache to flush)', async () => {
    const r = await cli([join(dir, 'here.yml'), '-i', 'somebox,', '-c', 'local', '-M', './library', '--flush-cache'])
    expect(r.code, r.err).to.equal(0)
    expect(r.err).to.contain('-M/--module-path ./library is ignored')
    expect(parseArgs(['s.yml', '--flush-cache']).flushCache).to.equal(true)
  })

  it('--vault-id label@file (several) and @prompt, -J: each password is tried, as ansible-playbook does', async function () {
    this.timeout(60_000)
    writeFileSync(join(dir, 'a.yml'), encryptVault('from_a: alpha\n', 'pw-a'))
    writeFileSync(join(dir, 'b.yml'), encryptVault('from_b: beta\n', 'pw-b'))
    writeFileSync(join(dir, 'pw-a'), 'pw-a\n')
    writeFileSync(join(dir, 'pw-b'), 'pw-b\n')
    writeFileSync(
      join(dir, 'two.yml'),
      '- hosts: all\n  gather_facts: false\n  vars_files: [a.yml, b.yml]\n  tasks:\n    - assert: { that: [from_a == "alpha", from_b == "beta"] }\n',
    )
    const flags = ['--vault-id', `a@${join(dir, 'pw-a')}`, '--vault-id', `b@${join(dir, 'pw-b')}`]
    const r = await cli([join(dir, 'two.yml'), '-i', 'box,', '-c', 'local', ...flags])
    expect(r.code, r.err).to.equal(0)
    if (hasAnsible()) {
      const theirs = spawnSync('ansible-playbook', [join(dir, 'two.yml'), '-i', 'box,', '-c', 'local', ...flags], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'false' },
      })
      expect(theirs.status, theirs.stdout + theirs.stderr).to.equal(0)
    }
    const only = await cli([join(dir, 'two.yml'), '-i', 'box,', '-c', 'local', '--vault-id', `a@${join(dir, 'pw-a')}`])
    expect(only.code).to.equal(1)
    expect(only.err).to.match(/cannot decrypt .*b\.yml/)
    if (hasAnsible())
      expect(spawnSync('ansible-playbook', [join(dir, 'two.yml'), '-i', 'box,', '-c', 'local', '--vault-id', `a@${join(dir, 'pw-a')}`]).status).to.equal(1)
    const asked: string[] = []
    const ask = async (p: string) => (asked.push(p), p.includes('(b)') ? 'pw-b' : 'pw-a')
    expect(await setUpVault(parseArgs(['s.yml', '--vault-id', 'b@prompt', '-J']), undefined, ask)).to.equal(true)
    expect(asked).to.deep.equal(['Vault password (b): ', 'Vault password: '])
    expect(parseArgs(['s.yml', '-J']).askVaultPass).to.equal(true)
  })
})
