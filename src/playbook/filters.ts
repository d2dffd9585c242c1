// The Jinja filters and tests Ansible users reach for most, as plain functions. `x | f(a)` is
// translated to `__f.f(x, a)`; `x is t(a)` to `__t.t(() => x, a)`.
import { parseBool } from './bool.js'
import { createHash } from 'node:crypto'
import { basename, dirname } from 'node:path'
import { parse as parseYamlText, stringify as toYamlText } from 'yaml'

/** `omit`: an argument whose value is omit is left out, as in Ansible. */
export const OMIT = Object.freeze({ __omit__: true })

/** Runs a thunk where undefined variables are allowed (default, is defined, ??, typeof). */
export type Guard = <T>(fn: () => T) => T | undefined

type Dict = Record<string, unknown>

const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : typeof v === 'string' ? [...v] : isDict(v) ? Object.keys(v) : [v])
const kw = (args: unknown[]): Dict => (isDict(args[args.length - 1]) && (args[args.length - 1] as Dict).__kw__ ? (args.pop() as Dict) : {})

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  if (isDict(v)) return Object.keys(v).length > 0
  return Boolean(v)
}

function compareVersions(a: string, b: string): number {
  const pa = String(a).split(/[.\-+~]/)
  const pb = String(b).split(/[.\-+~]/)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0'
    const y = pb[i] ?? '0'
    const nx = Number(x)
    const ny = Number(y)
    const c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y)
    if (c !== 0) return Math.sign(c)
  }
  return 0
}

function resultOf(v: unknown): Dict {
  return isDict(v) ? v : {}
}

export function makeTests(guard: Guard): Record<string, (thunk: () => unknown, ...args: unknown[]) => boolean> {
  const val = (thunk: () => unknown) => thunk()
  return {
    defined: (t) => guard(t) !== undefined,
    undefined: (t) => guard(t) === undefined,
    none: (t) => val(t) === null,
    truthy: (t) => truthy(val(t)),
    falsy: (t) => !truthy(val(t)),
    changed: (t) => resultOf(val(t)).changed === true,
    failed: (t) => resultOf(val(t)).failed === true,
    succeeded: (t) => resultOf(val(t)).failed !== true,
    success: (t) => resultOf(val(t)).failed !== true,
    skipped: (t) => resultOf(val(t)).skipped === true,
    string: (t) => typeof val(t) === 'string',
    number: (t) => typeof val(t) === 'number',
    integer: (t) => Number.isInteger(val(t)),
    float: (t) => typeof val(t) === 'number' && !Number.isInteger(val(t)),
    boolean: (t) => typeof val(t) === 'boolean',
    mapping: (t) => isDict(val(t)),
    sequence: (t) => Array.isArray(val(t)) || typeof val(t) === 'string',
    iterable: (t) => Array.isArray(val(t)) || typeof val(t) === 'string' || isDict(val(t)),
    equalto: (t, x) => val(t) === x,
    eq: (t, x) => val(t) === x,
    match: (t, re) => new RegExp(`^(?:${String(re)})`).test(String(val(t))),
    search: (t, re) => new RegExp(String(re)).test(String(val(t))),
    regex: (t, re) => new RegExp(String(re)).test(String(val(t))),
    contains: (t, x) => list(val(t)).includes(x),
    in: (t, xs) => list(xs).includes(val(t)),
    version: (t, v, op = '>=') => {
      const c = compareVersions(String(val(t)), String(v))
      const o = String(op)
      return o === '>=' || o === 'ge' ? c >= 0 : o === '>' || o === 'gt' ? c > 0 : o === '<=' || o === 'le' ? c <= 0 : o === '<' || o === 'lt' ? c < 0 : o === '!=' || o === 'ne' ? c !== 0 : c === 0
    },
  }
}

/** `a in b`: membership in a list or string, key of a mapping (Jinja's meaning, not JS's). */
export function inOperator(a: unknown, b: unknown): boolean {
  if (typeof b === 'string') return b.includes(String(a))
  if (Array.isArray(b)) return b.some((x) => x === a)
  if (isDict(b)) return Object.prototype.hasOwnProperty.call(b, String(a))
  return false
}

export function makeFilters(guard: Guard, tests: ReturnType<typeof makeTests>): Record<string, (...args: any[]) => unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dflt = (thunk: () => unknown, d: unknown = '', boolean: unknown = false) => {
    const v = guard(thunk)
    if (v === undefined) return d
    if (boolean === true && !truthy(v)) return d
    return v
  }
  const attr = (o: unknown, path: string) => String(path).split('.').reduce<unknown>((x, k) => (isDict(x) || Array.isArray(x) ? (x as Dict)[k] : undefined), o)
  const testBy = (name: string, args: unknown[]) => (x: unknown) => {
    if (!name) return truthy(x)
    const t = tests[name]
    if (!t) throw new Error(`unknown test '${name}'`)
    return t(() => x, ...args)
  }
  const filters: Record<string, (...args: any[]) => unknown> = { // eslint-disable-line @typescript-eslint/no-explicit-any
    default: dflt,
    d: dflt,
    mandatory: (v: unknown, msg?: string) => {
      if (v === undefined) throw new Error(msg ?? 'mandatory variable is not defined')
      return v
    },
    lower: (v: unknown) => String(v).toLowerCase(),
    upper: (v: unknown) => String(v).toUpperCase(),
    capitalize: (v: unknown) => String(v).charAt(0).toUpperCase() + String(v).slice(1).toLowerCase(),
    title: (v: unknown) => String(v).replace(/\b\w/g, (c) => c.toUpperCase()),
    trim: (v: unknown) => String(v).trim(),
    string: (v: unknown) => (typeof v === 'string' ? v : isDict(v) || Array.isArray(v) ? JSON.stringify(v) : String(v)),
    int: (v: unknown, d = 0) => {
      const n = parseInt(String(v), 10)
      return isNaN(n) ? d : n
    },
    float: (v: unknown, d = 0) => {
      const n = parseFloat(String(v))
      return isNaN(n) ? d : n
    },
    // Lenient like Ansible's filter: anything that is not a yes spelling is false.
    bool: (v: unknown) => parseBool(v) ?? false,
    abs: (v: unknown) => Math.abs(Number(v)),
    round: (v: unknown, p = 0) => Math.round(Number(v) * 10 ** Number(p)) / 10 ** Number(p),
    length: (v: unknown) => (isDict(v) ? Object.keys(v).length : list(v).length),
    count: (v: unknown) => (isDict(v) ? Object.keys(v).length : list(v).length),
    join: (v: unknown, sep = '') => list(v).join(String(sep)),
    split: (v: unknown, sep: unknown = ' ') => String(v).split(String(sep)),
    first: (v: unknown) => list(v)[0],
    last: (v: unknown) => list(v).at(-1),
    min: (v: unknown) => list(v).reduce((a, b) => ((a as number) < (b as number) ? a : b)),
    max: (v: unknown) => list(v).reduce((a, b) => ((a as number) > (b as number) ? a : b)),
    sum: (v: unknown, start = 0) => list(v).reduce<number>((a, b) => a + Number(b), Number(start)),
    unique: (v: unknown) => [...new Set(list(v))],
    sort: (v: unknown, ...args: unknown[]) => {
      const k = kw(args)
      const by = (k.attribute as string | undefined) ?? undefined
      const out = [...list(v)].sort((a, b) => {
        const x = by ? attr(a, by) : a
        const y = by ? attr(b, by) : b
        return x === y ? 0 : (x as number) < (y as number) ? -1 : 1
      })
      return (args[0] ?? k.reverse) === true ? out.reverse() : out
    },
    reverse: (v: unknown) => (typeof v === 'string' ? [...v].reverse().join('') : [...list(v)].reverse()),
    list: (v: unknown) => list(v),
    flatten: (v: unknown, levels = Infinity) => list(v).flat(Number(levels)),
    union: (a: unknown, b: unknown) => [...new Set([...list(a), ...list(b)])],
    intersect: (a: unknown, b: unknown) => list(a).filter((x) => list(b).includes(x)),
    difference: (a: unknown, b: unknown) => list(a).filter((x) => !list(b).includes(x)),
    zip: (a: unknown, ...rest: unknown[]) => list(a).map((x, i) => [x, ...rest.map((r) => list(r)[i])]),
    dict2items: (v: unknown) => Object.entries(isDict(v) ? v : {}).map(([key, value]) => ({ key, value })),
    items2dict: (v: unknown, ...args: unknown[]) => {
      const k = kw(args)
      const kn = String(k.key_name ?? 'key')
      const vn = String(k.value_name ?? 'value')
      return Object.fromEntries(list(v).map((x) => [String((x as Dict)[kn]), (x as Dict)[vn]]))
    },
    combine: (...dicts: unknown[]) => {
      const k = kw(dicts)
      const merge = (a: Dict, b: Dict): Dict => {
        const out: Dict = { ...a }
        for (const [key, val] of Object.entries(b)) out[key] = k.recursive && isDict(out[key]) && isDict(val) ? merge(out[key] as Dict, val) : val
        return out
      }
      return dicts.reduce<Dict>((a, b) => merge(a, isDict(b) ? b : {}), {})
    },
    map: (v: unknown, ...args: unknown[]) => {
      const k = kw(args)
      if (k.attribute !== undefined) return list(v).map((x) => attr(x, String(k.attribute)) ?? k.default)
      const name = String(args[0])
      const f = filters[name]
      if (!f) throw new Error(`map: unknown filter '${name}'`)
      return list(v).map((x) => (name === 'default' || name === 'd' ? f(() => x, ...args.slice(1)) : f(x, ...args.slice(1))))
    },
    select: (v: unknown, name = '', ...args: unknown[]) => list(v).filter(testBy(String(name), args)),
    reject: (v: unknown, name = '', ...args: unknown[]) => list(v).filter((x) => !testBy(String(name), args)(x)),
    selectattr: (v: unknown, a: string, name = '', ...args: unknown[]) => list(v).filter((x) => testBy(String(name), args)(attr(x, a))),
    rejectattr: (v: unknown, a: string, name = '', ...args: unknown[]) => list(v).filter((x) => !testBy(String(name), args)(attr(x, a))),
    replace: (v: unknown, a: unknown, b: unknown = '') => String(v).split(String(a)).join(String(b)),
    regex_replace: (v: unknown, re: unknown, to: unknown = '', ...args: unknown[]) => {
      const k = kw(args)
      return String(v).replace(new RegExp(String(re), `g${k.ignorecase ? 'i' : ''}${k.multiline ? 'm' : ''}`), String(to).replace(/\\(\d)/g, '$$$1'))
    },
    regex_search: (v: unknown, re: unknown) => {
      const m = new RegExp(String(re)).exec(String(v))
      return m ? m[0] : null
    },
    regex_findall: (v: unknown, re: unknown) => [...String(v).matchAll(new RegExp(String(re), 'g'))].map((m) => (m.length > 1 ? m[1] : m[0])),
    regex_escape: (v: unknown) => String(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    to_json: (v: unknown) => JSON.stringify(v),
    to_nice_json: (v: unknown, ...args: unknown[]) => JSON.stringify(v, null, Number(kw(args).indent ?? 4)),
    from_json: (v: unknown) => JSON.parse(String(v)),
    to_yaml: (v: unknown) => toYamlText(v),
    to_nice_yaml: (v: unknown) => toYamlText(v, { indent: 2 }),
    from_yaml: (v: unknown) => parseYamlText(String(v)),
    b64encode: (v: unknown) => Buffer.from(String(v)).toString('base64'),
    b64decode: (v: unknown) => Buffer.from(String(v), 'base64').toString('utf8'),
    basename: (v: unknown) => basename(String(v)),
    dirname: (v: unknown) => dirname(String(v)),
    quote: (v: unknown) => shlexQuote(v),
    hash: (v: unknown, algo = 'sha1') => createHash(String(algo)).update(String(v)).digest('hex'),
    checksum: (v: unknown) => createHash('sha1').update(String(v)).digest('hex'),
    ternary: (v: unknown, a: unknown, b: unknown, n?: unknown) => (v === null && n !== undefined ? n : truthy(v) ? a : b),
    items: (v: unknown) => Object.entries(isDict(v) ? v : {}),
    dict: (v: unknown) => Object.fromEntries(list(v) as [string, unknown][]),
    comment: (v: unknown) => String(v).split('\n').map((l) => `# ${l}`).join('\n'),
    version_compare: (v: unknown, other: unknown, op = '>=') => tests.version!(() => v, other, op),
  }
  return filters
}

/** The names the translator accepts; the functions are built per evaluation scope. */
export const FILTER_NAMES: ReadonlySet<string> = new Set(Object.keys(makeFilters((f) => f(), makeTests((f) => f()))))
export const TEST_NAMES: ReadonlySet<string> = new Set(Object.keys(makeTests((f) => f())))

/**
 * Ansible's `quote` filter, byte for byte: Python's shlex.quote of the value as text (None is '').
 * Text for a shell that the playbook builds itself; rm-play's own scripts use src/shell/.
 */
export function shlexQuote(v: unknown): string {
  const text = v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)
  if (text === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text
  return `'${text.replace(/'/g, `'"'"'`)}'`
}
