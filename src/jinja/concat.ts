// The commonest template, text around plain `{{ name }}` or `{{ name.key }}` tags whose values are
// strings or whole numbers (`dest: "/etc/{{ app }}/{{ app }}.conf"`, `content: "port = {{ port }}\n"`),
// rendered without the engine: a MiniJinja render costs a run's first use tens of milliseconds (the
// WASM module is set up and compiled) and each later one a copy of the context into WASM. The
// result is the engine's, byte for byte (test/unit/jinja-concat.test.ts compares the two, and
// jinja-conformance.test.ts such templates with ansible-playbook). The lexer (lexer.ts) splits it:
//   - a tag's value is printed as the engine prints it: a string as it is, a safe integer in
//     decimal; anything else (a float, a boolean, None, a list, an undefined name) is left to the
//     engine, as is every tag with a filter, an operator, a test, whitespace control or a call;
//   - `a.b` reads key b of a plain mapping a, as Jinja does when b is not an attribute of Python's
//     dict (`d.items` is the method): keys that name one are left to the engine;
//   - text with a brace or a carriage return is left to the engine (Jinja's own rules for those);
//   - Jinja drops one trailing newline of the template and render.ts adds back the ones Ansible
//     keeps: the same two steps here.
// Each tag's value goes to the output observer as the engine's tag does, so taint tracking sees it.
import { observeTagOutput } from './environment.js'
import { splitTemplate, type Part } from './lexer.js'

/** A tag's whole body: a name, or a name and keys (`a.b.c`). */
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/

/** Words Jinja reads as constants or operators, never as a variable's name. */
const KEYWORDS = new Set(['true', 'false', 'none', 'True', 'False', 'None', 'and', 'or', 'not', 'in', 'is', 'if', 'else'])

/** Attributes of Python's dict: Jinja's `d.name` finds these before the key. */
const DICT_ATTRIBUTES = new Set(['clear', 'copy', 'fromkeys', 'get', 'items', 'keys', 'pop', 'popitem', 'setdefault', 'update', 'values'])

interface Parsed {
  texts: string[]
  tags: { source: string; path: string[] }[]
}

const parsed = new Map<string, Parsed | null>()

function parse(source: string): Parsed | null {
  let p = parsed.get(source)
  if (p !== undefined) return p
  p = splitPlain(source)
  if (parsed.size > 20000) parsed.clear()
  parsed.set(source, p)
  return p
}

/** The template's text and plain tags, as the lexer splits it (lexer.ts); null when anything else is in it. */
function splitPlain(source: string): Parsed | null {
  let parts: Part[]
  try {
    parts = splitTemplate(source)
  } catch {
    return null // a syntax error: the engine reports it
  }
  const p: Parsed = { texts: [''], tags: [] }
  for (const part of parts) {
    if (part.kind === 'text') {
      if (/[{}\r]/.test(part.text)) return null
      p.texts[p.texts.length - 1] += part.text
      continue
    }
    // blocks, comments, raw, whitespace control
    if (part.kind !== 'var' || part.open !== '{{' || part.close !== '}}') return null
    const body = part.body.trim()
    if (!PATH.test(body)) return null
    const path = body.split('.')
    if (KEYWORDS.has(path[0]!) || path.slice(1).some((k) => DICT_ATTRIBUTES.has(k) || k.startsWith('_'))) return null
    p.tags.push({ source: body, path })
    p.texts.push('')
  }
  return p.tags.length ? p : null
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)

/** What the engine prints for a value, when that is certain; undefined otherwise. */
function printed(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0)) return String(v)
  return undefined
}

function valueAt(vars: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = vars
  for (const k of path) {
    if (!isMapping(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined
    v = v[k]
  }
  return v
}

/**
 * The template rendered by concatenation, before render.ts restores the trailing newlines; undefined
 * when the engine must render it.
 */
export function renderConcat(source: string, vars: Record<string, unknown>): string | undefined {
  const p = parse(source)
  if (!p) return undefined
  const values: string[] = []
  const raw: unknown[] = []
  for (const tag of p.tags) {
    const v = valueAt(vars, tag.path)
    const s = printed(v)
    if (s === undefined) return undefined
    values.push(s)
    raw.push(v)
  }
  p.tags.forEach((tag, i) => observeTagOutput(tag.source, raw[i]))
  let out = p.texts[0]!
  for (let i = 0; i < values.length; i++) out += values[i]! + p.texts[i + 1]!
  // Jinja (keep_trailing_newline off) drops the template's last newline, never a value's
  const last = p.texts[p.texts.length - 1]!
  return last.endsWith('\n') ? out.slice(0, -1) : out
}
