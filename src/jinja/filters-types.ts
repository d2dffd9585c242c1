// Ansible's type filters: bool, int, float, ternary, type_debug, mandatory, and the helpers the
// rewrite shims call (ansible_get, ansible_percent, ansible_finalize).
import { ansibleLiteral, isPlainObject, pyStr, pyTruthy } from './python.js'
import { pythonPercent } from './percent-format.js'
import { FilterError, fromEngine, splitKwargs, typeName } from './values.js'

export type Fn = (...args: any[]) => unknown

/** Ansible's bool filter (module_utils boolean with strict=False). */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (v === null || v === undefined) return false
  const s = String(typeof v === 'string' ? v.trim() : v).toLowerCase()
  return ['y', 'yes', 'on', '1', 'true', 't', '1.0'].includes(s)
}

function toInt(v: unknown, dflt = 0, base = 10): number {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return Math.trunc(v)
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '')
    const n = base === 10 && /^[+-]?\d+$/.test(s) ? parseInt(s, 10) : base !== 10 ? parseInt(s.replace(/^0[xob]/i, ''), base) : NaN
    if (!Number.isNaN(n)) return n
    const f = Number(s) // Jinja's int tries float() next
    return s !== '' && Number.isFinite(f) ? Math.trunc(f) : dflt
  }
  return dflt
}

function toFloat(v: unknown, dflt = 0): number {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v.trim()))) return Number(v.trim())
  return dflt
}

export const typeFilters: Record<string, Fn> = {
  bool: (v) => toBool(fromEngine(v)),
  int: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['default', 'base'])
    return toInt(fromEngine(v), Number(kw.default ?? pos[0] ?? 0), Number(kw.base ?? pos[1] ?? 10))
  },
  float: (v, d) => toFloat(fromEngine(v), d === undefined ? 0 : Number(d)),
  ternary: (v, yes, no, none) => {
    if ((v === null || v === undefined) && none !== undefined) return fromEngine(none)
    return pyTruthy(fromEngine(v)) ? fromEngine(yes) : fromEngine(no)
  },
  type_debug: (v) => typeName(fromEngine(v)),
  mandatory: (v, msg) => {
    // MiniJinja gives filters none and undefined alike: a null value counts as missing here
    if (v === undefined || v === null) throw new FilterError(msg ? String(msg) : 'Mandatory variable not defined.')
    return fromEngine(v)
  },
  ansible_get: (obj, key, dflt) => {
    const o = fromEngine(obj)
    const k = fromEngine(key)
    if (!isPlainObject(o)) throw new FilterError(`'${typeName(o)}' object has no attribute 'get'`)
    const kk = typeof k === 'string' ? k : pyStr(k)
    return Object.prototype.hasOwnProperty.call(o, kk) ? o[kk] : dflt === undefined ? null : fromEngine(dflt)
  },
  ansible_finalize: (v, defined) => {
    // Ansible's finalize: undefined is an error (strict), None prints as ''
    if (v === undefined && defined === false) throw new FilterError('undefined value')
    if (v === undefined || v === null) return ''
    return pyStr(fromEngine(v))
  },
}

export const typeGlobals: Record<string, Fn> = {
  ansible_percent: (fmt, args, isTuple) => pythonPercent(String(fmt), fromEngine(args), isTuple === true),
}

export { ansibleLiteral }
