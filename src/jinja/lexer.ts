// Splits a Jinja template into text and tags, and an expression into tokens, the way Jinja2's
// lexer does (a tag ends at its closing delimiter only outside strings and brackets), so that
// rewrite.ts can change expressions token by token without ever evaluating anything.

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'raw'; text: string } // {% raw %}...{% endraw %} and {# comments #}, copied verbatim
  | { kind: 'var' | 'block'; open: string; body: string; close: string }

export type TokenKind = 'space' | 'string' | 'number' | 'name' | 'op'
export interface Token {
  kind: TokenKind
  text: string
}

const OPS = ['//', '**', '==', '!=', '<=', '>=', '(', ')', '[', ']', '{', '}', '.', ',', ':', '|', '~', '+', '-', '*', '/', '%', '<', '>', '=']

export class JinjaSyntaxError extends Error {}

/** Tokens of an expression; `afterDot` makes `x.0.1` two integer attributes, as Jinja reads it. */
export function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  const lastSignificant = (): Token | undefined => {
    for (let k = out.length - 1; k >= 0; k--) if (out[k].kind !== 'space') return out[k]
    return undefined
  }
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      let j = i
      while (j < src.length && /\s/.test(src[j])) j++
      out.push({ kind: 'space', text: src.slice(i, j) })
      i = j
    } else if (c === "'" || c === '"') {
      let j = i + 1
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1
      if (j >= src.length) throw new JinjaSyntaxError(`unterminated string in: ${src}`)
      out.push({ kind: 'string', text: src.slice(i, j + 1) })
      i = j + 1
    } else if (/[0-9]/.test(c)) {
      const afterDot = lastSignificant()?.text === '.'
      const m = afterDot ? /^[0-9]+/.exec(src.slice(i)) : /^[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))
      out.push({ kind: 'number', text: m![0] })
      i += m![0].length
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!
      out.push({ kind: 'name', text: m[0] })
      i += m[0].length
    } else {
      const op = OPS.find((o) => src.startsWith(o, i))
      if (!op) throw new JinjaSyntaxError(`unexpected character ${JSON.stringify(c)} in: ${src}`)
      out.push({ kind: 'op', text: op })
      i += op.length
    }
  }
  return out
}

/** Index just past the end of a tag body starting at `from`, or -1: `}}`/`%}` outside strings and brackets. */
function findClose(src: string, from: number, close: '}}' | '%}'): number {
  let depth = 0
  let i = from
  while (i < src.length) {
    const c = src[i]
    if (c === "'" || c === '"') {
      let j = i + 1
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1
      i = j + 1
      continue
    }
    if (depth === 0 && (src.startsWith(close, i) || src.startsWith('-' + close, i) || src.startsWith('+' + close, i))) return i
    if (c === '(' || c === '[' || c === '{') depth++
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1)
    i++
  }
  return -1
}

const RAW_START = /^\{%[-+]?\s*raw\s*[-+]?%\}/
const RAW_END = /\{%[-+]?\s*endraw\s*[-+]?%\}/

export function splitTemplate(src: string): Part[] {
  const parts: Part[] = []
  let i = 0
  let textStart = 0
  const flushText = (end: number) => {
    if (end > textStart) parts.push({ kind: 'text', text: src.slice(textStart, end) })
  }
  while (i < src.length) {
    const two = src.slice(i, i + 2)
    if (two === '{#') {
      const end = src.indexOf('#}', i + 2)
      if (end < 0) throw new JinjaSyntaxError('unterminated comment {# ... #}')
      flushText(i)
      parts.push({ kind: 'raw', text: src.slice(i, end + 2) })
      i = textStart = end + 2
    } else if (two === '{%' && RAW_START.test(src.slice(i))) {
      const rest = src.slice(i)
      const m = RAW_END.exec(rest)
      if (!m) throw new JinjaSyntaxError('unterminated {% raw %} block')
      flushText(i)
      parts.push({ kind: 'raw', text: rest.slice(0, m.index + m[0].length) })
      i = textStart = i + m.index + m[0].length
    } else if (two === '{{' || two === '{%') {
      const close = two === '{{' ? '}}' : '%}'
      let bodyStart = i + 2
      if (src[bodyStart] === '-' || src[bodyStart] === '+') bodyStart++
      const end = findClose(src, bodyStart, close)
      if (end < 0) throw new JinjaSyntaxError(`unterminated ${two} ... ${close}`)
      const closeLen = src[end] === '-' || src[end] === '+' ? 3 : 2
      flushText(i)
      parts.push({
        kind: two === '{{' ? 'var' : 'block',
        open: src.slice(i, bodyStart),
        body: src.slice(bodyStart, end),
        close: src.slice(end, end + closeLen),
      })
      i = textStart = end + closeLen
    } else i++
  }
  flushText(src.length)
  return parts
}
