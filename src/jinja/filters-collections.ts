// Ansible's filters on lists and dicts: combine, dict2items, items2dict, the set theory filters,
// flatten, zip, product, unique.
import { includes, uniqueList } from './equality.js'
import { isPlainObject, setKey } from './python.js'
import type { Fn } from './filters-types.js'
import { FilterError, fromEngine, splitKwargs, typeName } from './values.js'

type Dict = Record<string, unknown>

function asList(v: unknown, filter: string): unknown[] {
  const x = fromEngine(v)
  if (Array.isArray(x)) return x
  if (typeof x === 'string') return [...x]
  if (isPlainObject(x)) return Object.keys(x)
  throw new FilterError(`${filter}: expected a list, got ${typeName(x)}`)
}

/** Ansible's merge_hash (recursive, list_merge). */
function mergeHash(x: Dict, y: Dict, recursive: boolean, listMerge: string): Dict {
  const out: Dict = {}
  for (const [k, xv] of Object.entries(x)) setKey(out, k, xv)
  for (const [k, yv] of Object.entries(y)) {
    const own = Object.prototype.hasOwnProperty.call(out, k)
    const xv = own ? out[k] : undefined
    if (!own) setKey(out, k, yv)
    else if (recursive && isPlainObject(xv) && isPlainObject(yv)) setKey(out, k, mergeHash(xv, yv, recursive, listMerge))
    else if (Array.isArray(xv) && Array.isArray(yv)) {
      if (listMerge === 'keep') continue
      else if (listMerge === 'append') setKey(out, k, [...xv, ...yv])
      else if (listMerge === 'prepend') setKey(out, k, [...yv, ...xv])
      else if (listMerge === 'append_rp') setKey(out, k, [...xv.filter((e) => !includes(yv, e)), ...yv])
      else if (listMerge === 'prepend_rp') setKey(out, k, [...yv, ...xv.filter((e) => !includes(yv, e))])
      else setKey(out, k, yv)
    } else setKey(out, k, yv)
  }
  return out
}

const flat = (xs: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] =>
  xs.flatMap((e) => {
    if (skipNulls && (e === null || e === undefined || e === 'None' || e === 'null')) return []
    if (Array.isArray(e) && (levels === undefined || levels > 0)) return flat(e, levels === undefined ? undefined : levels - 1, skipNulls)
    return [e]
  })

/** Ansible's subelements: each item paired with each element of its list at `key` (a.b for nested). */
export function subelementsOf(v: unknown, key: string, skipMissing: boolean): unknown[][] {
  const items = isPlainObject(v) ? Object.values(v) : v
  if (!Array.isArray(items)) throw new FilterError('subelements works on a list or dict')
  const out: unknown[][] = []
  for (const item of items) {
    let sub: unknown = item
    for (const part of key.split('.')) {
      if (isPlainObject(sub) && part in sub) sub = sub[part]
      else if (skipMissing) {
        sub = undefined
        break
      } else throw new FilterError(`could not find '${key}' key in iterated item '${JSON.stringify(item)}'`)
    }
    if (sub === undefined) continue
    if (!Array.isArray(sub)) throw new FilterError(`the key ${key} should point to a list, got '${JSON.stringify(sub)}'`)
    for (const e of sub) out.push([item, e])
  }
  return out
}

export const collectionFilters: Record<string, Fn> = {
  combine: (first, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['recursive', 'list_merge'])
    const dicts = [fromEngine(first), ...pos].flatMap((d) => (Array.isArray(d) ? d : [d]))
    for (const d of dicts) if (!isPlainObject(d)) throw new FilterError(`failed to combine variables, expected dicts but got a '${typeName(d)}'`)
    const listMerge = String(kw.list_merge ?? 'replace')
    if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(listMerge))
      throw new FilterError(`merge_hash: 'list_merge' is invalid: ${listMerge}`)
    return (dicts as Dict[]).reduce((acc, d) => mergeHash(acc, d, kw.recursive === true, listMerge), {})
  },
  dict2items: (d, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['key_name', 'value_name'])
    const v = fromEngine(d)
    if (!isPlainObject(v)) throw new FilterError(`dict2items requires a dictionary, got ${typeName(v)} instead.`)
    const kn = String(kw.key_name ?? pos[0] ?? 'key')
    const vn = String(kw.value_name ?? pos[1] ?? 'value')
    return Object.entries(v).map(([k, x]) => ({ [kn]: k, [vn]: x }))
  },
  items2dict: (l, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['key_name', 'value_name'])
    const v = fromEngine(l)
    if (!Array.isArray(v)) throw new FilterError(`items2dict requires a list, got ${typeName(v)} instead.`)
    const kn = String(kw.key_name ?? pos[0] ?? 'key')
    const vn = String(kw.value_name ?? pos[1] ?? 'value')
    const out: Dict = {}
    for (const e of v) {
      if (!isPlainObject(e) || !(kn in e) || !(vn in e)) throw new FilterError(`items2dict requires each element to have '${kn}' and '${vn}' keys`)
      setKey(out, String(e[kn]), e[vn])
    }
    return out
  },
  unique: (v) => uniqueList(asList(v, 'unique')),
  union: (a, b) => uniqueList([...asList(a, 'union'), ...asList(b, 'union')]),
  intersect: (a, b) => {
    const bl = asList(b, 'intersect')
    return uniqueList(asList(a, 'intersect').filter((x) => includes(bl, x)))
  },
  difference: (a, b) => {
    const bl = asList(b, 'difference')
    return uniqueList(asList(a, 'difference').filter((x) => !includes(bl, x)))
  },
  symmetric_difference: (a, b) => {
    const al = asList(a, 'symmetric_difference')
    const bl = asList(b, 'symmetric_difference')
    return uniqueList([...al.filter((x) => !includes(bl, x)), ...bl.filter((x) => !includes(al, x))])
  },
  flatten: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['levels', 'skip_nulls'])
    const levels = kw.levels ?? pos[0]
    return flat(asList(v, 'flatten'), levels === undefined || levels === null ? undefined : Number(levels), (kw.skip_nulls ?? pos[1] ?? true) !== false)
  },
  zip: (a, ...others) => {
    const lists = [asList(a, 'zip'), ...others.map((o) => asList(o, 'zip'))]
    const n = Math.min(...lists.map((l) => l.length))
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]))
  },
  zip_longest: (a, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['fillvalue'])
    const lists = [asList(a, 'zip_longest'), ...pos.map((o) => asList(o, 'zip_longest'))]
    const n = Math.max(...lists.map((l) => l.length))
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : (kw.fillvalue ?? null))))
  },
  subelements: (v, key, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['skip_missing'])
    const skipMissing = (kw.skip_missing ?? pos[0]) === true
    return subelementsOf(fromEngine(v), String(key), skipMissing)
  },
  product: (a, ...others) =>
    [asList(a, 'product'), ...others.map((o) => asList(o, 'product'))].reduce<unknown[][]>(
      (acc, l) => acc.flatMap((prefix) => l.map((x) => [...prefix, x])),
      [[]],
    ),
}
