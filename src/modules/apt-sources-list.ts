// Ansible's SourcesList (ansible/modules/apt_repository.py), line for line where it decides
// anything: how a line is parsed (enabled, source, comment), how a file is written back, which
// file a new repository goes to, and what adding or removing a line does. Pure: files in, files out.
import { SOURCES_PARTS, type SourcesFile } from '../probes/apt-sources.js'

export interface SourceLine {
  valid: boolean
  enabled: boolean
  source: string
  comment: string
}

const TYPES = ['deb', 'deb-src']
const words = (s: string) => s.split(/\s+/).filter(Boolean)

/** SourcesList._parse. */
export function parseSourceLine(raw: string): SourceLine {
  let line = raw.trim()
  let enabled = true
  let comment = ''
  if (line.startsWith('#')) {
    enabled = false
    line = line.slice(1)
  }
  const i = line.indexOf('#')
  if (i > 0) {
    comment = line.slice(i + 1).trim()
    line = line.slice(0, i)
  }
  let source = line.trim()
  let valid = false
  if (source && TYPES.includes(words(source)[0]!)) {
    valid = true
    source = words(source).join(' ')
  }
  return { valid, enabled, source, comment }
}

/** The repository line as Ansible takes it (a disabled or invalid one is refused with this message). */
export function repoSource(repo: string): string {
  const p = parseSourceLine(repo)
  if (!p.valid || !p.enabled) {
    let line = repo.trim()
    if (line.startsWith('#')) line = line.slice(1)
    const i = line.indexOf('#')
    throw new Error(`Invalid repository string: ${i > 0 ? line.slice(0, i) : line}`)
  }
  return p.source
}

/** Python's file iteration: lines split after each newline (\n, \r\n or \r). */
export function parseSourcesText(text: string): SourceLine[] {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.map(parseSourceLine)
}

/** SourcesList.dump for one file: how Ansible writes it back. */
export function dumpSources(lines: SourceLine[]): string {
  return lines.map((l) => `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`).join('')
}

/** SourcesList._suggest_filename + _expand_path: the file a new repository line goes to. */
export function suggestPath(source: string, filename?: string): string {
  let name = filename
  if (name === undefined) {
    const line = source.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '')
    const parts = words(line).filter((p) => !TYPES.includes(p))
    let first = parts[0] ?? ''
    if (first.includes('@')) first = first.slice(first.indexOf('@') + 1)
    name = words(first.replace(/[^a-zA-Z0-9]/g, ' ')).join('_')
  }
  const file = `${name}.list`
  return file.includes('/') ? file : `${SOURCES_PARTS}/${file}`
}

/** The parsed files, keyed by path, in the order the probe listed them. */
export type Sources = Map<string, SourceLine[]>

export function loadSources(files: SourcesFile[]): Sources {
  return new Map(files.map((f) => [f.path, parseSourcesText(f.content)]))
}

export interface Edited {
  after: Sources
  /** Files a line was appended to (Ansible's new_repos: only they get `mode`). */
  appended: Set<string>
}

const copy = (s: Sources): Sources => new Map([...s].map(([k, v]) => [k, v.map((l) => ({ ...l }))]))

/** add_source: enable every line (even a commented-out one) that is this source, or append it. */
export function addSource(before: Sources, source: string, path: string): Edited {
  const after = copy(before)
  let found = false
  for (const lines of after.values())
    for (const l of lines)
      if (l.valid && l.source === source) {
        l.enabled = true
        found = true
      }
  const appended = new Set<string>()
  if (!found) {
    after.set(path, [...(after.get(path) ?? []), { valid: true, enabled: true, source, comment: '' }])
    appended.add(path)
  }
  return { after, appended }
}

/** remove_source: drop every enabled line that is this source; a file left with no line goes. */
export function removeSource(before: Sources, source: string): Edited {
  const after = copy(before)
  for (const [path, lines] of after)
    after.set(
      path,
      lines.filter((l) => !(l.valid && l.enabled && l.source === source)),
    )
  return { after, appended: new Set() }
}

/** dump(): each file with at least one line, as Ansible would write it. */
export function dumpAll(s: Sources): Map<string, string> {
  return new Map([...s].filter(([, lines]) => lines.length).map(([p, lines]) => [p, dumpSources(lines)]))
}
