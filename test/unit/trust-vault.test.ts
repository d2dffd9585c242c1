// Trust cases of the vault (issue 11): decryption failures say nothing about why (29), the MAC is
// checked before decrypting, encryption is salted, and `rm-play vault` writes files without
// following planted names, with plaintext only in a private temp while an editor needs it (30).
// Files go both ways with the real ansible-vault.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vaultCommand } from '../../src/cli/vault.js'
import { decryptVault, decryptVaultFile, encryptVault, setVaultPassword, VAULT_DECRYPT_FAILED } from '../../src/playbook/vault.js'
import { hasAnsible } from '../helpers/ansible.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-trust-vault-'))
const pwFile = join(scratch, 'pw')
const pw2File = join(scratch, 'pw2')
writeFileSync(pwFile, 'correct horse\n')
writeFileSync(pw2File, 'battery staple\n')

async function vault(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  let out = ''
  let err = ''
  try {
    const code = await vaultCommand(args, { out: (s) => (out += s), err: (s) => (err += s) })
    return { code, out, err }
  } finally {
    for (const k of Object.keys(env))
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
  }
}

function ansibleVault(args: string[], pw = pwFile): string {
  return execFileSync('ansible-vault', [...args, '--vault-password-file', pw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Flips one hex digit of the vault body at a given fraction of its length. */
function flip(text: string, where: number): string {
  const lines = text.trimEnd().split('\n')
  const body = lines.slice(1).join('')
  const i = Math.floor(body.length * where)
  const c = body[i]!
  const flipped = body.slice(0, i) + (c === '0' ? '1' : '0') + body.slice(i + 1)
  return `${lines[0]}\n${flipped.replace(/.{1,80}/g, '$&\n')}`
}

/** An editor (a script) that appends a line, and records the path it got, its mode and its directory's mode. */
function editorScript(name: string, append: string | undefined): { editor: string; log: string } {
  const log = join(scratch, `${name}.log`)
  const editor = join(scratch, `${name}.sh`)
  writeFileSync(
    editor,
    `#!/bin/sh\nprintf '%s %s %s\\n' "$1" "$(stat -c %a "$1")" "$(stat -c %a "$(dirname "$1")")" > ${log}\n${append === undefined ? '' : `printf '%s\\n' '${append}' >> "$1"\n`}`,
  )
  chmodSync(editor, 0o755)
  return { editor, log }
}

describe('trust: the vault', () => {
  after(() => setVaultPassword(undefined))

  it('trust 29: a flipped byte anywhere and a wrong password give the same generic error', () => {
    const text = encryptVault('db_password: hunter2\n', 'pw')
    const messages = new Set<string>()
    const attempt = (t: string, pw: string) => {
      try {
        decryptVault(t, pw)
        return 'decrypted'
      } catch (e) {
        return (e as Error).message
      }
    }
    messages.add(attempt(text, 'wrong'))
    // salt, MAC, ciphertext and the hex framing between them
    for (const where of [0.01, 0.2, 0.4, 0.6, 0.8, 0.99]) messages.add(attempt(flip(text, where), 'pw'))
    expect([...messages]).to.deep.equal([VAULT_DECRYPT_FAILED])
    expect(VAULT_DECRYPT_FAILED).to.not.match(/hmac|mac|padding|hex/i)
    // the file-level message adds nothing that tells them apart either
    setVaultPassword('wrong')
    const wrong = (() => {
      try {
        decryptVaultFile(text, 'f.yml')
      } catch (e) {
        return (e as Error).message
      }
    })()
    setVaultPassword('pw')
    const tampered = (() => {
      try {
        decryptVaultFile(flip(text, 0.9), 'f.yml')
      } catch (e) {
        return (e as Error).message
      }
    })()
    expect(wrong).to.equal(tampered)
  })

  it('trust 29: the MAC is checked (timingSafeEqual) before a byte is decrypted; same plaintext encrypts differently', () => {
    // AES-CTR alone never fails: a changed ciphertext byte can only be refused by the MAC check.
    const text = encryptVault('x'.repeat(64), 'pw')
    expect(() => decryptVault(flip(text, 0.95), 'pw')).to.throw(VAULT_DECRYPT_FAILED)
    const src = readFileSync(new URL('../../../src/playbook/vault.ts', import.meta.url), 'utf8')
    const fn = src.slice(src.indexOf('function decryptVaultUncached'))
    expect(fn.indexOf('timingSafeEqual(')).to.be.greaterThan(0)
    expect(fn.indexOf('timingSafeEqual(')).to.be.lessThan(fn.indexOf('createDecipheriv('))
    const a = encryptVault('same', 'pw')
    const b = encryptVault('same', 'pw')
    expect(a).to.not.equal(b)
    expect([decryptVault(a, 'pw'), decryptVault(b, 'pw')]).to.deep.equal(['same', 'same'])
  })

  it('trust 29: files written by rm-play vault open in ansible-vault, and the other way round', async function () {
    if (!hasAnsible()) this.skip()
    this.timeout(60000)
    const f = join(scratch, 'interop.yml')
    writeFileSync(f, 'db_password: "a{{ b }}c"\n')
    expect((await vault(['encrypt', f, '--vault-password-file', pwFile])).code).to.equal(0)
    expect(ansibleVault(['view', f])).to.equal('db_password: "a{{ b }}c"\n')
    ansibleVault(['rekey', f, '--new-vault-password-file', pw2File])
    expect((await vault(['view', f, '--vault-password-file', pw2File])).out).to.equal('db_password: "a{{ b }}c"\n')
    const s = await vault(['encrypt-string', '--name', 'pw', 'x{{ y }}', '--vault-password-file', pwFile])
    writeFileSync(join(scratch, 'inline.yml'), s.out)
    const shown = execFileSync(
      'ansible',
      ['localhost', '-c', 'local', '-m', 'debug', '-a', 'var=pw', '-e', `@${join(scratch, 'inline.yml')}`, '--vault-password-file', pwFile],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ANSIBLE_NOCOLOR: '1' } },
    )
    expect(shown).to.contain('"pw": "x{{ y }}"')
    // A password file with whitespace around the password means what it means to ansible-vault.
    const spaced = join(scratch, 'pw-spaced')
    writeFileSync(spaced, '  correct horse \n\n')
    ansibleVault(['rekey', f, '--new-vault-password-file', spaced], pw2File)
    expect((await vault(['view', f, '--vault-password-file', spaced])).out).to.equal('db_password: "a{{ b }}c"\n')
  })

  it('trust 30: decrypt and encrypt never write through a planted FILE.rmp-tmp (or any predictable name) and keep the mode', async () => {
    const dir = mkdtempSync(join(scratch, 'plant-'))
    const f = join(dir, 'secrets.yml')
    const victim = join(dir, 'victim')
    writeFileSync(victim, 'untouched\n')
    writeFileSync(f, encryptVault('token: abc\n', 'correct horse'))
    chmodSync(f, 0o640)
    symlinkSync(victim, `${f}.rmp-tmp`)
    symlinkSync(victim, join(dir, '.secrets.yml.tmp'))
    expect((await vault(['decrypt', f, '--vault-password-file', pwFile])).code).to.equal(0)
    expect(readFileSync(f, 'utf8')).to.equal('token: abc\n')
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n')
    expect(lstatSync(f).isSymbolicLink()).to.equal(false)
    expect(statSync(f).mode & 0o777).to.equal(0o640)
    expect((await vault(['encrypt', f, '--vault-password-file', pwFile])).code).to.equal(0)
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n')
    // nothing left behind but what was there
    expect(readdirSync(dir).sort()).to.deep.equal(['.secrets.yml.tmp', 'secrets.yml', 'secrets.yml.rmp-tmp', 'victim'])
  })

  it('trust 30: a vault file named through a symlink is encrypted where it is: no plaintext copy is left behind', async () => {
    const dir = mkdtempSync(join(scratch, 'link-'))
    writeFileSync(join(dir, 'shared.yml'), 'token: abc\n')
    symlinkSync('shared.yml', join(dir, 'vault.yml'))
    expect((await vault(['encrypt', join(dir, 'vault.yml'), '--vault-password-file', pwFile])).code).to.equal(0)
    expect(lstatSync(join(dir, 'vault.yml')).isSymbolicLink()).to.equal(true)
    expect(decryptVault(readFileSync(join(dir, 'shared.yml'), 'utf8'), 'correct horse')).to.equal('token: abc\n')
    expect(readdirSync(dir).sort()).to.deep.equal(['shared.yml', 'vault.yml'])
  })

  it('trust 30: vault edit gives the editor a 0600 file in a private 0700 directory, removes it, re-encrypts only on change', async () => {
    const f = join(scratch, 'edit.yml')
    writeFileSync(f, encryptVault('a: 1\n', 'correct horse'))
    const before = readFileSync(f, 'utf8')
    const same = editorScript('same', undefined)
    expect((await vault(['edit', f, '--vault-password-file', pwFile], { EDITOR: same.editor })).code).to.equal(0)
    expect(readFileSync(f, 'utf8'), 'unchanged text was re-encrypted').to.equal(before)
    const [path, mode, dirMode] = readFileSync(same.log, 'utf8').trim().split(' ')
    expect([mode, dirMode]).to.deep.equal(['600', '700'])
    expect(existsSync(path!), 'the plaintext temp is still there').to.equal(false)
    expect(existsSync(join(path!, '..')), 'the private directory is still there').to.equal(false)

    const add = editorScript('add', 'b: 2')
    expect((await vault(['edit', f, '--vault-password-file', pwFile], { EDITOR: add.editor })).code).to.equal(0)
    expect(readFileSync(f, 'utf8')).to.not.equal(before)
    expect(decryptVault(readFileSync(f, 'utf8'), 'correct horse')).to.equal('a: 1\nb: 2\n')
    expect(existsSync(readFileSync(add.log, 'utf8').split(' ')[0]!)).to.equal(false)
    if (hasAnsible()) expect(ansibleVault(['view', f])).to.equal('a: 1\nb: 2\n')
  })

  it('trust 30: vault create makes a new 0600 file (refusing an existing one or a planted link); a failed editor leaves nothing', async () => {
    const dir = mkdtempSync(join(scratch, 'create-'))
    const add = editorScript('create', 'api_key: k')
    const f = join(dir, 'new.yml')
    expect((await vault(['create', f, '--vault-password-file', pwFile], { EDITOR: add.editor })).code).to.equal(0)
    expect(statSync(f).mode & 0o777).to.equal(0o600)
    expect(decryptVault(readFileSync(f, 'utf8'), 'correct horse')).to.equal('api_key: k\n')
    if (hasAnsible()) expect(ansibleVault(['view', f])).to.equal('api_key: k\n')
    expect((await vault(['create', f, '--vault-password-file', pwFile], { EDITOR: add.editor })).code).to.equal(1)
    const victim = join(dir, 'victim')
    writeFileSync(victim, 'untouched\n')
    symlinkSync(victim, join(dir, 'link.yml'))
    expect((await vault(['create', join(dir, 'link.yml'), '--vault-password-file', pwFile], { EDITOR: add.editor })).code).to.equal(1)
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n')
    expect((await vault(['create', join(dir, 'failed.yml'), '--vault-password-file', pwFile], { EDITOR: 'false' })).code).to.equal(1)
    expect(existsSync(join(dir, 'failed.yml'))).to.equal(false)
  })

  it('trust 30: vault encrypt-string reads the secret from stdin when no TEXT is given (never in argv)', () => {
    const bin = new URL('../../../bin/rm-play.js', import.meta.url).pathname
    const out = execFileSync(process.execPath, [bin, 'vault', 'encrypt-string', '--name', 'db_pw', '--vault-password-file', pwFile], {
      input: 'from{{ stdin }}$(x)',
      encoding: 'utf8',
    })
    expect(out).to.match(/^db_pw: !vault \|\n  \$ANSIBLE_VAULT;1\.1;AES256\n/)
    const body = out
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .join('\n')
    expect(decryptVault(body, 'correct horse')).to.equal('from{{ stdin }}$(x)')
  })

  it('trust 30: vault rekey re-encrypts with --new-vault-password-file; ansible-vault opens the result', async () => {
    const f = join(scratch, 'rekey.yml')
    writeFileSync(f, encryptVault('k: v\n', 'correct horse'))
    expect((await vault(['rekey', f, '--vault-password-file', pwFile, '--new-vault-password-file', pw2File])).code).to.equal(0)
    expect(() => decryptVault(readFileSync(f, 'utf8'), 'correct horse')).to.throw(VAULT_DECRYPT_FAILED)
    expect(decryptVault(readFileSync(f, 'utf8'), 'battery staple')).to.equal('k: v\n')
    if (hasAnsible()) expect(ansibleVault(['view', f], pw2File)).to.equal('k: v\n')
    const r = await vault(['view', f, '--vault-password-file', pwFile])
    expect(r.code).to.equal(1)
    expect(r.err).to.contain(VAULT_DECRYPT_FAILED)
  })
})
