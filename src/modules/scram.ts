// SCRAM-SHA-256 verifiers as PostgreSQL stores them (RFC 5802/7677), computed on the controller:
// the clear password never reaches the host, its process list or the server's logs; only the
// verifier does, and a stored verifier is checked against the wanted password here.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

/** PostgreSQL's default (and, before 16, fixed) iteration count. */
const SCRAM_ITERATIONS = 4096

export interface ScramVerifier {
  iterations: number
  salt: Buffer
  storedKey: Buffer
  serverKey: Buffer
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/

export function isScramVerifier(s: string): boolean {
  return VERIFIER.test(s)
}

/** An md5 verifier as PostgreSQL stores it: 'md5' + md5(password + username). */
export function isMd5Verifier(s: string): boolean {
  return /^md5[0-9a-f]{32}$/.test(s)
}

export function parseScramVerifier(s: string): ScramVerifier | undefined {
  const m = VERIFIER.exec(s)
  if (!m) return undefined
  return { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64'), storedKey: Buffer.from(m[3]!, 'base64'), serverKey: Buffer.from(m[4]!, 'base64') }
}

// RFC 3454 tables, only as far as SASLprep needs them (RFC 4013): spaces mapped to U+0020, the
// "commonly mapped to nothing" characters dropped, then NFKC.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g
// Prohibited output (C.2–C.9) and unassigned-looking ranges that make PostgreSQL fall back to the raw bytes.
const PROHIBITED =
  /[\u0000-\u001F\u007F-\u009F\u0340\u0341\u06DD\u070F\u180E\u200E\u200F\u2028-\u202E\u206A-\u206F\u2FF0-\u2FFB\uD800-\uDFFF\uE000-\uF8FF\uFDD0-\uFDEF\uFFF9-\uFFFF]/
const RAND_AL_CAT =
  /[\u05BE\u05C0\u05C3\u05D0-\u05EA\u05F0-\u05F4\u061B\u061F\u0621-\u064A\u066D-\u066F\u0671-\u06D5\u06DD\u06E5\u06E6\u06FA-\u06FE\u0700-\u070D\u0710\u0712-\u072C\u0780-\u07A5\u07B1\u200F\uFB1D\uFB1F-\uFB28\uFB2A-\uFB4F\uFB50-\uFDFD\uFE70-\uFEFC]/
const L_CAT = /[A-Za-z\u00AA\u00B5\u00BA\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u0220]/

/**
 * The bytes PostgreSQL hashes for a password: SASLprep'ed UTF-8 when the password is valid for it,
 * otherwise the password as it is (PostgreSQL does the same rather than reject it).
 */
export function saslPrep(password: string): Buffer {
  const raw = Buffer.from(password, 'utf8')
  // Pure ASCII passwords are unchanged by SASLprep unless they hold control characters (then raw too).
  if (/^[\x20-\x7E]*$/.test(password)) return raw
  const mapped = password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC')
  if (mapped === '' || PROHIBITED.test(mapped)) return raw
  for (const ch of mapped) {
    const cp = ch.codePointAt(0)!
    if (cp >= 0xf0000 || (cp >= 0xe0001 && cp <= 0xe007f)) return raw
  }
  // Bidirectional rule: a string with RandALCat characters must not hold LCat ones, and must start and end with RandALCat.
  if (RAND_AL_CAT.test(mapped)) {
    const chars = [...mapped]
    if (L_CAT.test(mapped) || !RAND_AL_CAT.test(chars[0]!) || !RAND_AL_CAT.test(chars[chars.length - 1]!)) return raw
  }
  return Buffer.from(mapped, 'utf8')
}

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(saslPrep(password), salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  return { storedKey: createHash('sha256').update(clientKey).digest(), serverKey: createHmac('sha256', salted).update('Server Key').digest() }
}

/** A new verifier: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const k = keys(password, salt, iterations)
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`
}

/** Whether `password` is the one a stored SCRAM verifier was made from. */
export function scramMatches(password: string, verifier: string): boolean {
  const v = parseScramVerifier(verifier)
  if (!v || v.iterations < 1 || v.iterations > 10_000_000) return false
  const k = keys(password, v.salt, v.iterations)
  if (v.storedKey.length !== 32 || v.serverKey.length !== 32) return false
  return timingSafeEqual(k.storedKey, v.storedKey) && timingSafeEqual(k.serverKey, v.serverKey)
}

/** md5 verifier of a password for a role. */
export function md5Verifier(password: string, user: string): string {
  return (
    'md5' +
    createHash('md5')
      .update(password + user)
      .digest('hex')
  )
}
