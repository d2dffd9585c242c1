// The commonest template, text around plain `{{ name }}` or `{{ name.key }}` tags whose values are
// strings or whole numbers (`dest: "/etc/{{ app }}/{{ app }}.conf"`, `content: "port = {{ port }}\n"`),
// rendered without the engine: a MiniJinja render costs a run's first use tens of milliseconds (the
// WASM module is set up and compiled) and each later one a copy of the context into WASM. The
// result is the engine's, byte for byte (test/unit/jinja-concat.test.ts compares the two):
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

const TAG = /\{\{ *([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) *\}\}/g

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
  p = { texts: [], tags: [] }
  let at = 0
  for (const m of source.matchAll(TAG)) {
    p.texts.push(source.slice(at, m.index))
    p.tags.push({ source: m[1]!, path: m[1]!.split('.') })
    at = m.index + m[0].length
  }
  p.texts.push(source.slice(at))
  const plain = (t: Parsed['tags'][number]) => !KEYWORDS.has(t.path[0]!) && t.path.slice(1).every((k) => !DICT_ATTRIBUTES.has(k) && !k.startsWith('_'))
  if (p.tags.length === 0 || p.texts.some((t) => /[{}\r]/.test(t)) || !p.tags.every(plain)) p = null
  if (parsed.size > 20000) parsed.clear()
  parsed.set(source, p)
  return p
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
