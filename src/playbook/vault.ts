// Ansible Vault 1.1 (AES256), read and written compatibly, so files made with `ansible-vault`
// open here and the other way round: PBKDF2-SHA256 (10000 rounds) → AES-256-CTR key, HMAC-SHA256
// key and counter; PKCS#7 padding; everything hex-encoded under a `$ANSIBLE_VAULT;1.1;AES256` header.
import { execFileSync } from 'node:child_process'
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { accessSync, constants, readFileSync } from 'node:fs'
import { RmError } from './errors.js'
import { currentRun } from './run-context.js'

const HEADER = '$ANSIBLE_VAULT;1.1;AES256'

/** Set by the CLI before anything is loaded: the password of the current run (run-context.ts). */
export function setVaultPassword(pw: string | undefined): void {
  currentRun().vaultPassword = pw
  currentRun().vaultIds = []
}

/** Several vault ids (`--vault-id label@source`): each is tried, the one the file names first. */
export function setVaultPasswords(ids: { label: string; password: string }[]): void {
  currentRun().vaultIds = ids
  currentRun().vaultPassword = ids[0]?.password
}

/** The passwords to try on a vault text, its own label's first. */
function passwordsFor(text: string): string[] {
  const { vaultIds, vaultPassword } = currentRun()
  if (!vaultIds.length) return vaultPassword === undefined ? [] : [vaultPassword]
  const label = text.trimStart().split(/\r?\n/, 1)[0]!.split(';')[3]?.trim()
  return [...vaultIds.filter((l) => l.label === label), ...vaultIds.filter((l) => l.label !== label)].map((l) => l.password)
}

/** Tries each password; the first that opens the text (or the last error). */
function decryptWithAny(text: string): string {
  let last: unknown
  for (const pw of passwordsFor(text)) {
    try {
      return decryptVault(text, pw)
    } catch (e) {
      last = e
    }
  }
  throw last
}

/** Reads a password file; an executable file is run and its output used (as Ansible does). */
export function readPasswordFile(file: string): string {
  let exe = false
  try {
    accessSync(file, constants.X_OK)
    exe = !file.endsWith('.txt')
  } catch {
    exe = false
  }
  try {
    const out = exe ? execFileSync(file, { encoding: 'utf8' }) : readFileSync(file, 'utf8')
    currentRun().passwordHint = `the password from ${file} does not open it`
    // As ansible-vault: a file's whitespace around the password is dropped, a script's line ends.
    return exe ? out.replace(/^[\r\n]+|[\r\n]+$/g, '') : out.trim()
  } catch (e) {
    throw new RmError(`cannot read vault password file ${file}: ${(e as Error).message}`)
  }
}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith('$ANSIBLE_VAULT;')
}

function keys(pw: string, salt: Buffer): { cipherKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  currentRun().counters.keyDerivations++
  const k = pbkdf2Sync(pw, salt, 10000, 80, 'sha256')
  return { cipherKey: k.subarray(0, 32), hmacKey: k.subarray(32, 64), iv: k.subarray(64, 80) }
}

export function encryptVault(plaintext: string, pw: string): string {
  const salt = randomBytes(32)
  const { cipherKey, hmacKey, iv } = keys(pw, salt)
  const data = Buffer.from(plaintext, 'utf8')
  const pad = 16 - (data.length % 16)
  const padded = Buffer.concat([data, Buffer.alloc(pad, pad)])
  const c = createCipheriv('aes-256-ctr', cipherKey, iv)
  const ct = Buffer.concat([c.update(padded), c.final()])
  const mac = createHmac('sha256', hmacKey).update(ct).digest()
  const body = Buffer.from(`${salt.toString('hex')}\n${mac.toString('hex')}\n${ct.toString('hex')}`).toString('hex')
  return `${HEADER}\n${body.replace(/.{1,80}/g, '$&\n')}`
}

// The same file is read for every host (group_vars, vars_files): each PBKDF2 costs ~10 ms, so a
// successful decryption is remembered by a hash of (password, encrypted text). It stays at module
// level: it is pure (the same password and text always give the same plain text), and a run that
// has no password cannot reach an entry, since the password is part of the key.
const decrypted = new Map<string, string>()

export function decryptVault(text: string, pw: string): string {
  const key = createHash('sha256').update(`${pw.length}:${pw}\0${text}`).digest('hex')
  let plain = decrypted.get(key)
  if (plain === undefined) {
    plain = decryptVaultUncached(text, pw)
    decrypted.set(key, plain)
  }
  return plain
}

/** The one message for every way decryption can fail: it does not tell a wrong password from changed data. */
export const VAULT_DECRYPT_FAILED = 'decryption failed: wrong vault password, or the vault data was modified'

const HEX = /^(?:[0-9a-f]{2})+$/i

function decryptVaultUncached(text: string, pw: string): string {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim())
  const header = lines[0]!.split(';')
  if (header[0] !== '$ANSIBLE_VAULT' || header[2]?.trim() !== 'AES256') throw new Error('not an Ansible vault (AES256) text')
  const outer = lines.slice(1).join('')
  if (!HEX.test(outer)) throw new Error(VAULT_DECRYPT_FAILED)
  const [saltHex, macHex, ctHex, ...extra] = Buffer.from(outer, 'hex').toString('latin1').split('\n')
  if (!saltHex || !macHex || !ctHex || extra.length || ![saltHex, macHex, ctHex].every((h) => HEX.test(h))) throw new Error(VAULT_DECRYPT_FAILED)
  const salt = Buffer.from(saltHex, 'hex')
  const ct = Buffer.from(ctHex, 'hex')
  const want = Buffer.from(macHex, 'hex')
  const { cipherKey, hmacKey, iv } = keys(pw, salt)
  // The MAC is checked (in constant time) before a single byte is decrypted.
  const mac = createHmac('sha256', hmacKey).update(ct).digest()
  if (want.length !== mac.length || !timingSafeEqual(mac, want)) throw new Error(VAULT_DECRYPT_FAILED)
  const d = createDecipheriv('aes-256-ctr', cipherKey, iv)
  const padded = Buffer.concat([d.update(ct), d.final()])
  const pad = padded[padded.length - 1] ?? 0
  return padded.subarray(0, padded.length - (pad > 0 && pad <= 16 ? pad : 0)).toString('utf8')
}

/** Decrypts a vault file's text with the password the CLI was given. */
export function decryptVaultFile(text: string, file: string): string {
  const { vaultPassword, passwordHint } = currentRun()
  if (vaultPassword === undefined)
    throw new RmError(`${file} is encrypted with the vault but no vault password was given`, { file, line: 1, col: 1 }, passwordHint)
  try {
    return decryptWithAny(text)
  } catch (e) {
    throw new RmError(`cannot decrypt ${file}: ${(e as Error).message}`, { file, line: 1, col: 1 }, passwordHint)
  }
}

/** Decrypts an inline `!vault` value with the CLI's password (the YAML reader gives the position). */
export function decryptVaultText(text: string): string {
  const { vaultPassword, passwordHint } = currentRun()
  if (vaultPassword === undefined) throw new Error(`this value is encrypted with the vault but no vault password was given (${passwordHint})`)
  try {
    return decryptWithAny(text)
  } catch (e) {
    throw new Error(`cannot decrypt this !vault value: ${(e as Error).message}`)
  }
}

/** Marks a decrypted value (or each of its lines) as secret for every reporter of the current run. */
export function secretFromVault(plain: string): void {
  const secrets = currentRun().secrets
  if (plain.length >= 3) secrets.add(plain)
  for (const line of plain.split('\n')) if (line.trim().length >= 3) secrets.add(line)
}
