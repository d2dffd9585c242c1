// Source-to-source shims that give MiniJinja the Jinja2/Ansible forms it lacks. Each works on
// tokens (never on raw text) and only re-arranges the user's own tokens around calls to filters
// and functions registered in environment.ts: nothing here evaluates anything.
import { splitTemplate, tokenize, type Token } from './lexer.js'
import { shortName } from './fqcn.js'
import { literalEval } from './python.js'

/** The value of a Python string literal token (Jinja2 reads string literals as Python does). */
function pyStringValue(token: string): string {
  return literalEval(token) as string
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'for', 'recursive'])
const FILTER_ALIASES: Record<string, string> = { d: 'default' }
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' }
const CLOSE: Record<string, string> = { ')': '(', ']': '[', '}': '{' }

const sig = (t: Token | undefined) => t !== undefined && t.kind !== 'space'
function nextSig(ts: Token[], i: number): number {
  for (let k = i + 1; k < ts.length; k++) if (sig(ts[k])) return k
  return -1
}
function prevSig(ts: Token[], i: number): number {
  for (let k = i - 1; k >= 0; k--) if (sig(ts[k])) return k
  return -1
}
function matchClose(ts: Token[], open: number): number {
  let depth = 0
  for (let k = open; k < ts.length; k++) {
    if (ts[k].kind !== 'op') continue
    if (OPEN[ts[k].text]) depth++
    else if (CLOSE[ts[k].text] && --depth === 0) return k
  }
  return -1
}
function matchOpen(ts: Token[], close: number): number {
  let depth = 0
  for (let k = close; k >= 0; k--) {
    if (ts[k].kind !== 'op') continue
    if (CLOSE[ts[k].text]) depth++
    else if (OPEN[ts[k].text] && --depth === 0) return k
  }
  return -1
}
const isOp = (t: Token | undefined, text: string) => t !== undefined && t.kind === 'op' && t.text === text
const isCallee = (t: Token | undefined) =>
  t !== undefined && ((t.kind === 'name' && !KEYWORDS.has(t.text)) || t.kind === 'string' || isOp(t, ')') || isOp(t, ']'))

/** Start index of the primary-with-postfix chain that ends at `end` (e.g. `a.b[0](1)`). */
function chainStart(ts: Token[], end: number): number {
  let k = end
  for (;;) {
    if (isOp(ts[k], ')') || isOp(ts[k], ']') || isOp(ts[k], '}')) {
      k = matchOpen(ts, k)
      if (k < 0) return -1
      const p = prevSig(ts, k)
      if (ts[k].text !== '{' && isCallee(ts[p])) {
        k = p
        continue
      }
      return k
    }
    const p = prevSig(ts, k)
    if (isOp(ts[p], '.')) {
      k = prevSig(ts, p)
      if (k < 0) return -1
      continue
    }
    return k
  }
}

/** End index of a unary operand starting after `from`, Jinja2's parse_unary: primary, postfix, filters, tests. */
function unaryEnd(ts: Token[], from: number): number {
  let k = nextSig(ts, from)
  while (k >= 0 && (isOp(ts[k], '-') || isOp(ts[k], '+'))) k = nextSig(ts, k)
  if (k < 0) return -1
  let end = OPEN[ts[k].text] && ts[k].kind === 'op' ? matchClose(ts, k) : k
  for (;;) {
    const n = nextSig(ts, end)
    if (n < 0) return end
    if (isOp(ts[n], '.')) end = nextSig(ts, n)
    else if (isOp(ts[n], '(') || isOp(ts[n], '[')) end = matchClose(ts, n)
    else if (isOp(ts[n], '|') || (ts[n].kind === 'name' && ts[n].text === 'is')) {
      let m = nextSig(ts, n)
      if (ts[m]?.text === 'not') m = nextSig(ts, m)
      end = m
      while (isOp(ts[nextSig(ts, end)], '.')) end = nextSig(ts, nextSig(ts, end))
      if (isOp(ts[nextSig(ts, end)], '(')) end = matchClose(ts, nextSig(ts, end))
    } else return end
    if (end < 0) return -1
  }
}

/** A parenthesised operand with a comma at its top level is a Python tuple: `% (a, b)`. */
function isTuple(ts: Token[], start: number, end: number): boolean {
  if (!isOp(ts[start], '(') || matchClose(ts, start) !== end) return false
  let depth = 0
  for (let k = start + 1; k < end; k++) {
    if (ts[k].kind !== 'op') continue
    if (OPEN[ts[k].text]) depth++
    else if (CLOSE[ts[k].text]) depth--
    else if (ts[k].text === ',' && depth === 0) return true
  }
  return false
}

const tok = (text: string): Token => ({ kind: 'op', text })

export interface RewriteOptions {
  /** Ansible doubles backslashes in string literals of `{{ }}` in playbook values (not in template files). */
  escapeBackslashes?: boolean
}

export function rewriteExpression(src: string, opts: RewriteOptions = {}): string {
  let ts = tokenize(src)
  if (opts.escapeBackslashes) ts = ts.map((t) => (t.kind === 'string' ? { ...t, text: t.text.replace(/\\/g, '\\\\') } : t))
  // Python string escapes (an unknown one like `\.` stays as written), in a form MiniJinja reads
  ts = ts.map((t) => (t.kind === 'string' ? { ...t, text: jinjaString(pyStringValue(t.text)) } : t))
  // item.0 -> item[0]; `| d(...)` -> `| default(...)`; `ansible.builtin.x` filter/test -> `x` (fqcn.ts)
  for (let k = 0; k < ts.length; k++) {
    const n = nextSig(ts, k)
    if (isOp(ts[k], '.') && ts[n]?.kind === 'number' && isCallee(ts[prevSig(ts, k)])) {
      ts.splice(k, n - k + 1, tok('['), ts[n], tok(']'))
    } else if (isOp(ts[k], '|') || (ts[k].kind === 'name' && ts[k].text === 'is')) {
      let m = n
      if (ts[m]?.text === 'not') m = nextSig(ts, m)
      const b = nextSig(ts, nextSig(ts, m))
      const c = nextSig(ts, nextSig(ts, b))
      if (isOp(ts[nextSig(ts, m)], '.') && isOp(ts[nextSig(ts, b)], '.') && ts[c]?.kind === 'name') {
        const fqcn = `${ts[m].text}.${ts[b].text}.${ts[c].text}`
        if (shortName(fqcn) !== fqcn) ts.splice(m, c - m)
      }
      if (isOp(ts[k], '|') && ts[m]?.kind === 'name' && FILTER_ALIASES[ts[m].text]) ts[m] = { ...ts[m], text: FILTER_ALIASES[ts[m].text] }
    }
  }
  hostvarsCalls(ts)
  definedChains(ts)
  // X.get(args) -> (X | ansible_get(args)): MiniJinja's py-compat get takes one argument only
  for (let k = 0; k < ts.length; k++) {
    const g = nextSig(ts, k)
    const p = nextSig(ts, g)
    if (!(isOp(ts[k], '.') && ts[g]?.text === 'get' && isOp(ts[p], '('))) continue
    const start = chainStart(ts, prevSig(ts, k))
    const close = matchClose(ts, p)
    if (start < 0 || close < 0) continue
    ts.splice(close + 1, 0, tok(')'))
    ts.splice(k, p - k + 1, tok('|'), { kind: 'name', text: 'ansible_get' }, tok('('))
    ts.splice(start, 0, tok('('))
    k += 2
  }
  // 'fmt' % args -> ansible_percent('fmt', args, is_tuple): Python %-formatting of a literal format
  for (let k = 0; k < ts.length; k++) {
    const pct = nextSig(ts, k)
    if (!(ts[k].kind === 'string' && isOp(ts[pct], '%') && !isOp(ts[prevSig(ts, k)], '.'))) continue
    const rStart = nextSig(ts, pct)
    const end = unaryEnd(ts, pct)
    if (end < 0) continue
    const tuple = isTuple(ts, rStart, end)
    const right = ts.slice(rStart, end + 1)
    ts.splice(
      k,
      end - k + 1,
      { kind: 'name', text: 'ansible_percent' },
      tok('('),
      ts[k],
      tok(','),
      tok('('),
      ...right,
      tok(')'),
      tok(','),
      { kind: 'name', text: tuple ? 'true' : 'false' },
      tok(')'),
    )
  }
  strictOperands(ts)
  return ts.map((t) => t.text).join('')
}

/**
 * `hostvars[h].x` and `hostvars[h]['x']` become `ansible_hostvar(h, 'x')`, `hostvars[h]` alone
 * `ansible_hostvar(h)`: a registered function reads that one host's variable when asked, instead
 * of every host's variables crossing into WASM with each expression (see varsFor, expression-jinja.ts).
 * `x is defined` / `| default` over them: definedChains' work, done here for these two shapes.
 */
function hostvarsCalls(ts: Token[]): void {
  for (let k = 0; k < ts.length; k++) {
    if (ts[k].kind !== 'name' || ts[k].text !== 'hostvars') continue
    const prev = ts[prevSig(ts, k)]
    if (isOp(prev, '.') || isOp(prev, '|') || prev?.text === 'is') continue
    const open = nextSig(ts, k)
    if (!isOp(ts[open], '[')) continue
    const close = matchClose(ts, open)
    if (close < 0) continue
    const host = ts.slice(open + 1, close)
    let end = close
    let attr: Token | undefined
    const n = nextSig(ts, close)
    if (isOp(ts[n], '.') && ts[nextSig(ts, n)]?.kind === 'name' && !isOp(ts[nextSig(ts, nextSig(ts, n))], '(')) {
      end = nextSig(ts, n)
      attr = { kind: 'string', text: jinjaString(ts[end].text) }
    } else if (isOp(ts[n], '[') && ts[nextSig(ts, n)]?.kind === 'string' && isOp(ts[nextSig(ts, nextSig(ts, n))], ']')) {
      attr = ts[nextSig(ts, n)]
      end = nextSig(ts, nextSig(ts, n))
    }
    const args: Token[] = [...host, ...(attr ? [tok(','), attr] : [])]
    const read = (fn: string): Token[] => [{ kind: 'name', text: fn }, tok('('), ...args, tok(')')]
    // guarded (`is defined`, `| default`, after any further attributes): a missing one is a plain undefined
    const call: Token[] = guardedAfter(ts, end)
      ? [tok('('), ...read('ansible_hostvar'), { kind: 'op', text: ' if ' }, ...read('ansible_hostvar_has'), { kind: 'op', text: ` else ${UNDEFINED_NAME})` }]
      : read('ansible_hostvar')
    ts.splice(k, end - k + 1, ...call)
    k += call.length - 1
  }
}

/** Whether the chain continuing after `end` ends in `is [not] defined/undefined` or `| default`/`| d`. */
function guardedAfter(ts: Token[], end: number): boolean {
  for (;;) {
    const n = nextSig(ts, end)
    if (isOp(ts[n], '.') && ts[nextSig(ts, n)]?.kind === 'name') end = nextSig(ts, n)
    else if (isOp(ts[n], '[') && matchClose(ts, n) > 0) end = matchClose(ts, n)
    else break
  }
  const n = nextSig(ts, end)
  let m = nextSig(ts, n)
  if (ts[n]?.text === 'is' && ts[m]?.text === 'not') m = nextSig(ts, m)
  return (
    (ts[n]?.text === 'is' && (ts[m]?.text === 'defined' || ts[m]?.text === 'undefined')) ||
    (isOp(ts[n], '|') && (ts[m]?.text === 'default' || ts[m]?.text === 'd'))
  )
}

/** True when `hostvars` is used other than indexed (`hostvars | dict2items`, `for h in hostvars`): the whole view must cross. */
export function usesWholeHostvars(source: string): boolean {
  for (const p of splitTemplate(source)) {
    if (p.kind !== 'var' && p.kind !== 'block') continue
    const ts = tokenize(p.body)
    for (let k = 0; k < ts.length; k++) {
      if (ts[k].kind !== 'name' || ts[k].text !== 'hostvars') continue
      const prev = ts[prevSig(ts, k)]
      if (isOp(prev, '.') || isOp(prev, '|') || prev?.text === 'is') continue
      if (!isOp(ts[nextSig(ts, k)], '[')) return true
    }
  }
  return false
}

/** A variable chain starting at `k` (`a.b[0][c]`, no calls): the end index of each element. */
function chainAt(ts: Token[], k: number): number[] | undefined {
  const t = ts[k]
  if (t.kind !== 'name' || KEYWORDS.has(t.text) || LITERAL_NAMES.has(t.text)) return undefined
  const prev = ts[prevSig(ts, k)]
  if (isOp(prev, '.') || isOp(prev, '|') || prev?.text === 'is' || (prev?.text === 'not' && ts[prevSig(ts, prevSig(ts, k))]?.text === 'is')) return undefined
  const ends = [k]
  for (;;) {
    const end = ends[ends.length - 1]
    const n = nextSig(ts, end)
    if (isOp(ts[n], '.') && ts[nextSig(ts, n)]?.kind === 'name') ends.push(nextSig(ts, n))
    else if (isOp(ts[n], '[') && matchClose(ts, n) > 0) ends.push(matchClose(ts, n))
    else break
  }
  return isOp(ts[nextSig(ts, ends[ends.length - 1])], '(') ? undefined : ends
}

const UNDEFINED_NAME = '__rmp_undefined' // never in a context: a plain undefined value

/**
 * Ansible's undefined is chainable (`foo.bar` of an undefined foo is undefined, not an error) for
 * `is defined`, `is undefined` and `default`; MiniJinja's strict mode fails on `foo.bar` itself.
 * `a.b.c is defined` becomes `(a is defined and a.b is defined and a.b.c is defined)`, and
 * `a.b.c | default(x)` becomes `(a.b.c if (...) else __rmp_undefined) | default(x)`.
 */
function definedChains(ts: Token[]): void {
  for (let k = 0; k < ts.length; k++) {
    const ends = chainAt(ts, k)
    if (!ends) continue
    const last = ends[ends.length - 1]
    if (ends.length < 2) {
      k = last
      continue
    }
    const text = (e: number) =>
      ts
        .slice(k, e + 1)
        .map((t) => t.text)
        .join('')
    const defined = '(' + ends.map((e) => `${text(e)} is defined`).join(' and ') + ')'
    const n = nextSig(ts, last)
    let m = nextSig(ts, n)
    const negated = ts[m]?.text === 'not'
    if (negated) m = nextSig(ts, m)
    let replacement: Token[] | undefined
    let to = last
    if (ts[n]?.text === 'is' && (ts[m]?.text === 'defined' || ts[m]?.text === 'undefined')) {
      const positive = (ts[m].text === 'defined') !== negated
      replacement = [{ kind: 'op', text: positive ? defined : `(not ${defined})` }]
      to = m
    } else if (isOp(ts[n], '|') && (ts[m]?.text === 'default' || ts[m]?.text === 'd') && !negated) {
      replacement = [{ kind: 'op', text: `(${text(last)} if ${defined} else ${UNDEFINED_NAME})` }]
    }
    if (replacement) {
      ts.splice(k, to - k + 1, ...replacement)
    } else k = last
  }
}

const LITERAL_NAMES = new Set(['true', 'false', 'none', 'True', 'False', 'None'])
const LENIENT_FILTERS = new Set(['default', 'd', 'ansible_get'])
const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>='])

/**
 * MiniJinja's strict mode lets an undefined value through `~` and into filters (where Jinja2's
 * StrictUndefined fails): a plain variable chain used there (`name ~ '-'`, `path | basename`)
 * becomes `(chain if chain is defined else ansible_undefined('chain'))`.
 */
function strictOperands(ts: Token[]): void {
  const chains: [number, number][] = []
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]
    if (t.kind !== 'name' || KEYWORDS.has(t.text) || LITERAL_NAMES.has(t.text)) continue
    const prev = ts[prevSig(ts, k)]
    if (isOp(prev, '.') || isOp(prev, '|') || prev?.text === 'is' || (prev?.text === 'not' && ts[prevSig(ts, prevSig(ts, k))]?.text === 'is')) continue
    const start = k
    let end = k
    for (;;) {
      const n = nextSig(ts, end)
      if (isOp(ts[n], '.') && ts[nextSig(ts, n)]?.kind === 'name') end = nextSig(ts, n)
      else if (isOp(ts[n], '[') && ['string', 'number'].includes(ts[nextSig(ts, n)]?.kind) && isOp(ts[nextSig(ts, nextSig(ts, n))], ']'))
        end = nextSig(ts, nextSig(ts, n))
      else break
    }
    const after = nextSig(ts, end)
    const next = ts[after]
    k = end
    if (isOp(next, '(') || isOp(next, '=') || isOp(next, '.') || isOp(next, '[')) continue
    const filtered = isOp(next, '|') && !LENIENT_FILTERS.has(ts[nextSig(ts, after)]?.text)
    // StrictUndefined fails on ==, != and ordering too; MiniJinja answers them
    const compared = COMPARISONS.has(prev?.kind === 'op' ? prev.text : '') || COMPARISONS.has(next?.kind === 'op' ? next.text : '')
    if (isOp(prev, '~') || isOp(next, '~') || filtered || compared) chains.push([start, end])
  }
  for (const [start, end] of chains.reverse()) {
    const text = ts
      .slice(start, end + 1)
      .map((t) => t.text)
      .join('')
    ts.splice(start, end - start + 1, { kind: 'op', text: `(${text} if ${text} is defined else ansible_undefined(${jinjaString(text)}))` })
  }
}

/** A Jinja string literal holding exactly `s`. */
function jinjaString(s: string): string {
  return (
    "'" +
    s.replace(
      /[\\'\n\r\t]|[\x00-\x1f\x7f]/g,
      (c) =>
        (({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' }) as Record<string, string>)[c] ??
        '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    ) +
    "'"
  )
}

/** The variable every `{{ }}` goes through so its output is Python's str() of the value (see docs/jinja.md). */
const OUT = '__rmp_out'

export function rewriteTemplate(src: string, opts: RewriteOptions = {}): string {
  return splitTemplate(src)
    .map((p) => {
      if (p.kind === 'text' || p.kind === 'raw') return p.text
      const body = rewriteExpression(p.body, p.kind === 'var' ? opts : {})
      if (p.kind === 'block') return p.open + body + p.close
      const setOpen = p.open.endsWith('-') ? '{%-' : '{%+'
      return (
        `${setOpen} set ${OUT} = (${body}) %}` +
        `{%+ set ${OUT}_seen = ansible_observe(${OUT}, ${jinjaString(p.body.trim())}) %}` +
        `{{ ${OUT} if ((${OUT} is number and ${OUT} is not boolean) or ${OUT} is string) ` +
        `else (${OUT} | ansible_finalize(${OUT} is defined, ${jinjaString(p.body.trim())})) ${p.close}`
      )
    })
    .join('')
}

/** Ansible's STRING_TYPE_FILTERS: their result is NativeJinjaText and escapes literal_eval. */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json'])

/** True when the template is one `{{ }}` whose value comes straight out of a string-type filter. */
export function endsInStringFilter(source: string): boolean {
  const parts = splitTemplate(source)
  if (parts.length !== 1 || parts[0].kind !== 'var') return false
  const ts = tokenize(parts[0].body).filter(sig)
  let depth = 0
  let lastPipe = -1
  ts.forEach((t, k) => {
    if (t.kind !== 'op') return
    if (OPEN[t.text]) depth++
    else if (CLOSE[t.text]) depth--
    else if (t.text === '|' && depth === 0) lastPipe = k
  })
  if (lastPipe < 0) return false
  let k = lastPipe + 1
  while (ts[k + 1]?.text === '.') k += 2 // ansible.builtin.to_json
  const name = ts[k]?.text
  k++
  if (isOp(ts[k], '(')) k = matchClose(ts, k) + 1
  return k === ts.length && STRING_TYPE_FILTERS.has(name)
}

/** Top-level names a template reads (variables, plus harmless extras such as loop targets). */
export function referencedNames(source: string): Set<string> {
  const names = new Set<string>()
  for (const p of splitTemplate(source)) {
    if (p.kind !== 'var' && p.kind !== 'block') continue
    const ts = tokenize(p.body)
    ts.forEach((t, k) => {
      if (t.kind !== 'name' || KEYWORDS.has(t.text)) return
      const prev = ts[prevSig(ts, k)]
      if (isOp(prev, '.') || isOp(prev, '|') || prev?.text === 'is' || (prev?.text === 'not' && ts[prevSig(ts, prevSig(ts, k))]?.text === 'is')) return
      names.add(t.text)
    })
  }
  return names
}
