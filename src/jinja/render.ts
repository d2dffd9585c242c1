// Ansible's Templar for rm-play: render a playbook string (`msg: "{{ x }}"`), a template file, or a
// bare `when:` condition, with the meaning ansible-core 2.14 gives them (jinja2_native=False).
import { renderConcat } from './concat.js'
import { discardEngines, engineAt, takeError, withLookupContext } from './environment.js'
import { TemplateError, translateEngineError } from './errors.js'
import { ansibleLiteral, isPlainObject } from './python.js'
import { endsInStringFilter, referencedNames, rewriteTemplate } from './rewrite.js'
import { JinjaSyntaxError } from './lexer.js'
import { unknownNames, type UnknownName } from './known-names.js'
import { readFileSync } from 'node:fs'

export interface TemplateContext {
  vars: Record<string, unknown>
  /** directories for lookup('file'/'template'/'first_found'), most specific first */
  searchPaths?: string[]
  /** variables read only when asked: lookup('vars', name) and hostvars[h] (see LookupContext) */
  resolve?: (name: string) => unknown
  hostvar?: (host: string, attr?: string) => unknown
}

export interface FileOptions {
  lstripBlocks?: boolean
  trimBlocks?: boolean
}

const MARKERS = ['{{', '{%', '{#']
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}$/

/** Ansible's is_possibly_template: only strings holding a delimiter are templates. */
export function isTemplate(s: string): boolean {
  return MARKERS.some((m) => s.includes(m))
}

let counter = 0
let depth = 0
const GLOBALS = new Set(['hostvars', 'lookup', 'query', 'q', 'range', 'dict', 'namespace', 'loop', 'true', 'false', 'none', 'True', 'False', 'None'])

/** Parses (once per environment) and registers the rewritten source; syntax errors surface here. */
function prepare(source: string, escapeBackslashes: boolean, settings = '', level = depth): string {
  const { env, compiled } = engineAt(level)
  const key = (escapeBackslashes ? 'v' : 'f') + settings + ':' + source
  let name = compiled.get(key)
  if (name !== undefined) return name
  let rewritten: string
  try {
    rewritten = rewriteTemplate(source, { escapeBackslashes })
  } catch (e) {
    if (e instanceof JinjaSyntaxError) throw new TemplateError(`template error: ${e.message}`, source, 'syntax')
    throw e
  }
  if (compiled.size > 20000) {
    env.clearTemplates()
    compiled.clear()
  }
  name = `t${counter++}`
  try {
    env.addTemplate(name, rewritten)
  } catch (e) {
    throw translateEngineError(e, source)
  }
  compiled.set(key, name)
  return name
}

function trailingNewlines(s: string): number {
  let n = 0
  for (let i = s.length - 1; i >= 0 && s[i] === '\n'; i--) n++
  return n
}

/**
 * Only the variables the template names cross into WASM: MiniJinja copies its whole context on
 * every render (a 200-host hostvars costs ~1 ms per expression otherwise).
 */
const analysed = new Map<string, { names: Set<string>; nativeText: boolean }>()
function analyse(source: string): { names: Set<string>; nativeText: boolean } {
  let a = analysed.get(source)
  if (!a) {
    if (analysed.size > 20000) analysed.clear()
    a = { names: referencedNames(source), nativeText: endsInStringFilter(source) }
    analysed.set(source, a)
  }
  return a
}

function contextFor(source: string, vars: Record<string, unknown>): { subset: Record<string, unknown>; names: Set<string> } {
  const { names } = analyse(source)
  const subset: Record<string, unknown> = {}
  for (const n of names) if (Object.prototype.hasOwnProperty.call(vars, n)) subset[n] = vars[n]
  return { subset, names }
}

function run(source: string, ctx: TemplateContext, escapeBackslashes: boolean, settings = ''): string {
  const concatenated = settings === '' ? renderConcat(source, ctx.vars) : undefined
  const out = concatenated ?? renderWithEngine(source, ctx, escapeBackslashes, settings)
  // Ansible re-adds the trailing newlines Jinja drops (preserve_trailing_newlines)
  const lost = trailingNewlines(source) - trailingNewlines(out)
  return lost > 0 ? out + '\n'.repeat(lost) : out
}

/** The render by MiniJinja, before the trailing newlines are restored (exported for the tests that compare concat.ts with it). */
export function renderWithEngine(source: string, ctx: TemplateContext, escapeBackslashes: boolean, settings = ''): string {
  const name = prepare(source, escapeBackslashes, settings)
  const { env } = engineAt(depth)
  const { subset, names } = contextFor(source, ctx.vars)
  const lookupCtx = {
    vars: ctx.vars,
    searchPaths: ctx.searchPaths ?? [process.cwd()],
    renderFile: (p: string) => renderTemplateFile(readFileSync(p, 'utf8'), ctx),
    resolve: ctx.resolve,
    hostvar: ctx.hostvar,
  }
  let out = ''
  let failure: unknown
  takeError()
  depth++
  try {
    out = withLookupContext(lookupCtx, () => env.renderTemplate(name, subset))
  } catch (e) {
    failure = e
  } finally {
    depth--
  }
  const recorded = takeError()
  if (recorded !== undefined || failure !== undefined) {
    if (failure !== undefined && /unsafe aliasing|unreachable|panicked/.test(String(failure))) discardEngines()
    const missing = [...names].filter((n) => !GLOBALS.has(n) && !Object.prototype.hasOwnProperty.call(ctx.vars, n))
    throw translateEngineError(recorded ?? failure, source, missing)
  }
  return out
}

const UNKNOWN: Record<UnknownName['kind'], (n: string) => string> = {
  filter: (n) => `no filter named '${n}'`,
  test: (n) => `no test named '${n}'`,
  lookup: (n) => `lookup plugin (${n}) not found`,
}

// Load-time verdicts by source: a role's defaults are seen once per play and host that uses them.
const verdicts = new Map<string, TemplateError | undefined>()

/** Throws a TemplateError for a syntax error, an unknown filter, test or lookup; for load-time checks. */
export function checkTemplate(source: string, opts: { file?: boolean } = {}): void {
  const key = (opts.file ? 'f:' : 'v:') + source
  if (!verdicts.has(key)) {
    if (verdicts.size > 20000) verdicts.clear()
    try {
      checkOnce(source, opts)
      verdicts.set(key, undefined)
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e
      verdicts.set(key, e)
    }
  }
  const error = verdicts.get(key)
  if (error) throw error
}

function checkOnce(source: string, opts: { file?: boolean }): void {
  if (opts.file && source.startsWith(OVERRIDE)) {
    const eol = source.indexOf('\n')
    headerOptions(source.slice(OVERRIDE.length, eol < 0 ? undefined : eol), source)
    source = eol < 0 ? '' : source.slice(eol + 1)
  }
  if (!isTemplate(source)) return
  // names first: `x | community.general.json_query(...)` is an unknown filter to the user, not a syntax error
  const unknown = unknownNames(source)
  if (unknown.length > 0) throw new TemplateError(`template error: ${unknown.map((u) => UNKNOWN[u.kind](u.name)).join(', ')}`, source, 'syntax')
  prepare(source, !opts.file)
}

/** Templar.template for one string: text without delimiters is returned as is; the result may be a list, dict or bool. */
export function templateString(source: string, ctx: TemplateContext): unknown {
  if (!isTemplate(source)) return source
  const single = SINGLE_VAR.exec(source)
  if (single && Object.prototype.hasOwnProperty.call(ctx.vars, single[1])) {
    const v = ctx.vars[single[1]]
    if (typeof v === 'boolean' || typeof v === 'number' || v === null) return v
  }
  const out = run(source, ctx, true)
  return analyse(source).nativeText ? out : ansibleLiteral(out)
}

/** Templar.template over a whole value: strings in lists and dicts are rendered, other values kept. */
export function templateValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return templateString(value, ctx)
  if (Array.isArray(value)) return value.map((v) => templateValue(v, ctx))
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templateValue(v, ctx)]))
  return value
}

const OVERRIDE = '#jinja2:'

/** A first line `#jinja2: trim_blocks: False, lstrip_blocks: True` sets the file's whitespace options, as in Ansible. */
function headerOptions(line: string, source: string): FileOptions {
  const out: FileOptions = {}
  for (const pair of line.split(',')) {
    const i = pair.indexOf(':')
    if (i < 0)
      throw new TemplateError(
        `failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`,
        source,
        'syntax',
      )
    const key = pair.slice(0, i).trim()
    const value = pair.slice(i + 1).trim()
    if (key !== 'trim_blocks' && key !== 'lstrip_blocks')
      throw new TemplateError(`#jinja2: ${key} is not supported (trim_blocks, lstrip_blocks are)`, source, 'syntax')
    if (value !== 'True' && value !== 'False') throw new TemplateError(`#jinja2: ${key} must be True or False, not ${value}`, source, 'syntax')
    out[key === 'trim_blocks' ? 'trimBlocks' : 'lstripBlocks'] = value === 'True'
  }
  return out
}

/** A `.j2` file as the template module renders it: text, trim_blocks on, trailing newlines kept. */
export function renderTemplateFile(source: string, ctx: TemplateContext, opts: FileOptions = {}): string {
  if (source.startsWith(OVERRIDE)) {
    const eol = source.indexOf('\n')
    opts = { ...opts, ...headerOptions(source.slice(OVERRIDE.length, eol < 0 ? undefined : eol), source) }
    source = eol < 0 ? '' : source.slice(eol + 1)
  }
  const { env } = engineAt(depth)
  const saved = [env.trimBlocks, env.lstripBlocks]
  env.trimBlocks = opts.trimBlocks ?? true
  env.lstripBlocks = opts.lstripBlocks ?? false
  try {
    // the environment's whitespace settings are part of the compiled template: key the cache by
    // them, never as '' (the load-time check compiles under that key with the defaults)
    return run(source, ctx, false, `t${Number(env.trimBlocks)}l${Number(env.lstripBlocks)}`)
  } finally {
    ;[env.trimBlocks, env.lstripBlocks] = saved
  }
}

/** A `when:` condition, as Conditional._check_conditional evaluates it. */
export function evaluateCondition(condition: string | boolean | null | undefined, ctx: TemplateContext): boolean {
  if (condition === null || condition === undefined || condition === '') return true
  if (typeof condition === 'boolean') return condition
  const first = templateString(condition, ctx)
  if (typeof first !== 'string' || first === '') return Boolean(first)
  const val = String(templateString(`{% if ${first} %} True {% else %} False {% endif %}`, ctx)).trim()
  if (val === 'True') return true
  if (val === 'False') return false
  throw new TemplateError(`unable to evaluate conditional: ${condition}`, condition)
}
