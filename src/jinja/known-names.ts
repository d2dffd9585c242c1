// Load-time check of the names a template calls: every filter (`x | f`), test (`x is t`) and
// lookup (`lookup('env', ...)` with a literal name) must exist, so a typo is a load error at the
// template's position instead of a failure halfway through a run. Nothing is evaluated.
import type { Environment } from 'minijinja-js'
import { collectionFilters } from './filters-collections.js'
import { dataFilters } from './filters-data.js'
import { textFilters } from './filters-text.js'
import { typeFilters } from './filters-types.js'
import { splitTemplate, tokenize, type Token } from './lexer.js'
import { isLookup } from './lookups.js'
import { loadMiniJinja } from './minijinja.js'
import { shortName } from './fqcn.js'
import { ansibleTests } from './tests.js'

const OURS_FILTERS = new Set([...Object.keys({ ...typeFilters, ...collectionFilters, ...textFilters, ...dataFilters }), 'd', 'random', 'shuffle', 'json_query'])
const OURS_TESTS = new Set(Object.keys(ansibleTests))

// MiniJinja's own filters and tests, asked of a bare environment (no registered function runs).
let bare: Environment | undefined
const builtin = new Map<string, boolean>()
function isBuiltin(kind: 'filter' | 'test', name: string): boolean {
  const key = `${kind}:${name}`
  let known = builtin.get(key)
  if (known !== undefined) return known
  if (!bare) {
    const { Environment: Env } = loadMiniJinja()
    bare = new Env()
    bare.enablePyCompat()
  }
  try {
    bare.renderStr(kind === 'filter' ? `{{ none | ${name} }}` : `{{ none is ${name} }}`, {})
    known = true
  } catch (e) {
    known = !new RegExp(`unknown ${kind}`).test(String((e as Error).message ?? e))
  }
  builtin.set(key, known)
  return known
}

export interface UnknownName {
  kind: 'filter' | 'test' | 'lookup'
  name: string
}

const sig = (ts: Token[], k: number): number => {
  while (k < ts.length && ts[k].kind === 'space') k++
  return k
}

/** A dotted name starting at `k` (`ansible.builtin.to_json`), and the index after it. */
function dottedName(ts: Token[], k: number): { name: string; next: number } | undefined {
  if (ts[k]?.kind !== 'name') return undefined
  let name = ts[k].text
  let next = sig(ts, k + 1)
  while (ts[next]?.text === '.' && ts[sig(ts, next + 1)]?.kind === 'name') {
    const n = sig(ts, next + 1)
    name += '.' + ts[n].text
    next = sig(ts, n + 1)
  }
  return { name: shortName(name), next }
}

function stringValue(t: Token | undefined): string | undefined {
  return t?.kind === 'string' ? t.text.slice(1, -1) : undefined
}

/** The filters, tests and lookups a template names that do not exist. Syntax errors are left to the parser. */
export function unknownNames(source: string): UnknownName[] {
  const out: UnknownName[] = []
  const seen = new Set<string>()
  const add = (u: UnknownName) => {
    if (!seen.has(`${u.kind}:${u.name}`)) out.push(u)
    seen.add(`${u.kind}:${u.name}`)
  }
  let parts
  try {
    parts = splitTemplate(source)
  } catch {
    return out
  }
  for (const p of parts) {
    if (p.kind !== 'var' && p.kind !== 'block') continue
    let ts: Token[]
    try {
      ts = tokenize(p.body)
    } catch {
      continue
    }
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k]
      if (t.kind === 'op' && t.text === '|') {
        const d = dottedName(ts, sig(ts, k + 1))
        if (d && !OURS_FILTERS.has(d.name) && (d.name.includes('.') || !isBuiltin('filter', d.name))) add({ kind: 'filter', name: d.name })
      } else if (t.kind === 'name' && t.text === 'is' && ts[k - 1]?.kind === 'space') {
        let m = sig(ts, k + 1)
        if (ts[m]?.text === 'not') m = sig(ts, m + 1)
        const d = dottedName(ts, m)
        if (d && !OURS_TESTS.has(d.name) && (d.name.includes('.') || !isBuiltin('test', d.name))) add({ kind: 'test', name: d.name })
      } else if (t.kind === 'name' && ['lookup', 'query', 'q'].includes(t.text) && ts[sig(ts, k + 1)]?.text === '(') {
        const prev = ts
          .slice(0, k)
          .filter((x) => x.kind !== 'space')
          .pop()
        if (prev?.text === '.' || prev?.text === '|') continue
        const name = stringValue(ts[sig(ts, sig(ts, k + 1) + 1)])
        if (name !== undefined && !isLookup(name)) add({ kind: 'lookup', name })
      }
    }
  }
  return out
}
