// --syntax-check catches what ansible-playbook's catches before a run: a vars_files file encrypted
// with the vault and no password (or a wrong one), and a --limit that leaves no host. Exit codes
// compared with ansible-playbook on the same files.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { encryptVault } from '../../src/playbook/vault.js'
import { hasAnsible } from '../helpers/ansible.js'

const dir = mkdtempSync(join(tmpdir(), 'rmp-syntax-'))
mkdirSync(join(dir, 'vars'))
writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n')
writeFileSync(join(dir, 'vars/sec.yml'), encryptVault('secret: s3cret\n', 'right'))
writeFileSync(join(dir, 'right'), 'right\n')
writeFileSync(join(dir, 'wrong'), 'wrong\n')
writeFileSync(
  join(dir, 'site.yml'),
  '- hosts: all\n  gather_facts: false\n  vars_files: [vars/sec.yml]\n  tasks:\n    - debug: { msg: "{{ secret | length }}" }\n',
)

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

const cases: [string, string[], RegExp | undefined][] = [
  ['no vault password', [], /sec\.yml:1:1: .*encrypted with the vault but no vault password was given \(vars_files of the play at .*site\.yml:1:3\)/],
  ['a wrong vault password', ['--vault-password-file', join(dir, 'wrong')], /cannot decrypt .*sec\.yml: decryption failed/],
  ['a limit that matches nothing', ['--vault-password-file', join(dir, 'right'), '-l', 'nosuch'], /--limit 'nosuch' matches no host/],
  ['the right password and a limit that matches', ['--vault-password-file', join(dir, 'right'), '-l', 'local*'], undefined],
]

describe('--syntax-check', () => {
  for (const [what, flags, error] of cases) {
    it(`${what}: ${error ? 'a clear error, exit 1' : 'exit 0'}, as ansible-playbook`, async function () {
      this.timeout(60_000)
      const r = await cli([join(dir, 'site.yml'), '-i', join(dir, 'hosts'), '--syntax-check', ...flags])
      if (error)
        expect(r.err)
          .to.match(error)
          .and.not.match(/internal error|\n\s+at /)
      expect(r.code, r.err).to.equal(error ? 1 : 0)
      if (!hasAnsible()) return
      const theirs = spawnSync('ansible-playbook', [join(dir, 'site.yml'), '-i', join(dir, 'hosts'), '--syntax-check', ...flags], {
        encoding: 'utf8',
        cwd: dir,
      })
      expect(theirs.status, theirs.stderr).to.equal(r.code)
    })
  }

  it('a run without the vault password stops before any host is touched, not at the first task', async () => {
    const r = await cli([join(dir, 'site.yml'), '-i', join(dir, 'hosts')])
    expect(r.code).to.equal(1)
    expect(r.out).to.equal('')
    expect(r.err).to.match(/no vault password was given[\s\S]*No host was touched/)
  })
})
