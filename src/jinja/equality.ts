// Python equality and ordering for the set-like filters and sort keys (1 == 1.0 == True in Python).
import { isPlainObject } from './python.js'

export function pyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean') a = a ? 1 : 0
  if (typeof b === 'boolean') b = b ? 1 : 0
  if (a === b) return true
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEqual(a[k], b[k]))
  }
  return false
}

export function uniqueList(xs: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const x of xs) if (!out.some((y) => pyEqual(x, y))) out.push(x)
  return out
}

export const includes = (xs: unknown[], v: unknown) => xs.some((x) => pyEqual(x, v))
