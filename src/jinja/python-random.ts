// Python's `random.Random(seed)` (CPython 3.11): the Mersenne Twister, its seeding and the
// draw Ansible's `random` and `shuffle` filters make (`_randbelow`), so a seeded pick is the very value
// Ansible gives (`{{ 60 | random(seed=inventory_hostname) }}` in a cron minute must not move
// when a host changes tools).
import { createHash } from 'node:crypto'

const N = 624
const M = 397

/** The seeds Python accepts: an int (its absolute value is used), a str or bytes (version 2). */
export type PySeed = number | bigint | boolean | string | Uint8Array

export class PyRandom {
  private readonly mt = new Uint32Array(N)
  private mti = N + 1

  constructor(seed: PySeed) {
    this.initByArray(keyOf(seed))
  }

  private initGenrand(s: number): void {
    const mt = this.mt
    mt[0] = s >>> 0
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30)
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0
    }
    this.mti = N
  }

  private initByArray(key: number[]): void {
    const mt = this.mt
    this.initGenrand(19650218)
    let i = 1
    let j = 0
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30)
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0
      i++
      j++
      if (i >= N) {
        mt[0] = mt[N - 1]
        i = 1
      }
      if (j >= key.length) j = 0
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30)
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0
      i++
      if (i >= N) {
        mt[0] = mt[N - 1]
        i = 1
      }
    }
    mt[0] = 0x80000000
  }

  /** genrand_uint32 of CPython's _randommodule.c. */
  private next32(): number {
    const mt = this.mt
    if (this.mti >= N) {
      let kk = 0
      const mag = (y: number) => (y & 1 ? 0x9908b0df : 0)
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff)
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ mag(y)
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff)
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ mag(y)
      }
      const y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff)
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ mag(y)
      this.mti = 0
    }
    let y = mt[this.mti++]
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** getrandbits(k): 32-bit words, least significant first, the last one cut to size. */
  getrandbits(k: number): bigint {
    if (k <= 0) return 0n
    if (k <= 32) return BigInt(this.next32() >>> (32 - k))
    let out = 0n
    for (let shift = 0; k > 0; shift += 32, k -= 32) {
      let r = this.next32()
      if (k < 32) r >>>= 32 - k
      out |= BigInt(r) << BigInt(shift)
    }
    return out
  }

  /** _randbelow_with_getrandbits: rejection sampling on n's bit length. */
  randbelow(n: number): number {
    const k = n.toString(2).length
    let r = this.getrandbits(k)
    while (r >= BigInt(n)) r = this.getrandbits(k)
    return Number(r)
  }
}

/** The init_by_array key: abs(int) as 32-bit words, least significant first ([0] for 0). */
function keyOf(seed: PySeed): number[] {
  let n: bigint
  if (typeof seed === 'string' || seed instanceof Uint8Array) {
    const bytes = typeof seed === 'string' ? Buffer.from(seed, 'utf8') : Buffer.from(seed)
    const all = Buffer.concat([bytes, createHash('sha512').update(bytes).digest()])
    n = BigInt('0x' + all.toString('hex'))
  } else if (typeof seed === 'boolean') n = seed ? 1n : 0n
  else if (typeof seed === 'number') {
    // Python hashes a float seed; an integral float hashes to its int, which is all Jinja makes
    if (!Number.isInteger(seed)) throw new Error(`rm-play cannot seed Python's random with the float ${seed}`)
    n = BigInt(seed)
  } else n = seed
  if (n < 0n) n = -n
  const key: number[] = []
  for (; n > 0n; n >>= 32n) key.push(Number(n & 0xffffffffn))
  return key.length ? key : [0]
}
