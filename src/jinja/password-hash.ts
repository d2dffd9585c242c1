// Ansible's password_hash filter: SHA-crypt ($5$ sha256, $6$ sha512, Drepper's specification),
// with Ansible 2.14's default rounds (656000 for sha512: `$6$rounds=656000$salt$...`).
import { createHash, randomBytes } from 'node:crypto'
import { FilterError } from './values.js'

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

const SCHEMES = {
  sha512: {
    id: '6',
    algo: 'sha512',
    rounds: 656000,
    order: [
      [0, 21, 42],
      [22, 43, 1],
      [44, 2, 23],
      [3, 24, 45],
      [25, 46, 4],
      [47, 5, 26],
      [6, 27, 48],
      [28, 49, 7],
      [50, 8, 29],
      [9, 30, 51],
      [31, 52, 10],
      [53, 11, 32],
      [12, 33, 54],
      [34, 55, 13],
      [56, 14, 35],
      [15, 36, 57],
      [37, 58, 16],
      [59, 17, 38],
      [18, 39, 60],
      [40, 61, 19],
      [62, 20, 41],
    ],
    last: [63],
  },
  sha256: {
    id: '5',
    algo: 'sha256',
    rounds: 535000,
    order: [
      [0, 10, 20],
      [21, 1, 11],
      [12, 22, 2],
      [3, 13, 23],
      [24, 4, 14],
      [15, 25, 5],
      [6, 16, 26],
      [27, 7, 17],
      [18, 28, 8],
      [9, 19, 29],
    ],
    last: [31, 30],
  },
} as const

function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len)
  for (let i = 0; i < len; i++) out[i] = block[i % block.length]
  return out
}

function b64(w: number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) {
    s += ALPHABET[w & 0x3f]
    w >>>= 6
  }
  return s
}

export function shaCrypt(password: string, scheme: 'sha512' | 'sha256', salt: string, rounds: number): string {
  const { algo, order, last, id } = SCHEMES[scheme]
  const H = (...parts: Buffer[]) => {
    const h = createHash(algo)
    for (const p of parts) h.update(p)
    return h.digest()
  }
  const P = Buffer.from(password, 'utf8')
  const S = Buffer.from(salt.slice(0, 16), 'utf8')
  const B = H(P, S, P)
  const aParts = [P, S, repeatTo(B, P.length)]
  for (let n = P.length; n > 0; n >>= 1) aParts.push(n & 1 ? B : P)
  const A = H(...aParts)
  const DP = H(...Array.from({ length: P.length }, () => P))
  const Pstr = repeatTo(DP, P.length)
  const DS = H(...Array.from({ length: 16 + A[0] }, () => S))
  const Sstr = repeatTo(DS, S.length)
  let C = A
  for (let i = 0; i < rounds; i++) {
    const h = createHash(algo)
    h.update(i & 1 ? Pstr : C)
    if (i % 3) h.update(Sstr)
    if (i % 7) h.update(Pstr)
    h.update(i & 1 ? C : Pstr)
    C = h.digest()
  }
  let enc = ''
  for (const [a, b, c] of order) enc += b64((C[a] << 16) | (C[b] << 8) | C[c], 4)
  enc += last.length === 1 ? b64(C[last[0]], 2) : b64((C[last[0]] << 8) | C[last[1]], 3)
  // 5000 is crypt's implicit default: it is not written (Drepper's specification)
  return `$${id}$${rounds === 5000 ? '' : `rounds=${rounds}$`}${S.toString('utf8')}$${enc}`
}

export function passwordHash(password: string, hashtype = 'sha512', salt?: string, rounds?: number): string {
  const scheme = hashtype === 'sha512' || hashtype === 'sha512_crypt' ? 'sha512' : hashtype === 'sha256' || hashtype === 'sha256_crypt' ? 'sha256' : undefined
  if (!scheme) throw new FilterError(`password_hash: ${hashtype} is not supported (sha512, sha256)`)
  const s = salt ?? Array.from(randomBytes(16), (b) => ALPHABET[b & 0x3f]).join('')
  if (!/^[./0-9A-Za-z]*$/.test(s)) throw new FilterError('password_hash: the salt may only hold ./0-9A-Za-z')
  return shaCrypt(password, scheme, s, rounds ?? SCHEMES[scheme].rounds)
}
