// OpenSSH known_hosts: parsing, matching (plain, [host]:port, hashed |1|salt|hash, * and ? globs,
// negation) and appending. Pure functions except the file helpers at the end.
import { createHmac } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

export interface KnownHostEntry {
  marker?: '@cert-authority' | '@revoked'
  hosts: string
  keyType: string
  key: Buffer
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const f = line.split(/\s+/)
    let marker: KnownHostEntry['marker']
    if (f[0] === '@cert-authority' || f[0] === '@revoked') marker = f.shift() as KnownHostEntry['marker']
    if (f.length < 3) continue
    out.push({ marker, hosts: f[0]!, keyType: f[1]!, key: Buffer.from(f[2]!, 'base64') })
  }
  return out
}

/** The name ssh looks up: `host`, or `[host]:port` when the port is not 22. */
export function lookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

// A run with N hosts checks N keys against a file of about N entries: each pattern compiles once.
const compiled = new Map<string, RegExp>()

function globToRegExp(glob: string): RegExp {
  const known = compiled.get(glob)
  if (known) return known
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  const re = new RegExp(`^${esc}$`, 'i')
  compiled.set(glob, re)
  return re
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|')
    if (!salt || !hash) return false
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return h === hash
  }
  return globToRegExp(pattern).test(name)
}

/** A hosts field's patterns, split once: a plain name (most of them) is compared as a string. */
type Pattern = { negated: boolean; plain?: string; pattern: string }
const fields = new Map<string, Pattern[]>()

function patternsOf(hostsField: string): Pattern[] {
  let out = fields.get(hostsField)
  if (out) return out
  out = hostsField.split(',').map((p) => {
    const negated = p.startsWith('!')
    const pattern = negated ? p.slice(1) : p
    return { negated, pattern, plain: /[*?|]/.test(pattern) ? undefined : pattern.toLowerCase() }
  })
  fields.set(hostsField, out)
  return out
}

export function hostMatches(hostsField: string, name: string): boolean {
  let matched = false
  const lower = name.toLowerCase()
  for (const p of patternsOf(hostsField)) {
    const hit = p.plain !== undefined ? p.plain === lower : patternMatches(p.pattern, name)
    if (p.negated && hit) return false
    if (hit) matched = true
  }
  return matched
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked'

/** Compares the key a server offered with what known_hosts says about `name`. */
export function verifyHostKey(entries: KnownHostEntry[], name: string, offered: Buffer): HostKeyVerdict {
  let sawHost = false
  for (const e of entries) {
    if (e.marker === '@revoked' && e.key.equals(offered)) return 'revoked'
  }
  for (const e of entries) {
    if (e.marker || !hostMatches(e.hosts, name)) continue
    sawHost = true
    if (e.key.equals(offered)) return 'match'
  }
  return sawHost ? 'mismatch' : 'unknown'
}

/** The key type written inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const n = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + n).toString()
}

/** Parsed files, by path, with the identity of the file they were read from. */
const parsed = new Map<string, { stamp: string; entries: KnownHostEntry[] }>()

/**
 * The entries of a known_hosts file (none if it cannot be read). Every connection asks: the file
 * is parsed again only when it changed (another process may append to it meanwhile).
 */
export function readKnownHosts(file: string): KnownHostEntry[] {
  try {
    const st = statSync(file)
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`
    const known = parsed.get(file)
    if (known?.stamp === stamp) return known.entries
    const entries = parseKnownHosts(readFileSync(file, 'utf8'))
    parsed.set(file, { stamp, entries })
    return entries
  } catch {
    return []
  }
}

export function appendKnownHost(file: string, name: string, blob: Buffer): void {
  parsed.delete(file)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  appendFileSync(file, `${name} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 })
}

export type HostKeyPolicy = 'yes' | 'accept-new' | 'no'

/**
 * What to do with a server's key, as OpenSSH's StrictHostKeyChecking does: a known key connects;
 * an unknown one only with accept-new (remembered) or no; a changed one only with `no`, and then
 * with a loud warning; a revoked one never.
 */
export type HostKeyDecision = { accept: true; remember?: boolean; warning?: string } | { accept: false; problem: string }

export function decideHostKey(verdict: HostKeyVerdict, policy: HostKeyPolicy, name: string, files: readonly string[]): HostKeyDecision {
  switch (verdict) {
    case 'match':
      return { accept: true }
    case 'revoked':
      return { accept: false, problem: `the host key of ${name} is marked @revoked in ${files.join(', ')}; refusing to connect` }
    case 'unknown':
      if (policy === 'accept-new') return { accept: true, remember: true }
      if (policy === 'no') return { accept: true }
      return {
        accept: false,
        problem: `host key for ${name} is not in ${files.join(', ') || 'any known_hosts file'} (use --host-key-checking accept-new to trust it on first use, or add it with ssh-keyscan after checking its fingerprint)`,
      }
    case 'mismatch':
      if (policy === 'no')
        return {
          accept: true,
          warning: `HOST KEY MISMATCH for ${name}: the server's key differs from ${files.join(', ')}; connecting anyway because --host-key-checking is no (a man-in-the-middle would now see everything sent to this host)`,
        }
      return {
        accept: false,
        problem: `HOST KEY MISMATCH for ${name}: the server's key differs from ${files.join(', ')} (possible man-in-the-middle); refusing to connect. If the host was really reinstalled, remove the old key (ssh-keygen -R ${name}${files[0] ? ` -f ${files[0]}` : ''})`,
      }
  }
}
