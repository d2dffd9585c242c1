// Secrets (vault values, values computed from them, no_log arguments) are replaced wherever they
// would be shown. A secret is masked line by line (a key file read back from a host, or printed as
// `stdout_lines`, still matches), and in the forms it is commonly printed in: shell-quoted (the
// `run:` line), JSON-escaped (a module's JSON output), URL-encoded, upper and lower case, base64.
import { quote } from '../shell/index.js'

export const MASK = '********'

/** Shorter lines are not masked: masking every `a` or `on` would garble the output and hide nothing. */
export const MIN_SECRET_LENGTH = 3

/** A file diff whose side held a secret line shows this instead of the old (or new) secret text. */
export const SECRET_BEFORE = '(old secret content hidden)\n'
export const SECRET_AFTER = '(new secret content hidden)\n'

/**
 * Base64 of a text's first whole 3-byte groups: the start of the base64 of anything that starts
 * with it (`printf %s "$pw" | base64`, `echo "$pw" | base64 -w0`), whatever follows.
 */
function base64Head(text: string): string | undefined {
  const bytes = Buffer.from(text)
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 3))
  const b64 = whole.toString('base64')
  return b64.length >= 4 ? b64 : undefined
}

/**
 * The strings that stand for one secret in output: its lines, trimmed, and the forms a host or a
 * module may print them in without an expression of ours computing them: quoted (shell, JSON,
 * URL), upper and lower case, base64.
 */
export function secretForms(secret: string): string[] {
  const out: string[] = []
  const whole = base64Head(secret)
  if (whole) out.push(whole)
  // A vault value is templated when used (`postgres://app:pw@{{ db_host }}`): its literal parts
  // are what the rendered value still holds.
  const parts = secret.split(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/)
  for (const raw of parts.flatMap((p) => p.split(/\r?\n|\r/))) {
    const line = raw.trim()
    if (line.length < MIN_SECRET_LENGTH) continue
    out.push(line)
    const quoted = quote(line)
    if (quoted !== line && quoted !== `'${line}'`) out.push(quoted)
    const json = JSON.stringify(line).slice(1, -1)
    if (json !== line) out.push(json)
    // A value computed as `x | quote` shows unquoted where a module lists a command's words.
    const bare = shellUnquote(line)
    if (bare !== undefined && bare.length >= MIN_SECRET_LENGTH) out.push(bare)
    out.push(line.toUpperCase(), line.toLowerCase(), encodeURIComponent(line))
    const b64 = base64Head(line)
    if (b64) out.push(b64)
  }
  return [...new Set(out)].filter((f) => f.length >= MIN_SECRET_LENGTH)
}

/** The word a shell-quoted string stands for ('a'\''b' → a'b), or undefined if it is not one word. */
export function shellUnquote(s: string): string | undefined {
  if (!s.includes("'") && !s.includes('\\')) return undefined
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end < 0) return undefined
      out += s.slice(i + 1, end)
      i = end
    } else if (c === '\\' && i + 1 < s.length) out += s[++i]
    else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) out += c
    else return undefined
  }
  return out
}

/**
 * Finds secret forms in text. Forms are indexed by their first characters, so a secret registered
 * mid-run (taint adds one per derived value) costs one insertion, not a rebuilt pattern.
 */
export class SecretMatcher {
  private readonly byHead = new Map<string, string[]>()
  private readonly forms = new Set<string>()

  add(secret: string): void {
    for (const f of secretForms(secret)) {
      if (this.forms.has(f)) continue
      this.forms.add(f)
      const head = f.slice(0, MIN_SECRET_LENGTH)
      const list = this.byHead.get(head) ?? []
      // Longest first: a secret that contains another must not leave its tail visible.
      const at = list.findIndex((x) => x.length < f.length)
      list.splice(at < 0 ? list.length : at, 0, f)
      this.byHead.set(head, list)
    }
  }

  get empty(): boolean {
    return this.forms.size === 0
  }

  /** The first (then longest) secret form in `s` at or after `from`. */
  find(s: string, from = 0): { index: number; length: number } | undefined {
    if (this.forms.size === 0) return undefined
    for (let i = from; i + MIN_SECRET_LENGTH <= s.length; i++) {
      const list = this.byHead.get(s.slice(i, i + MIN_SECRET_LENGTH))
      if (!list) continue
      for (const f of list) if (s.startsWith(f, i)) return { index: i, length: f.length }
    }
    return undefined
  }

  mask(s: string): string {
    let out = ''
    let last = 0
    for (let m = this.find(s); m; m = this.find(s, last)) {
      out += s.slice(last, m.index) + MASK
      last = m.index + m.length
    }
    return last === 0 ? s : out + s.slice(last)
  }
}

// One matcher per secret set, brought up to date when the set grew (sets only grow during a run).
// Keyed by the set itself, and each run has its own set (run-context.ts): no run sees another's.
const matchers = new WeakMap<ReadonlySet<string>, { seen: number; m: SecretMatcher }>()

export function secretMatcher(secrets: ReadonlySet<string>): SecretMatcher {
  let hit = matchers.get(secrets)
  if (!hit || secrets.size < hit.seen) matchers.set(secrets, (hit = { seen: 0, m: new SecretMatcher() }))
  if (secrets.size > hit.seen) {
    let i = 0
    for (const s of secrets) if (i++ >= hit.seen) hit.m.add(String(s))
    hit.seen = secrets.size
  }
  return hit.m
}

export function holdsSecret(s: string, secrets: ReadonlySet<string>): boolean {
  return secrets.size > 0 && secretMatcher(secrets).find(s) !== undefined
}

export function maskString(s: string, secrets: ReadonlySet<string>): string {
  return secrets.size > 0 ? secretMatcher(secrets).mask(s) : s
}

/**
 * A file diff with its secrets replaced. When a new line holds a secret (`KEY=s3cret`), the old
 * lines that start the same way (`KEY=old`) held the old secret, which the run never knew: they
 * show a placeholder. A file where a secret starts a line (a key file) is one placeholder line.
 */
export function maskFileDiff<T extends { before: string; after: string }>(d: T, secrets: ReadonlySet<string>): T {
  const m = secretMatcher(secrets)
  if (!holdsSecret(d.before, secrets) && !holdsSecret(d.after, secrets)) return d
  const lines = (text: string) => text.split('\n')
  // What comes before a secret that ends its line: `KEY=`, `password: "`. A line that is a secret
  // and nothing else makes the whole file secret material (a key).
  const prefixes: string[] = []
  let wholeFile = false
  for (const l of [...lines(d.after), ...lines(d.before)]) {
    const at = m.find(l)
    if (!at || !/^\*+["';,]?$/.test(maskString(l.slice(at.index), secrets).trimEnd())) continue
    const prefix = l.slice(0, at.index)
    if (prefix.trim() === '') wholeFile = true
    else prefixes.push(prefix)
  }
  const side = (text: string, other: string, placeholder: string): string => {
    if (text === '') return text
    if (wholeFile) return placeholder
    const same = new Set(lines(other))
    const maskLine = (l: string): string => {
      // A line with a known secret masks just that (its closing quote stays); one without may hold the old secret.
      const p = same.has(l) || m.find(l) ? undefined : prefixes.find((x) => l.startsWith(x) && l.length > x.length)
      const shown = p !== undefined ? p + MASK : maskString(l, secrets)
      // An old secret line and its new one look the same once masked: the new one says it changed
      // (as supervisor's diffs do).
      return shown !== l && !same.has(l) && other !== '' && placeholder === SECRET_AFTER ? `${shown} (changed)` : shown
    }
    return lines(text).map(maskLine).join('\n')
  }
  return { ...d, before: side(d.before, d.after, SECRET_BEFORE), after: side(d.after, d.before, SECRET_AFTER) }
}

const isDiff = (v: Record<string, unknown>): v is { before: string; after: string } => typeof v.before === 'string' && typeof v.after === 'string'

/** A copy of any value with every secret inside its strings masked (file diffs as maskFileDiff). */
export function maskDeep<T>(v: T, secrets: ReadonlySet<string>): T {
  if (secrets.size === 0) return v
  if (typeof v === 'string') return maskString(v, secrets) as T
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, secrets)) as T
  if (v !== null && typeof v === 'object') {
    const src = isDiff(v as Record<string, unknown>) ? maskFileDiff(v as unknown as { before: string; after: string }, secrets) : (v as Record<string, unknown>)
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(src)) out[k] = maskDeep(x, secrets)
    return out as T
  }
  return v
}
