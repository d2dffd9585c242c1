// The expression language is JavaScript, with the Jinja forms Ansible users type every day
// translated to it: `x | default('a') | upper` (filters), `and` / `or` / `not`, `a in b`,
// `a not in b`, `x is defined`, `r is changed` (tests), True/False/None. Everything else is plain JS.

type Tok =
  | { t: 'str'; text: string } // '…', "…" or `…` (template literals are left untouched)
  | { t: 'id'; text: string }
  | { t: 'num'; text: string }
  | { t: 'ws'; text: string }
  | { t: 'op'; text: string }
  | { t: 'expr'; text: string } // already translated, acts as one operand
  | { t: 'group'; open: string; close: string; items: Tok[] }

const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}' }
const OPS = ['===', '!==', '...', '?.', '??', '**', '==', '!=', '<=', '>=', '&&', '||', '=>', '++', '--']

export class ExpressionSyntaxError extends Error {}

function tokenize(src: string): Tok[] {
  let i = 0
  const parse = (close?: string): Tok[] => {
    const out: Tok[] = []
    while (i < src.length) {
      const c = src[i]!
      if (close && c === close) {
        i++
        return out
      }
      if (c === ')' || c === ']' || c === '}') throw new ExpressionSyntaxError(`unexpected '${c}'`)
      if (PAIRS[c]) {
        i++
        out.push({ t: 'group', open: c, close: PAIRS[c]!, items: parse(PAIRS[c]) })
        continue
      }
      if (c === '"' || c === "'" || c === '`') {
        let j = i + 1
        while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1
        if (j >= src.length) throw new ExpressionSyntaxError(`unterminated string starting at column ${i + 1}`)
        out.push({ t: 'str', text: c === '`' ? src.slice(i, j + 1) : jinjaEscapes(src.slice(i, j + 1)) })
        i = j + 1
        continue
      }
      const m = /^\s+/.exec(src.slice(i)) ?? /^[A-Za-z_$][\w$]*/.exec(src.slice(i)) ?? /^(\d[\d_]*(\.\d+)?([eE][-+]?\d+)?|\.\d+)/.exec(src.slice(i))
      if (m) {
        const text = m[0]
        out.push({ t: /^\s/.test(text) ? 'ws' : /^[A-Za-z_$]/.test(text) ? 'id' : 'num', text })
        i += text.length
        continue
      }
      const op = OPS.find((o) => src.startsWith(o, i)) ?? c
      out.push({ t: 'op', text: op })
      i += op.length
    }
    if (close) throw new ExpressionSyntaxError(`missing '${close}'`)
    return out
  }
  return parse()
}

/**
 * Jinja (Python) keeps a backslash it does not know as it is: '\s+' is backslash-s-plus, as
 * regex_replace and search expect; JavaScript would drop it ('\s' === 's').
 */
function jinjaEscapes(lit: string): string {
  return lit.replace(/\\([\s\S])/g, (whole, ch: string) => (/^[nrtbfv0xu'"\\\n]$/.test(ch) ? whole : `\\\\${ch}`))
}

function emit(toks: Tok[]): string {
  return toks.map((t) => (t.t === 'group' ? t.open + emit(t.items) + t.close : t.text)).join('')
}

// No prototype: a variable named `constructor` or `toString` is a name, not Object's method.
const WORDS: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { and: '&&', or: '||', not: '!', True: 'true', False: 'false', None: 'null', none: 'null' })

function isDot(t: Tok | undefined): boolean {
  return t?.t === 'op' && (t.text === '.' || t.text === '?.')
}

/** Index where the operand that ends just before `end` starts (a primary with its member chain). */
function operandStart(items: Tok[], end: number): number {
  let i = end - 1
  while (i >= 0 && items[i]!.t === 'ws') i--
  let start = i + 1
  while (i >= 0) {
    const t = items[i]!
    if (t.t === 'group' && t.open !== '{') {
      start = i
      i--
      if (t.open === '(' && i >= 0 && (items[i]!.t === 'id' || items[i]!.t === 'group')) continue
      if (t.open === '[' && i >= 0 && (items[i]!.t === 'id' || items[i]!.t === 'group' || items[i]!.t === 'str')) continue
      break
    }
    if (t.t === 'id' || t.t === 'num' || t.t === 'str' || t.t === 'expr' || (t.t === 'group' && t.open === '{')) {
      start = i
      i--
      if (i >= 0 && isDot(items[i])) {
        i--
        continue
      }
      // `!x` / `-x` prefixes stay outside the operand, as in Jinja where filters bind tighter.
      break
    }
    break
  }
  return start
}

/** Index just after the operand that starts at or after `from`. */
function operandEnd(items: Tok[], from: number): number {
  let i = from
  while (i < items.length && items[i]!.t === 'ws') i++
  const first = items[i]
  if (first?.t === 'op' && (first.text === '!' || first.text === '-')) i++
  if (i >= items.length) return i
  i++
  for (;;) {
    const t = items[i]
    if (t?.t === 'group' && (t.open === '(' || t.open === '[')) {
      i++
      continue
    }
    if (isDot(t) && items[i + 1]?.t === 'id') {
      i += 2
      continue
    }
    return i
  }
}

function nextNonWs(items: Tok[], i: number): number {
  while (i < items.length && items[i]!.t === 'ws') i++
  return i
}

const raw = (text: string): Tok => ({ t: 'expr', text })

/** Filter/test arguments: Jinja keyword arguments (`attribute='x'`) become one trailing object. */
function callArgs(group: (Tok & { t: 'group' }) | undefined): string {
  if (!group) return ''
  const parts: Tok[][] = [[]]
  for (const t of group.items) {
    if (t.t === 'op' && t.text === ',') parts.push([])
    else parts[parts.length - 1]!.push(t)
  }
  const pos: string[] = []
  const kws: string[] = []
  for (const p of parts) {
    const i = nextNonWs(p, 0)
    const j = nextNonWs(p, i + 1)
    // `a if c else b` inside an argument is translated here: the argument leaves as text
    if (p[i]?.t === 'id' && p[j]?.t === 'op' && (p[j] as { text: string }).text === '=') kws.push(`${(p[i] as { text: string }).text}: ${emit(withInlineIf(p.slice(j + 1))).trim()}`)
    else if (emit(p).trim()) pos.push(emit(withInlineIf(p)).trim())
  }
  if (kws.length) pos.push(`{ __kw__: true, ${kws.join(', ')} }`)
  return pos.length ? `, ${pos.join(', ')}` : ''
}

function rewrite(items: Tok[], filters: ReadonlySet<string>, tests: ReadonlySet<string>, inBrace = false): Tok[] {
  let out = items.map((t) => (t.t === 'group' ? { ...t, items: rewrite(t.items, filters, tests, t.open === '{') } : t))

  // Postfix forms first, left to right: `x | f(args)`, `x is [not] test(args)`, `x [not] in y`.
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!
    const prev = out[i - 1]
    if (t.t === 'op' && t.text === '|') {
      const s = operandStart(out, i)
      const n = nextNonWs(out, i + 1)
      const name = out[n]
      if (s === i || name?.t !== 'id') throw new ExpressionSyntaxError(`a filter needs a value on its left and a name on its right: '${emit(out)}'`)
      if (!filters.has(name.text)) throw new ExpressionSyntaxError(`unknown filter '${name.text}' (known: ${[...filters].sort().join(', ')})`)
      const argsTok = out[n + 1]?.t === 'group' && (out[n + 1] as { open: string }).open === '(' ? (out[n + 1] as Tok & { t: 'group' }) : undefined
      const left = emit(out.slice(s, i)).trim()
      const args = callArgs(argsTok)
      const call = raw(`__f.${name.text}(${name.text === 'default' || name.text === 'd' ? `() => (${left})` : left}${args})`)
      const end = argsTok ? n + 2 : n + 1
      out = [...out.slice(0, s), call, ...out.slice(end)]
      i = s
      continue
    }
    if (t.t === 'id' && t.text === 'is' && !isDot(prev)) {
      const s = operandStart(out, i)
      let n = nextNonWs(out, i + 1)
      let negate = false
      if (out[n]?.t === 'id' && (out[n] as { text: string }).text === 'not') {
        negate = true
        n = nextNonWs(out, n + 1)
      }
      const name = out[n]
      if (s === i || name?.t !== 'id') throw new ExpressionSyntaxError(`'is' needs a value on its left and a test name on its right`)
      if (!tests.has(name.text)) throw new ExpressionSyntaxError(`unknown test '${name.text}' (known: ${[...tests].sort().join(', ')})`)
      const argsTok = out[n + 1]?.t === 'group' && (out[n + 1] as { open: string }).open === '(' ? (out[n + 1] as Tok & { t: 'group' }) : undefined
      const left = emit(out.slice(s, i)).trim()
      const args = callArgs(argsTok)
      const call = raw(`${negate ? '!' : ''}__t.${name.text}(() => (${left})${args})`)
      out = [...out.slice(0, s), call, ...out.slice(argsTok ? n + 2 : n + 1)]
      i = s
      continue
    }
    if (t.t === 'op' && t.text === '??') {
      // the left side of ?? may name an undefined variable: that is the point of ??
      const s = operandStart(out, i)
      if (s < i) {
        out = [...out.slice(0, s), raw(`__g(() => (${emit(out.slice(s, i)).trim()})) `), ...out.slice(i)]
        i = s + 1
      }
      continue
    }
    if (t.t === 'id' && t.text === 'typeof' && !isDot(prev)) {
      const e = operandEnd(out, i + 1)
      if (e > i + 1) {
        out = [...out.slice(0, i + 1), raw(` __g(() => (${emit(out.slice(i + 1, e)).trim()}))`), ...out.slice(e)]
        i += 1
      }
      continue
    }
    if (t.t === 'id' && t.text === 'in' && !isDot(prev)) {
      // `a not in b` has `not` just before `in`
      let j = i - 1
      while (j >= 0 && out[j]!.t === 'ws') j--
      const negate = out[j]?.t === 'id' && (out[j] as { text: string }).text === 'not'
      const leftEnd = negate ? j : i
      const s = operandStart(out, leftEnd)
      const e = operandEnd(out, i + 1)
      if (s === leftEnd || e <= i + 1) throw new ExpressionSyntaxError(`'in' needs a value on each side`)
      const call = raw(`${negate ? '!' : ''}__t.in_(${emit(out.slice(s, leftEnd)).trim()}, ${emit(out.slice(i + 1, e)).trim()})`)
      out = [...out.slice(0, s), call, ...out.slice(e)]
      i = s
      continue
    }
  }
  return out.map((t, i) => {
    // Jinja's `a ~ b` joins as strings; JS's unary ~ (no operand before it) is left alone.
    if (t.t === 'op' && t.text === '~' && operandStart(out, i) < i) return raw(`+ '' +`)
    if (t.t !== 'id' || !WORDS[t.text] || isDot(out[i - 1])) return t
    // `{ none: 1 }`: a key inside an object literal stays a name
    if (inBrace && (out[nextNonWs(out, i + 1)] as { text?: string } | undefined)?.text === ':') return t
    return raw(WORDS[t.text]!)
  })
}

/** Jinja's `a if cond else b` (per comma-separated part of a sequence) → `(cond) ? (a) : (b)`. */
function inlineIf(items: Tok[]): Tok[] {
  const parts: Tok[][] = [[]]
  for (const t of items) {
    if (t.t === 'op' && t.text === ',') parts.push([t], [])
    else parts[parts.length - 1]!.push(t)
  }
  return parts.flatMap((p) => {
    const at = (word: string) => p.findIndex((t, i) => t.t === 'id' && t.text === word && !isDot(p[i - 1]))
    const i = at('if')
    const j = at('else')
    if (i < 0) return p
    const a = emit(p.slice(0, i)).trim()
    const c = emit(p.slice(i + 1, j < 0 ? p.length : j)).trim()
    // `a if x else b if y else c`: the else part may hold the next conditional
    const b = j < 0 ? 'undefined' : emit(inlineIf(p.slice(j + 1))).trim()
    return [raw(`((${c}) ? (${a}) : (${b}))`)]
  })
}

function withInlineIf(items: Tok[]): Tok[] {
  return inlineIf(items.map((t) => (t.t === 'group' ? { ...t, items: withInlineIf(t.items) } : t)))
}

/** The JavaScript of one expression: the Jinja forms translated. */
export function translateExpression(src: string, filters: ReadonlySet<string>, tests: ReadonlySet<string>): string {
  return emit(withInlineIf(rewrite(tokenize(src), filters, tests))).trim()
}

/**
 * The JavaScript of a template's output tag: the expression, evaluated in a taint frame (`__s`,
 * see taint.ts) so that a value it computes from a secret is masked like the secret.
 */
export function translate(src: string, filters: ReadonlySet<string>, tests: ReadonlySet<string>): string {
  const js = translateExpression(src, filters, tests)
  return js ? `__s(() => (${js}\n), ${JSON.stringify(src)})` : js
}
