// Argument specs (Ansible's argument_spec): types, required, defaults, choices, aliases and the
// relations between options. Checked at load time on literal values and again at run time, after
// templating, on everything.
import { isTemplated } from '../text/templated.js'
import { FALSE, TRUE } from '../text/yes-no.js'

export type ArgType = 'str' | 'int' | 'float' | 'bool' | 'list' | 'dict' | 'path' | 'raw' | 'mode'

export interface ArgSpec {
  type: ArgType
  required?: boolean
  default?: unknown
  choices?: readonly (string | number | boolean)[]
  aliases?: readonly string[]
  /** Element type of a list. */
  elements?: ArgType
  /** Never shown in output, logs or diffs. */
  noLog?: boolean
  doc: string
}

export interface Schema {
  options: Readonly<Record<string, ArgSpec>>
  mutuallyExclusive?: readonly (readonly string[])[]
  requiredOneOf?: readonly (readonly string[])[]
  /** [option, value, options required when option == value] */
  requiredIf?: readonly (readonly [string, unknown, readonly string[]])[]
  requiredTogether?: readonly (readonly string[])[]
  /** The option that takes a free-form string (`command: ls -l` → { cmd: 'ls -l' }). */
  freeForm?: string
  /** Any other keys are accepted as they are (set_fact); a string says what they are, for the docs. */
  additional?: boolean | string
}

/** The TypeScript type of a value of one spec type (after checkArgs coerced it). */
type ValueOfType<T, E> = T extends 'str' | 'path' | 'mode'
  ? string
  : T extends 'int' | 'float'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'list'
        ? E extends ArgType
          ? ValueOfType<E, undefined>[]
          : unknown[]
        : T extends 'dict'
          ? Record<string, unknown>
          : unknown

/** One option's value: one of its choices, else its type's. */
type ValueOf<S> = S extends { choices: readonly (infer C)[] } ? C : S extends { type: infer T; elements?: infer E } ? ValueOfType<T, E> : unknown

/** Always has a value after checkArgs: required, or given a default. */
type Always<S> = S extends { required: true } ? true : S extends { default: NonNullable<unknown> } ? true : false

type Flat<T> = { [K in keyof T]: T[K] }

/**
 * The arguments a module receives, derived from its schema (write the schema inline, or `as const`):
 * `{ name: { type: 'str', required: true }, gid: { type: 'int' } }` gives `{ name: string; gid?: number }`.
 */
export type ArgsOf<S extends { options: Readonly<Record<string, ArgSpec>> }> = Flat<
  { -readonly [K in keyof S['options'] as string extends K ? never : Always<S['options'][K]> extends true ? K : never]: ValueOf<S['options'][K]> } & {
    -readonly [K in keyof S['options'] as string extends K ? never : Always<S['options'][K]> extends true ? never : K]?: ValueOf<S['options'][K]>
  }
>

export interface ArgProblem {
  key?: string // the option the problem is about, for the error position
  message: string
}

/** Coerces one value to its spec type; returns an error string when it cannot. */
function coerce(value: unknown, type: ArgType, elements?: ArgType): { value?: unknown; error?: string } {
  switch (type) {
    case 'raw':
      return { value }
    case 'str':
    case 'path':
      if (typeof value === 'string') return { value }
      if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) }
      return { error: `must be a string, got ${describe(value)}` }
    case 'int': {
      if (typeof value === 'number' && Number.isInteger(value)) return { value }
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return { value: parseInt(value, 10) }
      return { error: `must be an integer, got ${describe(value)}` }
    }
    case 'float': {
      if (typeof value === 'number') return { value }
      if (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))) return { value: Number(value) }
      return { error: `must be a number, got ${describe(value)}` }
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value }
      const s = String(value).toLowerCase()
      if (TRUE.has(s)) return { value: true }
      if (FALSE.has(s)) return { value: false }
      return { error: `must be a boolean (true/false, yes/no), got ${describe(value)}` }
    }
    case 'mode': {
      // YAML 1.1 reads an unquoted 0644 as the number 420: the octal intent is kept.
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o7777) return { value: value.toString(8).padStart(4, '0') }
      if (typeof value === 'string' && /^0?[0-7]{3,4}$/.test(value)) return { value: value.padStart(4, '0').slice(-4) }
      if (typeof value === 'string' && /^([ugoa]*[-+=]([rwxXst]*|[ugo]))(,([ugoa]*[-+=]([rwxXst]*|[ugo])))*$/.test(value)) return { value }
      if (value === 'preserve') return { value }
      return { error: `must be an octal mode like '0644' or symbolic like 'u=rw,g=r,o=', got ${describe(value)}` }
    }
    case 'list': {
      let list: unknown[]
      if (Array.isArray(value)) list = value
      else if (typeof value === 'string')
        list = value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      else if (typeof value === 'number' || typeof value === 'boolean') list = [value]
      else return { error: `must be a list, got ${describe(value)}` }
      if (!elements) return { value: list }
      const out: unknown[] = []
      for (const [i, el] of list.entries()) {
        const c = coerce(el, elements)
        if (c.error) return { error: `element ${i} ${c.error}` }
        out.push(c.value)
      }
      return { value: out }
    }
    case 'dict':
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { value }
      return { error: `must be a mapping, got ${describe(value)}` }
  }
}

/** Levenshtein distance, for "did you mean" on misspelled argument names. */
function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return d[b.length]!
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${JSON.stringify(v)}`
}

function hasValue(args: Record<string, unknown>, k: string): boolean {
  return args[k] !== undefined && args[k] !== null
}

/** Holds a value that is still a template at load time: only its presence can be checked. */
function deferred(v: unknown): boolean {
  return typeof v === 'string' && isTemplated(v)
}

/**
 * Validates and normalises arguments. With `loadTime`, templated values are left alone (checked
 * again after templating); without it every value must be final.
 */
export function checkArgs(schema: Schema, input: Record<string, unknown>, loadTime: boolean): { args: Record<string, unknown>; problems: ArgProblem[] } {
  const problems: ArgProblem[] = []
  const args: Record<string, unknown> = {}
  const alias = new Map<string, string>()
  for (const [name, spec] of Object.entries(schema.options)) for (const a of spec.aliases ?? []) alias.set(a, name)
  for (const [k, v] of Object.entries(input)) {
    const name = schema.options[k] ? k : alias.get(k)
    if (!name && schema.additional) {
      args[k] = v
      continue
    }
    if (!name) {
      const known = Object.keys(schema.options).sort()
      const close = known.filter((o) => o.startsWith(k.slice(0, 3)) || editDistance(o, k) <= 2)
      problems.push({
        key: k,
        message: `unknown argument '${k}'${close.length ? `; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : ''} (known: ${known.join(', ')})`,
      })
      continue
    }
    if (name in args) {
      problems.push({ key: k, message: `argument '${name}' given twice (also as an alias)` })
      continue
    }
    args[name] = v
  }
  for (const [name, spec] of Object.entries(schema.options)) {
    if (schema.additional && !(name in args) && spec.default === undefined && !spec.required) continue
    const v = args[name]
    if (v === undefined || v === null) {
      if (spec.default !== undefined) args[name] = spec.default
      else if (spec.required) problems.push({ message: `missing required argument '${name}'` })
      continue
    }
    if (loadTime && (deferred(v) || (Array.isArray(v) && v.some(deferred)))) continue
    const c = coerce(v, spec.type, spec.elements)
    if (c.error) {
      problems.push({ key: name, message: `argument '${name}' ${c.error}` })
      continue
    }
    args[name] = c.value
    if (spec.choices && !spec.choices.includes(c.value as string)) {
      problems.push({
        key: name,
        message: `argument '${name}' must be one of ${spec.choices.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(c.value)}`,
      })
    }
  }
  // A misspelled argument often is the missing required one: don't report both.
  if (problems.some((p) => p.message.startsWith('unknown argument')))
    return { args, problems: problems.filter((p) => !p.message.startsWith('missing required')) }
  const given = (k: string) => hasValue(input, k) || (schema.options[k]?.aliases ?? []).some((a) => hasValue(input, a))
  for (const group of schema.mutuallyExclusive ?? []) {
    const set = group.filter(given)
    if (set.length > 1) problems.push({ key: set[1], message: `arguments ${set.map((s) => `'${s}'`).join(' and ')} are mutually exclusive` })
  }
  for (const group of schema.requiredOneOf ?? []) {
    if (!group.some(given)) problems.push({ message: `one of ${group.map((s) => `'${s}'`).join(', ')} is required` })
  }
  for (const group of schema.requiredTogether ?? []) {
    const set = group.filter(given)
    if (set.length && set.length !== group.length)
      problems.push({ key: set[0], message: `arguments ${group.map((s) => `'${s}'`).join(', ')} must be given together` })
  }
  for (const [k, val, needs] of schema.requiredIf ?? []) {
    if (args[k] !== val) continue
    const missing = needs.filter((n) => !given(n))
    if (missing.length) problems.push({ key: k, message: `${k}=${String(val)} requires ${missing.map((s) => `'${s}'`).join(', ')}` })
  }
  return { args, problems }
}

/** Names of the options whose values must never be shown. */
export function secretOptions(schema: Schema): string[] {
  return Object.entries(schema.options)
    .filter(([, s]) => s.noLog)
    .map(([k]) => k)
}
