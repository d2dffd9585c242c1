// Ansible's lookup()/query()/q() and the lookups roles use most: env, file, vars, items, lines,
// template, dict, first_found. They read the controller, as Ansible's do; none runs JavaScript.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import type { Fn } from './filters-types.js'
import { isPlainObject, pyStr } from './python.js'
import { FilterError, fromEngine, splitKwargs } from './values.js'

export interface LookupContext {
  vars: Record<string, unknown>
  /** where file/template/first_found look for relative paths, in order (e.g. role files/, playbook dir) */
  searchPaths: string[]
  renderFile: (path: string) => string
}

function find(ctx: LookupContext, name: string, sub: string): string {
  if (isAbsolute(name)) return name
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
    terms.flatMap((t) => execFileSync('/bin/sh', ['-c', String(t)], { encoding: 'utf8' }).split('\n').filter((l, i, a) => i < a.length - 1 || l !== '')),
  template: (c, terms) => terms.map((t) => c.renderFile(find(c, String(t), 'templates'))),
  first_found: (c, terms, kw) => {
    const names = terms.flatMap((t) => (Array.isArray(t) ? t : isPlainObject(t) ? ((t.files as unknown[]) ?? []) : [t])).map(String)
    for (const n of names) {
      try {
        return [find(c, n, 'files')]
      } catch {
        /* next */
      }
    }
    if (kw.skip === true || kw.errors === 'ignore') return []
    throw new FilterError(`No file was found when using first_found. Looked for: ${names.join(', ')}`)
  },
}

export function lookupGlobals(current: () => LookupContext): Record<string, Fn> {
  const run = (wantlist: boolean, name: unknown, rest: unknown[]) => {
    const lookup = LOOKUPS[String(name)]
    if (!lookup) throw new FilterError(`lookup plugin (${String(name)}) not found`)
    const { pos, kw } = splitKwargs(rest, ['default', 'wantlist', 'errors', 'rstrip', 'lstrip', 'skip', 'files', 'paths'])
    const out = lookup(current(), pos, kw)
    if (wantlist || kw.wantlist === true) return out
    // Ansible joins a lookup's results with commas unless one asks for the list
    if (out.every((x) => typeof x === 'string')) return out.join(',')
    return out.length === 1 ? out[0] : out
  }
  return {
    lookup: (name, ...rest) => run(false, name, rest.map((x) => x)),
    query: (name, ...rest) => run(true, name, rest),
    q: (name, ...rest) => run(true, name, rest),
  }
}

export { fromEngine, pyStr }
