// Two runs in one process share nothing: the vault password, the secrets the reporter masks and
// the group_vars read by the first run are its own (run-context.ts). Each run is a real CLI
// invocation (`main`), as a test suite or a server would make them.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { encryptVault } from '../../src/playbook/vault.js'

const SECRET = 'run-one-token-5521'

/** A project dir: an inventory whose group_vars/all is encrypted, a playbook that prints `msg`. */
function project(msg: string): { dir: string; pb: string; inv: string; pwFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-runctx-'))
  mkdirSync(join(dir, 'group_vars'))
  writeFileSync(join(dir, 'hosts'), 'h1 ansible_connection=local\n')
  writeFileSync(join(dir, 'group_vars', 'all.yml'), encryptVault(`token: ${SECRET}\n`, 'pw-one'))
  writeFileSync(join(dir, 'pw.txt'), 'pw-one\n')
  writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg="${msg}"\n`)
  return { dir, pb: join(dir, 'site.yml'), inv: join(dir, 'hosts'), pwFile: join(dir, 'pw.txt') }
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('run context: two runs in one process', () => {
  it('a value that was a vault secret in the first run is printed as it is by a second run that has no vault', async () => {
    const one = project('token={{ token }}')
    const first = await cli([one.pb, '-i', one.inv, '--vault-password-file', one.pwFile])
    expect(first.code, first.err).to.equal(0)
    expect(first.out).to.include('token=********').and.not.include(SECRET)

    const other = mkdtempSync(join(tmpdir(), 'rmp-runctx-'))
    writeFileSync(join(other, 'hosts'), 'h1 ansible_connection=local\n')
    writeFileSync(join(other, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg="plain={{ '${SECRET}' }}"\n`)
    const second = await cli([join(other, 'site.yml'), '-i', join(other, 'hosts')])
    expect(second.code, second.err).to.equal(0)
    // Ansible prints it: nothing in this run comes from a vault.
    expect(second.out).to.include(`plain=${SECRET}`)
  })

  it("a second run without a password cannot read the first run's vault files (neither its password nor its cached group_vars)", async () => {
    const one = project('token={{ token }}')
    expect((await cli([one.pb, '-i', one.inv, '--vault-password-file', one.pwFile])).code).to.equal(0)
    const second = await cli([one.pb, '-i', one.inv])
    expect(second.out).not.to.include(SECRET)
    expect(second.err + second.out).to.match(/encrypted with the vault but no vault password was given/)
    expect(second.code).not.to.equal(0)
  })
})
