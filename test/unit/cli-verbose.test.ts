// -vvv: what is run on the host, one `<host> EXEC ...` line per command, secrets masked; below
// -vvv nothing of it.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { encryptVault } from '../../src/playbook/vault.js'

const dir = mkdtempSync(join(tmpdir(), 'rmp-verbose-'))
writeFileSync(join(dir, 'sec.yml'), encryptVault('token: tok-81723-secret\n', 'pw'))
writeFileSync(join(dir, 'pw'), 'pw\n')
writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  vars_files: [sec.yml]\n  tasks:\n    - command: echo "{{ token }}" marker-4411\n')

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('cli -vvv', () => {
  it('shows each command run on the host, with the vault secret masked', async () => {
    const r = await cli([join(dir, 'site.yml'), '-i', 'box,', '-c', 'local', '--vault-password-file', join(dir, 'pw'), '-vvv'])
    expect(r.code, r.err).to.equal(0)
    expect(r.out).to.match(/^<box> EXEC as \S+: .*echo .*marker-4411/m)
    expect(r.out + r.err).not.to.contain('tok-81723-secret')
  })

  it('-vv shows no connection detail; --json sends it to stderr, keeping stdout for events', async () => {
    const vv = await cli([join(dir, 'site.yml'), '-i', 'box,', '-c', 'local', '--vault-password-file', join(dir, 'pw'), '-vv'])
    expect(vv.out).not.to.contain('<box> EXEC')
    const json = await cli([join(dir, 'site.yml'), '-i', 'box,', '-c', 'local', '--vault-password-file', join(dir, 'pw'), '-vvv', '--json'])
    expect(json.err).to.contain('<box> EXEC')
    for (const line of json.out.trim().split('\n')) JSON.parse(line)
  })
})

describe('cli -vvv and no_log', () => {
  it("a no_log task's scripts are not shown, only that one ran", async () => {
    writeFileSync(join(dir, 'nolog.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo plain-9021 {{ hush }}\n      no_log: true\n')
    const r = await cli([join(dir, 'nolog.yml'), '-i', 'box,', '-c', 'local', '-vvv', '-e', 'hush=hush-77310'])
    expect(r.code, r.err).to.equal(0)
    expect(r.out).to.match(/^<box> EXEC as \S+: \(hidden: no_log\)$/m)
    expect(r.out).not.to.contain('hush-77310').and.not.to.contain('plain-9021')
  })
})
