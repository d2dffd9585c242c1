// Values crossing the WASM boundary: MiniJinja hands dicts to our filters as JS Maps (and keyword
// arguments as a trailing Map); we work on plain objects and hand plain objects back.
import { isPlainObject, setKey } from './python.js'

export function fromEngine(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {}
    for (const [k, x] of v) setKey(o, String(k), fromEngine(x))
    return o
  }
  if (Array.isArray(v)) return v.map(fromEngine)
  return v
}

/**
 * Splits a filter's arguments into positional ones and keyword ones. MiniJinja passes `f(a, k=1)`
 * as `[a, Map{k:1}]`, the same as `f(a, {'k': 1})`: a trailing Map counts as keywords only when
 * every key is one the filter knows as a keyword.
 */
export function splitKwargs(args: unknown[], known: string[]): { pos: unknown[]; kw: Record<string, unknown> } {
  const last = args[args.length - 1]
  if (last instanceof Map && last.size > 0 && [...last.keys()].every((k) => known.includes(String(k)))) {
    return { pos: args.slice(0, -1).map(fromEngine), kw: fromEngine(last) as Record<string, unknown> }
  }
  return { pos: args.map(fromEngine), kw: {} }
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  if (typeof v === 'string') return 'str'
  if (Array.isArray(v)) return 'list'
  if (isPlainObject(v)) return 'dict'
  return typeof v
}

export class FilterError extends Error {}
