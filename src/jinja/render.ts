// Ansible's Templar for rm-play: render a playbook string (`msg: "{{ x }}"`), a template file, or a
// bare `when:` condition, with the meaning ansible-core 2.14 gives them (jinja2_native=False).
import { discardEnvironment, environment, takeError, withLookupContext } from './environment.js'
import { TemplateError, translateEngineError } from './errors.js'
import { ansibleLiteral, isPlainObject } from './python.js'
import { endsInStringFilter, rewriteTemplate } from './rewrite.js'
import { JinjaSyntaxError } from './lexer.js'
import { readFileSync } from 'node:fs'

export interface TemplateContext {
  vars: Record<string, unknown>
  /** directories for lookup('file'/'template'/'first_found'), most specific first */
  searchPaths?: string[]
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

const compiled = new Map<string, string>()
let counter = 0

/** Parses (once) and registers the rewritten source; syntax errors surface here. */
function prepare(source: string, escapeBackslashes: boolean, settings = ''): string {
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
    environment().clearTemplates()
    compiled.clear()
  }
  name = `t${counter++}`
  try {
    environment().addTemplate(name, rewritten)
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

function run(source: string, ctx: TemplateContext, escapeBackslashes: boolean, settings = ''): string {
  const name = prepare(source, escapeBackslashes, settings)
  const env = environment()
  const lookupCtx = { vars: ctx.vars, searchPaths: ctx.searchPaths ?? [process.cwd()], renderFile: (p: string) => renderTemplateFile(readFileSync(p, 'utf8'), ctx) }
  let out = ''
  let failure: unknown
  takeError()
  try {
    out = withLookupContext(lookupCtx, () => env.renderTemplate(name, ctx.vars))
  } catch (e) {
    failure = e
  }
  const recorded = takeError()
  if (recorded !== undefined || failure !== undefined) {
    if (failure !== undefined && /unsafe aliasing|unreachable|panicked/.test(String(failure))) {
      discardEnvironment()
      compiled.clear()
    }
    throw translateEngineError(recorded ?? failure, source)
  }
  // Ansible re-adds the trailing newlines Jinja drops (preserve_trailing_newlines)
  const missing = trailingNewlines(source) - trailingNewlines(out)
  return missing > 0 ? out + '\n'.repeat(missing) : out
}

/** Throws a TemplateError for a syntax error, an unknown filter or test; for load-time checks. */
export function checkTemplate(source: string): void {
  if (isTemplate(source)) prepare(source, true)
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
  return endsInStringFilter(source) ? out : ansibleLiteral(out)
}

/** Templar.template over a whole value: strings in lists and dicts are rendered, other values kept. */
export function templateValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return templateString(value, ctx)
  if (Array.isArray(value)) return value.map((v) => templateValue(v, ctx))
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templateValue(v, ctx)]))
  return value
}

/** A `.j2` file as the template module renders it: text, trim_blocks on, trailing newlines kept. */
export function renderTemplateFile(source: string, ctx: TemplateContext, opts: FileOptions = {}): string {
  const env = environment()
  const saved = [env.trimBlocks, env.lstripBlocks]
  env.trimBlocks = opts.trimBlocks ?? true
  env.lstripBlocks = opts.lstripBlocks ?? false
  try {
    // the environment's whitespace settings are part of the compiled template: key the cache by them
    return run(source, ctx, false, `${env.trimBlocks ? 't' : ''}${env.lstripBlocks ? 'l' : ''}`)
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
