// A cache on disk of what loading computes from text alone: the parsed YAML of a file (with its
// positions) and the templates that passed the load-time check. Entries are keyed by a hash of
// the text and of the code that computes them (the compiled parser and Jinja checker, the yaml and
// minijinja-js versions, node's), so an entry can only ever be what the code would compute again;
// a new build starts a new cache (another build's, unused for a day, is removed). Errors are never cached (they are
// computed again, with their positions), vault-decrypted text never reaches it, and checked
// templates are stored as hashes only. Where: $RM_PLAY_CACHE_DIR, else
// $XDG_CACHE_HOME/rm-play, else ~/.cache/rm-play; RM_PLAY_CACHE=0 turns it off. Any failure to
// read or write it is a miss, never an error.
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from './cache-root.js'

/** More entries than this in one build's cache: it is emptied (edited files leave old entries). */
const MAX_ENTRIES = 5000
/** Another build's cache unused for this long is removed (two checkouts may take turns). */
const OLD_MS = 24 * 3600 * 1000
const BUILD_DIR = /^[0-9a-f]{20}$/

const here = dirname(fileURLToPath(import.meta.url))

/** The code whose output is cached: any change to it is a new cache. */
function codeHash(): string {
  const h = createHash('sha256').update(process.version)
  const require = createRequire(import.meta.url)
  for (const pkg of ['yaml', 'minijinja-js']) h.update(readFileSync(require.resolve(`${pkg}/package.json`)))
  const jinja = join(here, '..', 'jinja')
  const files = [
    ...readdirSync(jinja)
      .filter((f) => f.endsWith('.js'))
      .sort()
      .map((f) => join(jinja, f)),
    ...['yaml.js', 'yaml-tags.js', 'load-cache.js', 'checked-templates.js'].map((f) => join(here, f)),
  ]
  for (const f of files) h.update(f.slice(here.length)).update(readFileSync(f))
  return h.digest('hex').slice(0, 20)
}

interface Cache {
  dir: string
  checked?: Set<string>
  writable?: boolean
}

let cache: Cache | null | undefined
function open(): Cache | null {
  if (cache === undefined) {
    try {
      const r = cacheRoot()
      cache = r ? { dir: join(r, codeHash()) } : null
    } catch {
      cache = null
    }
  }
  return cache
}

/** Removes other builds' caches that nothing used for a day (only directories named like ours). */
function pruneOtherBuilds(c: Cache): void {
  const parent = dirname(c.dir)
  for (const d of readdirSync(parent)) {
    const p = join(parent, d)
    if (p !== c.dir && BUILD_DIR.test(d) && Date.now() - statSync(p).mtimeMs > OLD_MS) rmSync(p, { recursive: true, force: true })
  }
}

/** The first write of a process: the directory exists, old caches are gone, it is not too big. */
function writable(c: Cache): boolean {
  if (c.writable === undefined) {
    try {
      mkdirSync(dirname(c.dir), { recursive: true, mode: 0o700 })
      pruneOtherBuilds(c)
      mkdirSync(join(c.dir, 'yaml'), { recursive: true, mode: 0o700 })
      if (readdirSync(join(c.dir, 'yaml')).length > MAX_ENTRIES) {
        rmSync(c.dir, { recursive: true, force: true })
        mkdirSync(join(c.dir, 'yaml'), { recursive: true, mode: 0o700 })
        c.checked = new Set()
      }
      c.writable = true
    } catch {
      c.writable = false
    }
  }
  return c.writable
}

/** A hash of the parts, as a file name. */
export function cacheKey(...parts: string[]): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(p).update('\0')
  return h.digest('base64url').slice(0, 32)
}

/** The bytes stored under `key`, or undefined. */
export function readEntry(key: string): Buffer | undefined {
  const c = open()
  if (!c) return undefined
  try {
    return readFileSync(join(c.dir, 'yaml', key))
  } catch {
    return undefined
  }
}

/** Stores `data` under `key`, atomically (a concurrent reader sees all of it or nothing). */
export function writeEntry(key: string, data: Uint8Array): void {
  const c = open()
  if (!c || !writable(c)) return
  const file = join(c.dir, 'yaml', key)
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, data, { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    rmSync(tmp, { force: true })
  }
}

function checkedSet(c: Cache): Set<string> {
  if (!c.checked) {
    try {
      c.checked = new Set(readFileSync(join(c.dir, 'checked'), 'utf8').split('\n'))
    } catch {
      c.checked = new Set()
    }
  }
  return c.checked
}

/** Whether the check recorded under `key` passed before. */
export function passedBefore(key: string): boolean {
  const c = open()
  return !!c && checkedSet(c).has(key)
}

/** Records that the check under `key` passed (one line, appended: concurrent runs add, never clobber). */
export function recordPassed(key: string): void {
  const c = open()
  if (!c) return
  const set = checkedSet(c)
  if (set.has(key) || !writable(c)) return
  set.add(key)
  try {
    appendFileSync(join(c.dir, 'checked'), key + '\n', { mode: 0o600 })
  } catch {
    // a miss next time
  }
}

/** Forgets what was opened (tests point RM_PLAY_CACHE_DIR elsewhere between cases). */
export function resetLoadCache(): void {
  cache = undefined
}
