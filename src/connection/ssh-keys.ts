// The client's private keys, read once per run and signed with cheaply. ssh2's parsed key signs
// by handing its PEM text to crypto.sign, so OpenSSL decodes the PEM again for every signature (one
// per host's authentication: ~0.7 to 7 ms each, the largest single cost of connecting to a host). A
// KeyObject made once signs the same bytes in a fraction of that. Parsed keys are kept per file
// content: a run opens one connection per host with the same key files.
import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ParsedKey } from 'ssh2'

type Ssh2Utils = { utils: { parseKey(data: Buffer): ParsedKey | ParsedKey[] | Error } }

/** A private key, or why the file was left out; by the file's text. */
const parsedByContent = new Map<string, ParsedKey | string>()

/** The private keys in `files`, and why any other file was left out (a missing file goes unsaid). */
export function readKeys(ssh2: Ssh2Utils, files: string[]): { keys: ParsedKey[]; skipped: string[] } {
  const keys: ParsedKey[] = []
  const skipped: string[] = []
  for (const f of files) {
    let data: Buffer
    try {
      data = readFileSync(f)
    } catch {
      continue // not every default key exists
    }
    const content = data.toString('latin1')
    let key = parsedByContent.get(content)
    if (key === undefined) {
      key = parseOne(ssh2, data)
      parsedByContent.set(content, key)
    }
    if (typeof key === 'string') skipped.push(`${f}: ${key}`)
    else keys.push(key)
  }
  return { keys, skipped }
}

function parseOne(ssh2: Ssh2Utils, data: Buffer): ParsedKey | string {
  const parsed = ssh2.utils.parseKey(data)
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed
  if (!key || key instanceof Error || !key.isPrivateKey()) return key instanceof Error ? key.message : 'not a private key'
  return withKeyObjectSigning(key)
}

/**
 * `key` whose sign() uses a KeyObject made from its PEM once, with ssh2's own hash choice and its
 * way of reporting a failure (an Error returned, not thrown). A PEM node cannot load stays as ssh2
 * made it.
 */
export function withKeyObjectSigning(key: ParsedKey): ParsedKey {
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey(key.getPrivatePEM())
  } catch {
    return key
  }
  // ssh2 keeps the key's default hash (null for ed25519) in a symbol-named field, read by its
  // sign() when no algorithm is given; found by the symbol's description, not by position.
  const hashSym = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Hash Algorithm')
  if (hashSym === undefined) return key
  const defaultHash = (key as unknown as Record<symbol, string | null | undefined>)[hashSym] ?? null
  key.sign = ((data: Buffer, algo?: string) => {
    try {
      return sign(algo || defaultHash, data, keyObject)
    } catch (e) {
      return e as Error
    }
  }) as ParsedKey['sign']
  return key
}
