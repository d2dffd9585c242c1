// to_json/from_json/to_yaml/from_yaml as Ansible's (Python json and PyYAML) write them.
import { createRequire } from 'node:module'
import type { Fn } from './filters-types.js'
import { isPlainObject } from './python.js'
import { pyYamlDump } from './yaml-dump.js'
import { FilterError, fromEngine, splitKwargs } from './values.js'

// loaded when a template parses YAML: a load-time check never does
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml')

function jsonString(s: string, ensureAscii: boolean): string {
  const j = JSON.stringify(s)
  return ensureAscii ? j.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : j
}

/** Python's json.dumps with its separators, indent and sort_keys. */
export function pyJsonDumps(v: unknown, o: { indent?: number; sortKeys?: boolean; ensureAscii?: boolean; itemSep?: string } = {}): string {
  const ensureAscii = o.ensureAscii !== false
  const itemSep = o.itemSep ?? (o.indent !== undefined ? ',' : ', ')
  const walk = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null'
    if (typeof x === 'boolean') return String(x)
    if (typeof x === 'number') return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
    if (typeof x === 'string') return jsonString(x, ensureAscii)
    const nl = o.indent !== undefined ? '\n' + ' '.repeat(o.indent * (depth + 1)) : ''
    const end = o.indent !== undefined ? '\n' + ' '.repeat(o.indent * depth) : ''
    if (Array.isArray(x)) return x.length === 0 ? '[]' : '[' + nl + x.map((e) => walk(e, depth + 1)).join(itemSep + nl) + end + ']'
    if (isPlainObject(x)) {
      let keys = Object.keys(x)
      if (keys.length === 0) return '{}'
      if (o.sortKeys) keys = keys.sort()
      return '{' + nl + keys.map((k) => jsonString(k, ensureAscii) + ': ' + walk(x[k], depth + 1)).join(itemSep + nl) + end + '}'
    }
    throw new FilterError(`Object of type ${typeof x} is not JSON serializable`)
  }
  return walk(v, 0)
}

export const dataFilters: Record<string, Fn> = {
  to_json: (v, ...rest) => {
    const { kw } = splitKwargs(rest, ['indent', 'sort_keys', 'ensure_ascii'])
    return pyJsonDumps(fromEngine(v), {
      indent: kw.indent === undefined ? undefined : Number(kw.indent),
      sortKeys: kw.sort_keys === true,
      ensureAscii: kw.ensure_ascii !== false,
    })
  },
  to_nice_json: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['indent', 'sort_keys', 'ensure_ascii'])
    return pyJsonDumps(fromEngine(v), {
      indent: Number(kw.indent ?? pos[0] ?? 4),
      sortKeys: kw.sort_keys !== false,
      ensureAscii: kw.ensure_ascii !== false,
      itemSep: ',',
    })
  },
  from_json: (v) => {
    try {
      return JSON.parse(String(fromEngine(v)))
    } catch (e) {
      throw new FilterError(`from_json: ${(e as Error).message}`)
    }
  },
  to_yaml: (v, ...rest) => {
    const { kw } = splitKwargs(rest, ['indent', 'default_flow_style'])
    return pyYamlDump(fromEngine(v), { indent: Number(kw.indent ?? 2), flowLeaves: kw.default_flow_style !== false })
  },
  to_nice_yaml: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['indent', 'width'])
    return pyYamlDump(fromEngine(v), { indent: Number(kw.indent ?? pos[0] ?? 4), flowLeaves: false })
  },
  from_yaml: (v) => (typeof v === 'string' ? (yaml().parse(v) ?? null) : fromEngine(v)),
  from_yaml_all: (v) =>
    yaml()
      .parseAllDocuments(String(v))
      .map((d) => d.toJS()),
}
