// The metadata files of a wheel (PEP 427 / PEP 491), made from what a Debian python3-* package
// installs: its .dist-info, or its .egg-info (PKG-INFO + requires.txt), and its Depends line.
// Pure text in, text out.
import { createHash } from 'node:crypto'

/** PEP 503 normalised project name: lowercase, runs of `-_.` as one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** The name as it appears in a wheel's file name and .dist-info directory (PEP 427 escaping). */
export function wheelNamePart(name: string): string {
  return name.replace(/[-_.]+/g, '_')
}

/**
 * Requires-Dist values from an egg-info requires.txt: the unnamed section as is; `[extra]`,
 * `[:marker]` and `[extra:marker]` sections with their extra and marker joined in.
 */
export function requiresFromEggInfo(text: string): string[] {
  const out: string[] = []
  let extra = ''
  let marker = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const section = /^\[([^\]:]*)(?::(.*))?\]$/.exec(line)
    if (section) {
      extra = section[1]!.trim()
      marker = (section[2] ?? '').trim()
      continue
    }
    const conds = [...(marker ? [`(${marker})`] : []), ...(extra ? [`extra == "${extra}"`] : [])]
    const [req, own] = line.split(';').map((s) => s.trim())
    const all = [...(own ? [`(${own})`] : []), ...conds]
    out.push(all.length ? `${req}; ${all.join(' and ')}` : req!)
  }
  return out
}

/**
 * The Python projects a Debian package's Depends line names (python3-NAME → NAME). Alternatives
 * that a recent python3 meets (`python3-importlib-metadata | python3 (>> 3.8)`) are not needed and
 * left out. Debian sometimes strips install_requires from the egg-info and keeps them only here.
 */
export function requiresFromDebDepends(depends: string): string[] {
  const out: string[] = []
  for (const entry of depends.split(',').map((s) => s.trim())) {
    if (!entry || entry.includes('|')) continue
    const m = /^python3-([a-z0-9][a-z0-9.+-]*)(?::any)?(?:\s*\(.*\))?$/.exec(entry)
    if (m) out.push(m[1]!)
  }
  return out
}

/** `requires` plus those of `more` whose project is not named there yet. */
export function mergeRequires(requires: string[], more: string[]): string[] {
  const project = (r: string) => normalizeName(/^[A-Za-z0-9._-]+/.exec(r)?.[0] ?? r)
  const have = new Set(requires.filter((r) => !r.includes('extra ==')).map(project))
  return [...requires, ...more.filter((m) => !have.has(project(m)))]
}

/**
 * METADATA from PKG-INFO (or a dist-info METADATA): its header keeps its fields but Requires-Dist,
 * which become `requires`; the body (the description) stays.
 */
export function renderMetadata(pkgInfo: string, requires: string[]): string {
  const [head, ...body] = pkgInfo.replace(/\r\n/g, '\n').split('\n\n')
  // A PKG-INFO without a description ends with its header (no blank line): no empty header line.
  const lines = head!.replace(/\n+$/, '').split('\n')
  const kept: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^Requires-Dist:/i.test(line)) {
      while (i + 1 < lines.length && /^\s/.test(lines[i + 1]!)) i++ // its continuation lines
      continue
    }
    kept.push(line.replace(/^Metadata-Version: (1\.\d|2\.0)$/, 'Metadata-Version: 2.1'))
  }
  const header = [...kept, ...requires.map((r) => `Requires-Dist: ${r}`)].join('\n')
  return `${[header, ...body].join('\n\n').replace(/\n*$/, '')}\n`
}

export function renderWheelFile(tag: string): string {
  return [
    'Wheel-Version: 1.0',
    'Generator: rm-play lab (from a Debian package)',
    'Root-Is-Purelib: ' + String(tag.endsWith('none-any')),
    `Tag: ${tag}`,
    '',
  ].join('\n')
}

/** A RECORD line's hash: sha256, urlsafe base64 without padding (PEP 376/427). */
export function recordHash(content: Buffer): string {
  return `sha256=${createHash('sha256').update(content).digest('base64url')}`
}

/** RECORD: every file with its hash and size, and RECORD itself without. */
export function renderRecord(files: { path: string; content: Buffer }[], recordPath: string): string {
  const csv = (p: string) => (/[",\n]/.test(p) ? `"${p.replace(/"/g, '""')}"` : p)
  const rows = files.map((f) => `${csv(f.path)},${recordHash(f.content)},${f.content.length}`)
  return `${[...rows, `${csv(recordPath)},,`].join('\n')}\n`
}

/** The Requires-Dist values of a METADATA or PKG-INFO header. */
export function requiresFromMetadata(text: string): string[] {
  const head = text.replace(/\r\n/g, '\n').split('\n\n')[0]!
  return [...head.matchAll(/^Requires-Dist:\s*(.+)$/gim)].map((m) => m[1]!.trim())
}

/** A header field of METADATA or PKG-INFO (Name, Version). */
export function metadataField(text: string, field: string): string | undefined {
  const head = text.replace(/\r\n/g, '\n').split('\n\n')[0]!
  return new RegExp(`^${field}:\\s*(.+)$`, 'im').exec(head)?.[1]?.trim()
}

/**
 * The wheel tag for files built for one CPython (`_x.cpython-311-x86_64-linux-gnu.so` →
 * `cp311-cp311-linux_x86_64`), or `py3-none-any` when there is no extension module.
 */
export function wheelTag(paths: string[]): string {
  for (const p of paths) {
    const m = /\.cpython-(\d+)-([a-z0-9_]+)-linux-gnu\.so$/.exec(p)
    if (m) return `cp${m[1]}-cp${m[1]}-linux_${m[2]}`
  }
  return 'py3-none-any'
}
