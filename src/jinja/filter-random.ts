// Ansible's `random` and `shuffle` filters (ansible/plugins/filter/core.py: rand, randomize_list).
// With a seed they draw from Python's random.Random(seed) (python-random.ts), so the value is
// Ansible's own; without one, from the system's entropy as Ansible's SystemRandom does.
import { randomInt } from 'node:crypto'
import type { Fn } from './filters-types.js'
import { pyTruthy } from './python.js'
import { PyRandom, type PySeed } from './python-random.js'
import { FilterError, fromEngine, splitKwargs, typeName } from './values.js'

/** What `below(n)` and `shuffle` need: Python's seeded generator, or the system's entropy. */
interface Source {
  below(n: number): number
}

function sourceFor(seed: unknown): Source {
  if (seed === undefined || seed === null) return { below: (n) => randomInt(n) }
  if (typeof seed === 'string' || typeof seed === 'number' || typeof seed === 'bigint' || typeof seed === 'boolean') {
    const r = new PyRandom(seed as PySeed)
    return { below: (n) => r.randbelow(n) }
  }
  throw new FilterError(`The only supported seed types are: None, int, float, str, bytes, and bytearray (got ${typeName(seed)})`)
}

const isInt = (v: unknown): v is number => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'boolean'

export const random: Fn = (value, ...rest) => {
  const { pos, kw } = splitKwargs(rest, ['start', 'step', 'seed'])
  const end = fromEngine(value)
  const [start, step] = [kw.start ?? pos[0], kw.step ?? pos[1]]
  const src = sourceFor(kw.seed ?? pos[2])
  if (isInt(end)) {
    // core.py: `if not start: start = 0`, `if not step: step = 1`
    const [a, s] = [pyTruthy(start) ? start : 0, pyTruthy(step) ? step : 1]
    if (!isInt(a) || !isInt(s)) throw new FilterError('non-integer arg for randrange()')
    const [from, by, to] = [Number(a), Number(s), Number(end)]
    // Python's randrange, step by step (its error texts included)
    const width = to - from
    if (by === 0) throw new FilterError('zero step for randrange()')
    const n = by === 1 ? width : by > 0 ? Math.floor((width + by - 1) / by) : Math.floor((width + by + 1) / by)
    if (n <= 0) throw new FilterError(by === 1 ? `empty range for randrange() (${from}, ${to}, ${width})` : 'empty range for randrange()')
    return from + by * src.below(n)
  }
  if (typeof end === 'string' || Array.isArray(end)) {
    if (pyTruthy(start) || pyTruthy(step)) throw new FilterError('start and step can only be used with integer values')
    const items = typeof end === 'string' ? [...end] : end
    if (items.length === 0) throw new FilterError('Cannot choose from an empty sequence')
    return items[src.below(items.length)] // Python's choice
  }
  // a dict is iterable but Python's choice indexes it by position: a KeyError in Ansible too
  if (end !== null && typeof end === 'object') throw new FilterError('random: a dict cannot be indexed by position (KeyError in Python)')
  throw new FilterError('random can only be used on sequences and integers')
}

/** randomize_list: a new list; a falsy seed shuffles unseeded, and any error leaves the value as it was. */
export const shuffle: Fn = (value, ...rest) => {
  const { pos, kw } = splitKwargs(rest, ['seed'])
  const v = fromEngine(value)
  const seed = kw.seed ?? pos[0]
  const items = typeof v === 'string' ? [...v] : Array.isArray(v) ? [...v] : v !== null && typeof v === 'object' ? Object.keys(v) : undefined
  if (!items) return v
  let src: Source
  try {
    src = sourceFor(pyTruthy(seed) ? seed : undefined)
  } catch {
    return items
  }
  // Python's shuffle: from the end, each element swapped with one at or before it
  for (let i = items.length - 1; i > 0; i--) {
    const j = src.below(i + 1)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}
