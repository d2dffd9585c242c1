// Python's `'fmt' % args` (printf-style formatting), for the `%` shim of rewrite.ts.
import { isPlainObject, pyRepr, pyStr } from './python.js'

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s
  if (left) return s.padEnd(width)
  if (zero) {
    const sign = /^[+\- ]/.test(s) ? s[0] : ''
    return sign + s.slice(sign.length).padStart(width - sign.length, '0')
  }
  return s.padStart(width)
}

function toNumber(v: unknown, conv: string): number {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  throw new TypeError(`%${conv} format: a real number is required, not ${typeof v === 'string' ? 'str' : typeof v}`)
}

export function pythonPercent(fmt: string, args: unknown, isTuple: boolean): string {
  const list = isTuple && Array.isArray(args) ? args : [args]
  const named = !isTuple && isPlainObject(args) ? args : undefined
  let next = 0
  const out = fmt.replace(/%(\([^)]*\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g, (_m, key, flags: string, w, p, conv: string) => {
    if (conv === '%') return '%'
    const take = () => {
      if (next >= list.length) throw new TypeError('not enough arguments for format string')
      return list[next++]
    }
    const width = w === '*' ? Number(take()) : w ? Number(w) : 0
    const prec = p === '*' ? Number(take()) : p !== undefined ? Number(p) : undefined
    const v = key ? (named ?? {})[key.slice(1, -1)] : take()
    if (key && (!named || !(key.slice(1, -1) in named))) throw new TypeError(`format requires a mapping with key ${key}`)
    const left = flags.includes('-')
    const zero = flags.includes('0') && !left
    const sign = (n: number, s: string) => (n >= 0 && !s.startsWith('-') ? (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s : s)
    let s: string
    switch (conv) {
      case 's':
        s = pyStr(v)
        if (prec !== undefined) s = s.slice(0, prec)
        return pad(s, width, left, false)
      case 'r':
      case 'a':
        return pad(pyRepr(v), width, left, false)
      case 'c':
        return pad(typeof v === 'number' ? String.fromCodePoint(v) : String(v), width, left, false)
      case 'd':
      case 'i':
      case 'u': {
        const n = Math.trunc(toNumber(v, conv))
        return pad(sign(n, String(n)), width, left, zero)
      }
      case 'o':
      case 'x':
      case 'X': {
        const n = Math.trunc(toNumber(v, conv))
        let t = Math.abs(n).toString(conv === 'o' ? 8 : 16)
        if (conv === 'X') t = t.toUpperCase()
        if (flags.includes('#')) t = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + t
        return pad(sign(n, (n < 0 ? '-' : '') + t), width, left, zero)
      }
      case 'e':
      case 'E': {
        const n = toNumber(v, conv)
        s = n.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2')
        return pad(sign(n, conv === 'E' ? s.toUpperCase() : s), width, left, zero)
      }
      case 'f':
      case 'F': {
        const n = toNumber(v, conv)
        return pad(sign(n, n.toFixed(prec ?? 6)), width, left, zero)
      }
      default: {
        // g/G: shortest of %e and %f as Python chooses them
        const n = toNumber(v, conv)
        const P = prec === 0 ? 1 : (prec ?? 6)
        const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)))
        s = exp < -4 || exp >= P ? n.toExponential(P - 1).replace(/e([+-])(\d)$/, 'e$10$2') : n.toFixed(Math.max(0, P - 1 - exp))
        if (!flags.includes('#')) s = s.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1')
        return pad(sign(n, conv === 'G' ? s.toUpperCase() : s), width, left, zero)
      }
    }
  })
  if (!named && next < list.length) throw new TypeError('not all arguments converted during string formatting')
  return out
}
