// Python's str()/repr() of template values and Ansible's literal_eval of a rendered string: the two
// halves of how Ansible 2.14 (jinja2_native=False) turns `{{ value }}` into text and back.

/** `o[k] = v` that keeps a key named `__proto__` as data (assignment would set the prototype). */
export function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + quote
}

function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan'
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf'
  return String(n)
}

export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') return reprNumber(v)
  if (typeof v === 'string') return reprString(v)
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']'
  if (isPlainObject(v))
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`)
        .join(', ') +
      '}'
    )
  return reprString(String(v))
}

export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v)
}

/** Python truthiness. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (isPlainObject(v)) return Object.keys(v).length > 0
  return true
}

class LiteralError extends Error {}

/** ast.literal_eval of Python literals (plus JSON's true/false/null, as Ansible's Json2Python allows). */
export function literalEval(src: string): unknown {
  let i = 0
  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++
  }
  const fail = (): never => {
    throw new LiteralError(src)
  }
  const value = (): unknown => {
    ws()
    const c = src[i]
    if (c === '[' || c === '(') return seq(c === '[' ? ']' : ')')
    if (c === '{') return dict()
    if (c === "'" || c === '"') {
      let s = str()
      ws()
      while (src[i] === "'" || src[i] === '"') {
        s += str()
        ws()
      }
      return s
    }
    const m = /^-?\s*(0[xX][0-9a-fA-F]+|[0-9][0-9_]*\.?[0-9_]*([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?)/.exec(src.slice(i))
    if (m) {
      i += m[0].length
      const t = m[0].replace(/[\s_]/g, '')
      return /0[xX]/.test(t) ? (t.startsWith('-') ? -parseInt(t.slice(3), 16) : parseInt(t.slice(2), 16)) : Number(t)
    }
    const w = /^[A-Za-z_]+/.exec(src.slice(i))
    if (w) {
      i += w[0].length
      const names: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null }
      if (w[0] in names) return names[w[0]]
    }
    return fail()
  }
  const str = (): string => {
    const q = src[i]
    let out = ''
    i++
    while (i < src.length && src[i] !== q) {
      if (src[i] === '\\') {
        const e = src[++i]
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' }
        if (e in simple) out += simple[e]
        else if (e === 'x') {
          out += String.fromCharCode(parseInt(src.slice(i + 1, i + 3), 16))
          i += 2
        } else if (e === 'u') {
          out += String.fromCharCode(parseInt(src.slice(i + 1, i + 5), 16))
          i += 4
        } else if (e === '\n') {
          /* line continuation */
        } else out += '\\' + e
        i++
      } else out += src[i++]
    }
    if (i >= src.length) fail()
    i++
    return out
  }
  const seq = (close: string): unknown[] => {
    const out: unknown[] = []
    i++
    ws()
    while (src[i] !== close) {
      out.push(value())
      ws()
      if (src[i] === ',') i++
      else if (src[i] !== close) fail()
      ws()
    }
    i++
    return out
  }
  const dict = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    i++
    ws()
    while (src[i] !== '}') {
      const k = value()
      ws()
      if (src[i] !== ':') fail()
      i++
      setKey(out, typeof k === 'string' ? k : pyStr(k), value())
      ws()
      if (src[i] === ',') i++
      else if (src[i] !== '}') fail()
      ws()
    }
    i++
    return out
  }
  const v = value()
  ws()
  if (i !== src.length) fail()
  return v
}

/** Ansible's ansible_eval_concat: a rendered string that looks like a list, dict or bool becomes one. */
export function ansibleLiteral(out: string): unknown {
  if (!(out.startsWith('{') || out.startsWith('[') || out === 'True' || out === 'False')) return out
  try {
    return literalEval(out)
  } catch (e) {
    if (e instanceof LiteralError) return out
    throw e
  }
}
