// include_vars `dir:` as ansible-core 2.14's action plugin walks it: os.walk (symlinked
// directories listed, not entered), the directories sorted by path, `depth` counting the
// directories of that sorted walk (not their nesting, as Ansible counts), each one's files sorted
// by name, `files_matching` searched in the name, `ignore_files` patterns anchored at its end.
import { readdirSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'

export interface DirOptions {
  depth?: number
  files_matching?: string
  ignore_files?: unknown
  extensions?: unknown
  ignore_unknown_extensions?: boolean
}

export const DEFAULT_EXTENSIONS = ['yaml', 'yml', 'json']

/** Load-time (and run-time) checks of the dir options: what Ansible would fail on, said up front. */
export function dirOptionProblems(a: DirOptions): string[] {
  const problems: string[] = []
  if (a.extensions !== undefined && !(Array.isArray(a.extensions) && a.extensions.every((e) => typeof e === 'string')))
    problems.push('extensions must be a list of strings')
  if (a.ignore_files !== undefined && typeof a.ignore_files !== 'string' && !Array.isArray(a.ignore_files))
    problems.push('ignore_files must be a list (or a string of space-separated patterns)')
  for (const p of [a.files_matching, ...ignoredPatterns(a)]) if (typeof p === 'string' && !regexOf(p)) problems.push(`invalid regular expression: ${p}`)
  return problems
}

function ignoredPatterns(a: DirOptions): unknown[] {
  return typeof a.ignore_files === 'string' ? a.ignore_files.split(/\s+/).filter(Boolean) : Array.isArray(a.ignore_files) ? a.ignore_files : []
}

function regexOf(p: string, suffix = ''): RegExp | undefined {
  try {
    return new RegExp(p + suffix)
  } catch {
    return undefined
  }
}

/** os.walk(top) with followlinks=False: every directory reached, with its files (anything not a directory). */
function walk(top: string): { root: string; files: string[] }[] {
  const out: { root: string; files: string[] }[] = []
  const visit = (root: string) => {
    let entries
    try {
      entries = readdirSync(root, { withFileTypes: true })
    } catch {
      return // Ansible logs a directory it cannot read (at -vvv) and walks on
    }
    const files: string[] = []
    const dirs: string[] = []
    for (const e of entries) {
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(join(root, e.name), { throwIfNoEntry: false })?.isDirectory())
      if (!isDir) files.push(e.name)
      else if (!e.isSymbolicLink()) dirs.push(e.name)
    }
    out.push({ root, files })
    dirs.forEach((d) => visit(join(root, d)))
  }
  visit(top)
  return out
}

/** Python's str sort (by code point). */
const byCodePoint = (a: string, b: string) => {
  const x = [...a]
  const y = [...b]
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
  return x.length - y.length
}

/**
 * The files include_vars loads from `dir`, in order, or the error that stops it (Ansible's
 * message; `files` then holds those found before it).
 */
export function filesInDir(dir: string, a: DirOptions): { files: string[]; error?: string } {
  const extensions = (a.extensions as string[] | undefined) ?? DEFAULT_EXTENSIONS
  const matcher = a.files_matching ? regexOf(a.files_matching) : undefined
  const ignored = ignoredPatterns(a).map((p) => regexOf(String(p), '$')!)
  const validExt = (name: string) => extensions.includes(extname(name).slice(1))
  const depth = a.depth ?? 0
  const files: string[] = []
  const dirs = walk(dir).sort((x, y) => byCodePoint(x.root, y.root))
  for (const [i, { root, files: names }] of dirs.entries()) {
    if (depth !== 0 && i + 1 > depth) break
    for (const name of names.sort(byCodePoint)) {
      if (matcher && !matcher.test(name)) continue
      const path = join(root, name)
      if (!statSync(path, { throwIfNoEntry: false }) || ignored.some((r) => r.test(name))) continue
      if (!validExt(name)) {
        if (a.ignore_unknown_extensions) continue
        return { files, error: `${path} does not have a valid extension: ${extensions.join(', ')}` }
      }
      files.push(path)
    }
  }
  return { files }
}
