// Ansible's lookup()/query()/q() and the lookups roles use most: env, file, vars, items, lines,
// template, dict, first_found. They read the controller, as Ansible's do; none runs JavaScript.
import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join } from 'node:path'
import { subelementsOf } from './filters-collections.js'
import type { Fn } from './filters-types.js'
import { isPlainObject } from './python.js'
import { FilterError, fromEngine, splitKwargs } from './values.js'
import { pythonPercent } from './percent-format.js'

export interface LookupContext {
  vars: Record<string, unknown>
  /** where file/template/first_found look for relative paths, in order (e.g. role files/, playbook dir) */
  searchPaths: string[]
  renderFile: (path: string) => string
  /** first_found's subdirectory: a with_first_found loop on include_vars looks in vars/, on template in templates/ */
  subdir?: string
  /** a variable the template does not name literally (`lookup('vars', name)`), read when asked */
  resolve?: (name: string) => unknown
  /** `hostvars[host]` or `hostvars[host][attr]`, read when asked (rewrite.ts); undefined when absent */
  hostvar?: (host: string, attr?: string) => unknown
}

function find(ctx: LookupContext, name: string, sub: string): string {
  if (isAbsolute(name)) {
    if (existsSync(name)) return name
    throw new FilterError(`could not locate file in lookup: ${name}`)
  }
  for (const dir of ctx.searchPaths) {
    for (const p of [join(dir, sub, name), join(dir, name)]) if (existsSync(p)) return p
  }
  throw new FilterError(`could not locate file in lookup: ${name}`)
}

type Lookup = (ctx: LookupContext, terms: unknown[], kw: Record<string, unknown>) => unknown[]

const LOOKUPS: Record<string, Lookup> = {
  env: (_c, terms, kw) => terms.map((t) => process.env[String(t)] ?? (kw.default !== undefined ? kw.default : '')),
  file: (c, terms, kw) =>
    terms.map((t) => {
      let s = readFileSync(find(c, String(t), 'files'), 'utf8')
      if (kw.rstrip !== false) s = s.trimEnd()
      if (kw.lstrip === true) s = s.trimStart()
      return s
    }),
  vars: (c, terms, kw) =>
    terms.map((t) => {
      const name = String(t)
      if (Object.prototype.hasOwnProperty.call(c.vars, name)) return c.vars[name]
      const v = c.resolve?.(name)
      if (v !== undefined) return v
      if (kw.default !== undefined) return kw.default
      throw new FilterError(`No variable found with this name: ${name}`)
    }),
  items: (_c, terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (_c, terms) => terms,
  dict: (_c, terms) =>
    terms.flatMap((t) => {
      if (!isPlainObject(t)) throw new FilterError('with_dict expects a dict')
      return Object.entries(t).map(([key, value]) => ({ key, value }))
    }),
  lines: (_c, terms) =>
    terms.flatMap((t) =>
      execFileSync('/bin/sh', ['-c', String(t)], { encoding: 'utf8' })
        .split('\n')
        .filter((l, i, a) => i < a.length - 1 || l !== ''),
    ),
  template: (c, terms) => terms.map((t) => c.renderFile(find(c, String(t), 'templates'))),
  pipe: (_c, terms) => terms.map((t) => execFileSync('/bin/sh', ['-c', String(t)], { encoding: 'utf8' }).trimEnd()),
  fileglob: (c, terms) =>
    terms.flatMap((t) => {
      const pattern = String(t)
      const dirs = isAbsolute(pattern) ? [''] : c.searchPaths.flatMap((d) => [join(d, 'files'), d])
      for (const d of dirs) {
        const hits = globFiles(d ? join(d, pattern) : pattern)
        if (hits.length > 0) return hits
      }
      return []
    }),
  indexed_items: (_c, terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])).map((x, i) => [i, x]),
  together: (_c, terms) => {
    const lists = terms.map((t) => (Array.isArray(t) ? t : [t]))
    const n = Math.max(0, ...lists.map((l) => l.length))
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)))
  },
  nested: (_c, terms) => terms.map((t) => (Array.isArray(t) ? t : [t])).reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]),
  subelements: (_c, terms, kw) => {
    const [list, key, flags] = terms
    const skip = kw.skip_missing === true || (isPlainObject(flags) && flags.skip_missing === true)
    return subelementsOf(list, String(key), skip)
  },
  sequence: (_c, terms) => terms.flatMap((t) => sequenceOf(String(t))),
  password: (c, terms) => terms.map((t) => storedPassword(c, String(t))),
  first_found: (c, terms, kw) => {
    const { names, skip } = firstFoundTerms(terms, kw)
    const sub = typeof kw._subdir === 'string' ? kw._subdir : 'files'
    for (const n of names) {
      try {
        return [find(c, n, sub)]
      } catch {
        /* next */
      }
    }
    if (skip || kw.errors === 'ignore') return []
    throw new FilterError(`No file was found when using first_found. Looked for: ${names.join(', ')}`)
  },
}

/**
 * The names first_found tries, in order (Ansible's _process_terms): a string term as it is, a list
 * term's own terms, a mapping's `files` under each of its `paths` (split on `,;` and `,:;`).
 */
function firstFoundTerms(terms: unknown[], kw: Record<string, unknown>): { names: string[]; skip: boolean } {
  const split = (v: unknown, on: RegExp): string[] =>
    Array.isArray(v) ? v.flatMap((x) => split(x, on)) : v === undefined || v === null ? [] : String(v).split(on)
  let names: string[] = []
  let skip = kw.skip === true
  for (const t of terms) {
    if (Array.isArray(t)) {
      const inner = firstFoundTerms(t, kw)
      names.push(...inner.names)
      skip = inner.skip
      continue
    }
    const opts = isPlainObject(t) ? t : kw
    skip = opts.skip === true
    const files = split(opts.files, /[,;]/)
    const paths = split(opts.paths, /[,:;]/)
    if (paths.length) names.push(...paths.flatMap((p) => files.map((f) => join(p, f))))
    else if (files.length)
      names = files // as Ansible: a mapping's files replace what came before
    else names.push(String(t))
  }
  return { names, skip }
}

/** Files (not directories) matching `*`, `?` and `[...]` in the last part of a path, as fileglob returns them. */
function globFiles(pattern: string): string[] {
  const dir = dirname(pattern)
  const re = new RegExp(
    '^' +
      basename(pattern)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]') +
      '$',
  )
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile())
    .sort()
}

/** with_sequence / lookup('sequence', 'start=1 end=5 format=web%02d') and the `1-5` short form. */
function sequenceOf(spec: string): string[] {
  const kv: Record<string, string> = {}
  const short = /^\s*(\d+)-(\d+)(?:\/(\d+))?(?::(\S+))?\s*$/.exec(spec)
  if (short) Object.assign(kv, { start: short[1], end: short[2], stride: short[3] ?? '1', format: short[4] ?? '%d' })
  else for (const m of spec.matchAll(/(\w+)=(\S+)/g)) kv[m[1]] = m[2]
  const start = Number(kv.start ?? 1)
  const stride = Number(kv.stride ?? 1)
  const end = kv.count !== undefined ? start + (Number(kv.count) - 1) * stride : Number(kv.end)
  if (!Number.isFinite(end) || stride === 0) throw new FilterError(`sequence: bad arguments ${spec}`)
  const out: string[] = []
  for (let i = start; stride > 0 ? i <= end : i >= end; i += stride) out.push(pythonPercent(kv.format ?? '%d', i, false))
  return out
}

const PASSWORD_CHARS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
}

/**
 * Ansible's password lookup: the password lives in a controller file (created on first use with
 * `length` characters from `chars`, default letters, digits and `.,:-_`), so every run reads the same.
 */
function storedPassword(c: LookupContext, term: string): string {
  const [path, ...params] = term.trim().split(/\s+/)
  const kv = Object.fromEntries(params.map((p) => p.split('=', 2) as [string, string]))
  const file = isAbsolute(path) ? path : join(c.searchPaths[0] ?? process.cwd(), path)
  if (path !== '/dev/null' && existsSync(file))
    return readFileSync(file, 'utf8')
      .split('\n')[0]
      .replace(/ salt=.*$/, '')
  const length = Number(kv.length ?? 20)
  const chars = (kv.chars ?? 'ascii_letters,digits,.,:-_')
    .split(',')
    .map((x) => PASSWORD_CHARS[x] ?? x)
    .join('')
  const pw = Array.from({ length }, () => chars[randomInt(chars.length)]).join('')
  if (path !== '/dev/null') {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, pw + '\n', { mode: 0o600 })
  }
  return pw
}

export function lookupGlobals(current: () => LookupContext): Record<string, Fn> {
  const run = (wantlist: boolean, name: unknown, rest: unknown[]) => {
    const lookup = LOOKUPS[String(name)]
    if (!lookup) throw new FilterError(`lookup plugin (${String(name)}) not found`)
    const { pos, kw } = splitKwargs(rest, ['default', 'wantlist', 'errors', 'rstrip', 'lstrip', 'skip', 'files', 'paths', 'skip_missing', '_subdir'])
    const out = lookup(current(), pos, kw)
    if (wantlist || kw.wantlist === true) return out
    // Ansible joins a lookup's results with commas unless one asks for the list
    if (out.every((x) => typeof x === 'string')) return out.join(',')
    return out.length === 1 ? out[0] : out
  }
  return {
    lookup: (name, ...rest) => run(false, name, rest),
    query: (name, ...rest) => run(true, name, rest),
    q: (name, ...rest) => run(true, name, rest),
  }
}

/** Whether `lookup('name', ...)` names a lookup rm-play has (checked at load time). */
export function isLookup(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LOOKUPS, name)
}
