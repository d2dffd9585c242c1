// The seam between rm-play's expression API (expression.ts) and src/jinja, Ansible's language.
// Opt-in with RMP_EXPRESSIONS=jinja while the switch is under way (docs/jinja.md, section 4).
// What it adds to src/jinja: variables come from a ScopeSource (only the names a template uses),
// lazy views are settled into data, `omit` round-trips, and every evaluation is a taint frame.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import {
  checkTemplate,
  evaluateCondition as jinjaCondition,
  referencedNames,
  renderTemplateFile as jinjaFile,
  setCallObserver,
  setOutputObserver,
  templateString,
  TemplateError,
} from '../jinja/index.js'
import { ExpressionError, notFound, UndefinedVariableError, type ScopeSource } from './expression-errors.js'
import { OMIT } from './filters.js'
import { SETTLE } from './lazy-view.js'
import { noteRead, tainting, taintingFilters } from './taint.js'
import { holdsSecret } from '../report/mask.js'
import { currentRun } from './run-context.js'

function holdsAny(v: unknown, seen: Set<object>): boolean {
  const secrets = currentRun().secrets
  if (secrets.size === 0) return false
  if (typeof v === 'string' || typeof v === 'number') return holdsSecret(String(v), secrets)
  if (v === null || typeof v !== 'object' || seen.has(v)) return false
  seen.add(v)
  return Object.values(v).some((x) => holdsAny(x, seen))
}

export const useJinja = (): boolean => process.env.RMP_EXPRESSIONS === 'jinja'

/** Ansible's omit is a placeholder string; rm-play's is an object: they meet here. */
const OMIT_TOKEN = '__omit_place_holder__rm_play'

function settle(v: unknown, seen = new Set<object>()): unknown {
  if (v === null || typeof v !== 'object' || seen.has(v)) return v
  const own = (v as { [SETTLE]?: unknown })[SETTLE]
  if (typeof own === 'function') return settle((own as () => unknown)(), seen)
  if (v === OMIT) return OMIT_TOKEN
  seen.add(v)
  const out = Array.isArray(v) ? v.map((x) => settle(x, seen)) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, settle(x, seen)]))
  seen.delete(v)
  return out
}

function varsFor(template: string, source: ScopeSource): Record<string, unknown> {
  const vars: Record<string, unknown> = {}
  for (const name of referencedNames(template)) {
    if (name === 'omit') {
      vars.omit = OMIT_TOKEN
      continue
    }
    const v = source.lookup(name)
    if (v === notFound) continue
    noteRead(v)
    vars[name] = settle(v)
  }
  return vars
}

// Every filter call is watched the way taint.ts watches today's JavaScript filters: what a filter
// computes from a secret is registered at once (the intermediates of a chain count too).
let observing = false
function observeFilters(): void {
  if (observing) return
  observing = true
  setCallObserver((args, result, error) => {
    const f = taintingFilters({ call: (): unknown => {
      if (error !== undefined) throw error
      return result
    } })
    try {
      ;(f.call as (...a: unknown[]) => unknown)(...args)
    } catch {
      /* src/jinja reports the error */
    }
  })
}

// What each `{{ }}` of a template file prints is checked the same way: a tag that read a secret, or
// a local (`{% set %}`, a loop variable) in a template that read one, prints a secret.
const fileRenders: { vars: Record<string, unknown>; secrets: unknown[] }[] = []
let observingOutput = false
function observeOutput(): void {
  if (observingOutput) return
  observingOutput = true
  setOutputObserver((tag, value) => {
    const render = fileRenders[fileRenders.length - 1]
    if (!render || render.secrets.length === 0) return
    const names = [...referencedNames(`{{ ${tag} }}`)]
    const usesLocal = names.some((n) => !Object.prototype.hasOwnProperty.call(render.vars, n))
    const args = usesLocal ? render.secrets : names.map((n) => render.vars[n])
    ;(taintingFilters({ call: (): unknown => value }).call as (...a: unknown[]) => unknown)(...args)
  })
}

function translated(e: unknown, text: string): Error {
  if (e instanceof TemplateError) {
    const m = /^'(.+)' is undefined$/.exec(e.message)
    if (e.kind === 'undefined' && m) return new UndefinedVariableError(m[1]!)
    return new ExpressionError(e.message, text)
  }
  return e as Error
}

const fromToken = (v: unknown): unknown => (v === OMIT_TOKEN ? OMIT : v)

/** The load-time check of one expression: a syntax error is an ExpressionError at load. */
export function compile(expr: string): (scope: object) => unknown {
  try {
    checkTemplate(`{{ ${expr} }}`)
  } catch (e) {
    const err = translated(e, expr)
    throw err instanceof ExpressionError ? err : new ExpressionError(err.message, expr)
  }
  return () => {
    throw new ExpressionError('with RMP_EXPRESSIONS=jinja an expression is evaluated through evaluate()', expr)
  }
}

/** A YAML string value, as Ansible's Templar renders it. */
export function renderString(s: string, source: ScopeSource): unknown {
  observeFilters()
  try {
    return fromToken(tainting(s, () => templateString(s, { vars: varsFor(s, source) })))
  } catch (e) {
    throw translated(e, s)
  }
}

/** A bare expression (`until`, `changed_when` values read as data). */
export function evaluate(expr: string, source: ScopeSource): unknown {
  return renderString(`{{ ${expr} }}`, source)
}

/** A `when:`-style condition. */
export function evaluateCondition(cond: unknown, source: ScopeSource): boolean {
  if (typeof cond === 'boolean') return cond
  if (cond === null || cond === undefined) return true
  const s = String(cond)
  observeFilters()
  try {
    return tainting(s, () => jinjaCondition(s, { vars: varsFor(`{{ ${s} }}`, source) }))
  } catch (e) {
    throw translated(e, s)
  }
}

/**
 * A `.j2` template file as Ansible's template module renders it, with Ansible's template variables
 * (`ansible_managed`, `template_path`, `template_host`, ...) where the scope does not set them.
 */
export function renderTemplateFile(file: string, source: ScopeSource): string {
  observeFilters()
  observeOutput()
  const text = readFileSync(file, 'utf8')
  const vars = varsFor(text, source)
  const path = resolve(file)
  const templateVars: Record<string, unknown> = {
    ansible_managed: 'Ansible managed',
    template_path: file,
    template_fullpath: path,
    template_host: hostname(),
    template_uid: String(process.getuid?.() ?? ''),
  }
  for (const [k, v] of Object.entries(templateVars)) if (!(k in vars) && source.lookup(k) === notFound) vars[k] = v
  const roleDir = dirname(dirname(path))
  fileRenders.push({ vars, secrets: Object.values(vars).filter((v) => holdsAny(v, new Set())) })
  try {
    return jinjaFile(text, { vars, searchPaths: [roleDir, dirname(path)] })
  } finally {
    fileRenders.pop()
  }
}
