// Ansible's `random` filter: `xs | random` picks an element, `n | random(start=, step=)` a number
// of range(start, n, step). With `seed`, the pick is the same on every run (a hash of the seed,
// not Python's Mersenne Twister: the value differs from Ansible's, its repeatability does not).
import { createHash, randomInt } from 'node:crypto'
import type { Fn } from './filters-types.js'
import { pyStr } from './python.js'
import { FilterError, fromEngine, splitKwargs } from './values.js'

function below(n: number, seed: unknown): number {
  if (seed === undefined || seed === null) return randomInt(n)
  const h = createHash('sha256').update(pyStr(seed)).digest()
  return Number(h.readBigUInt64BE(0) % BigInt(n))
}

export const random: Fn = (value, ...rest) => {
  const { pos, kw } = splitKwargs(rest, ['start', 'step', 'seed'])
  const v = fromEngine(value)
  const seed = kw.seed ?? pos[2]
  if (typeof v === 'number') {
    const start = Number(kw.start ?? pos[0] ?? 0)
    const step = Number(kw.step ?? pos[1] ?? 1)
    if (!Number.isInteger(v) || !Number.isInteger(start) || !Number.isInteger(step) || step === 0)
      throw new FilterError('random: start, end and step must be integers')
    const count = Math.ceil((v - start) / step)
    if (count <= 0) throw new FilterError(`empty range for randrange() (${start}, ${v})`)
    return start + step * below(count, seed)
  }
  const items = typeof v === 'string' ? [...v] : Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.keys(v) : undefined
  if (!items) throw new FilterError('random: needs a number or a sequence')
  if (items.length === 0) throw new FilterError('Cannot choose from an empty sequence')
  return items[below(items.length, seed)]
}
