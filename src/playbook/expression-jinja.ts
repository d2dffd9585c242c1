// The seam between rm-play's expression API (expression.ts) and src/jinja, Ansible's language.
// What it adds to src/jinja: variables come from a ScopeSource (only the names a template uses),
// lazy views are settled into data, `omit` round-trips, and every evaluation is a taint frame.
import { readFileSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import {
  evaluateCondition as jinjaCondition,
  referencedNames,
  renderTemplateFile as jinjaFile,
  setCallObserver,
  setOutputObserver,
  splitTemplate,
  templateString,
  TemplateError,
  usesWholeHostvars,
  type TemplateContext,
} from '../jinja/index.js'
import { checkTemplateOnce } from './checked-templates.js'
import { ExpressionError, notFound, OMIT, UndefinedVariableError, type ScopeSource } from './expression-errors.js'
import { SETTLE } from './lazy-view.js'
import { noteRead, tainting, taintingFilters } from './taint.js'
import { holdsSecret } from '../report/mask.js'
import { currentRun } from './run-context.js'
import { isUnknown } from './unknown.js'
import { isTemplated } from '../text/templated.js'
import { suggest } from '../text/suggest.js'
import type { TemplateTask } from '../modules/types.js'

function holdsAny(v: unknown, seen: Set<object>): boolean {
  const secrets = currentRun().secrets
  if (secrets.size === 0) return false
  if (typeof v === 'string' || typeof v === 'number') return holdsSecret(String(v), secrets)
  if (v === null || typeof v !== 'object' || seen.has(v)) return false
  seen.add(v)
  return Object.values(v).some((x) => holdsAny(x, seen))
}

/** Ansible's omit is a placeholder string; rm-play's is an object: they meet here. */
const OMIT_TOKEN = '__omit_place_holder__rm_play'

function settle(v: unknown, seen = new Set<object>()): unknown {
  if (v === null || typeof v !== 'object' || seen.has(v)) return v
  const own = (v as { [SETTLE]?: unknown })[SETTLE]
  if (typeof own === 'function') {
    const plain = (own as () => unknown)()
    if (plain !== v) {
      // a host's variables, as hostvars[h] shows them: without hostvars itself (it would never end)
      if (plain !== null && typeof plain === 'object' && !Array.isArray(plain) && 'hostvars' in plain) {
        const { hostvars: _, ...rest } = plain as Record<string, unknown>
        return settle(rest, seen)
      }
      return settle(plain, seen)
    }
  }
  if (v === OMIT) return OMIT_TOKEN
  seen.add(v)
  const out = Array.isArray(v) ? v.map((x) => settle(x, seen)) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, settle(x, seen)]))
  seen.delete(v)
  return out
}

// A variable whose own template reads an undefined name is undefined here (`x | default(1)`, `x is
// defined` work, as Ansible's lazy variables do); used plainly, the error names the inner variable.
let innerUndefined = new Map<string, UndefinedVariableError>()
// A check-mode result that only a real run produces (unknown.ts) was read.
let readUnknown = false

// What each template names, found once (tokenizing it again on every render cost more than the render)
const analysed = new Map<string, string[]>()
function namesOf(template: string): string[] {
  let names = analysed.get(template)
  if (!names) {
    if (analysed.size > 20000) analysed.clear()
    // hostvars[h].x is read through ansible_hostvar (contextOf): the view crosses whole only when used whole
    names = [...referencedNames(template)].filter((n) => n !== 'hostvars' || usesWholeHostvars(template))
    analysed.set(template, names)
  }
  return names
}

function varsFor(template: string, source: ScopeSource): Record<string, unknown> {
  const vars: Record<string, unknown> = {}
  for (const name of namesOf(template)) {
    if (name === 'omit') {
      vars.omit = OMIT_TOKEN
      continue
    }
    let v: unknown
    try {
      v = source.lookup(name)
    } catch (e) {
      // the lookup rendered the variable's own template, which failed on an undefined name
      if (!(e instanceof UndefinedVariableError)) throw e
      innerUndefined.set(name, e)
      continue
    }
    if (v === notFound) continue
    if (isUnknown(v)) readUnknown = true
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
    const f = taintingFilters({
      call: (): unknown => {
        if (error !== undefined) throw error
        return result
      },
    })
    try {
      ;(f.call as (...a: unknown[]) => unknown)(...args)
    } catch {
      /* src/jinja reports the error */
    }
  })
}

// What each `{{ }}` of a template file prints is checked the same way: a tag that read a secret, or
// a local (`{% set %}`, a loop variable) in a template that read one, prints a secret.
// `late`: values read during the render (hostvars[h].x, lookup('vars', n)), not among `vars`.
const fileRenders: { vars: Record<string, unknown>; secrets: unknown[]; late: unknown[] }[] = []
let observingOutput = false
function observeOutput(): void {
  if (observingOutput) return
  observingOutput = true
  setOutputObserver((tag, value) => {
    const render = fileRenders[fileRenders.length - 1]
    if (!render) return
    const secrets = [...render.secrets, ...render.late.filter((v) => holdsAny(v, new Set()))]
    if (secrets.length === 0) return
    const names = [...referencedNames(`{{ ${tag} }}`)]
    const usesLocal = names.some((n) => !Object.prototype.hasOwnProperty.call(render.vars, n))
    const args = usesLocal ? secrets : names.map((n) => render.vars[n])
    ;(taintingFilters({ call: (): unknown => value }).call as (...a: unknown[]) => unknown)(...args)
  })
}

function translated(e: unknown, text: string, source?: ScopeSource): Error {
  if (e instanceof TemplateError) {
    const m = /^'(.+)' is undefined$/.exec(e.message)
    if (e.kind === 'undefined' && m)
      return innerUndefined.get(/^\w+/.exec(m[1]!)?.[0] ?? '') ?? new UndefinedVariableError(m[1]!, source && nearestName(m[1]!, source))
    return new ExpressionError(e.message, text)
  }
  return e as Error
}

/** The defined name closest to an undefined one (`nmae` → `name`, `d.kye` → `d.key`), for "did you mean". */
function nearestName(name: string, source: ScopeSource): string | undefined {
  const dot = /^(\w+)\.(\w+)$/.exec(name)
  if (dot) {
    const parent = source.lookup(dot[1]!)
    if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) return undefined
    const near = suggest(dot[2]!, Object.keys(parent))
    return near === undefined ? undefined : `${dot[1]}.${near}`
  }
  return /^\w+$/.test(name) && source.names ? suggest(name, source.names()) : undefined
}

const fromToken = (v: unknown): unknown => (v === OMIT_TOKEN ? OMIT : v)

/**
 * The load-time check of a template (a string holding `{{ }}` or `{% %}`) or of one bare
 * expression (a `when:`): a syntax error, an unknown filter, test or lookup is an ExpressionError.
 */
export function compile(text: string): void {
  try {
    checkTemplateOnce(isTemplated(text) ? text : `{{ ${text} }}`)
  } catch (e) {
    const err = translated(e, text)
    throw err instanceof ExpressionError ? err : new ExpressionError(err.message, text)
  }
}

/** The bodies of a template's `{{ }}` tags ([] when it does not parse: the load check reports that). */
export function expressionTags(s: string): string[] {
  try {
    return splitTemplate(s).flatMap((p) => (p.kind === 'var' ? [p.body.trim()] : []))
  } catch {
    return []
  }
}

/** A YAML string value, as Ansible's Templar renders it. */
export function renderString(s: string, source: ScopeSource): unknown {
  if (SINGLE_TAG.test(s)) return evaluation(s, source, () => fromToken(tainting(s, () => templateString(s, contextOf(s, source)))))
  // Text around the tags: each `{{ }}` reports what it prints (observeOutput), so a secret's
  // derivative is masked and the text around it stays readable.
  return evaluation(s, source, () =>
    tainting(
      s,
      () => {
        const late: unknown[] = []
        const ctx = contextOf(s, source, late)
        return fromToken(withTagTaint(ctx.vars, late, () => templateString(s, ctx)))
      },
      'template',
    ),
  )
}

const SINGLE_TAG = /^\{\{(?:(?!\{\{|\}\}|\{%)[\s\S])*\}\}$/

function withTagTaint<T>(vars: Record<string, unknown>, late: unknown[], fn: () => T): T {
  observeOutput()
  fileRenders.push({ vars, secrets: Object.values(vars).filter((v) => holdsAny(v, new Set())), late })
  try {
    return fn()
  } finally {
    fileRenders.pop()
  }
}

/** What a render sees: the variables the template names, and the rest read only when asked. */
function contextOf(template: string, source: ScopeSource, late: unknown[] = []): TemplateContext {
  const noted = (v: unknown): unknown => {
    noteRead(v)
    late.push(v)
    return v
  }
  const read = (name: string): unknown => {
    const v = source.lookup(name)
    return v === notFound ? undefined : noted(settle(v))
  }
  const hostvar = (host: string, attr?: string): unknown => {
    const all = source.lookup('hostvars')
    if (all === notFound || all === null || typeof all !== 'object') return undefined
    const view = (all as Record<string, unknown>)[host]
    if (view === undefined || view === null) return undefined
    if (attr === undefined) return noted(settle(view))
    if (typeof view !== 'object' || !(attr in view)) return undefined
    return noted(settle((view as Record<string, unknown>)[attr]))
  }
  return { vars: varsFor(template, source), resolve: read, hostvar, searchPaths: searchPathsOf(source) }
}

/**
 * Where lookups look for a relative file, as Ansible's task search path does: the role, its
 * tasks/ (each with the lookup's subdirectory first), then the playbook's directory.
 */
function searchPathsOf(source: ScopeSource): string[] | undefined {
  const at = (name: string): string | undefined => {
    try {
      const v = source.lookup(name)
      return typeof v === 'string' && v ? v : undefined
    } catch {
      return undefined
    }
  }
  const role = at('role_path')
  const playbook = at('playbook_dir')
  const paths = [...(role ? [role, join(role, 'tasks')] : []), ...(playbook ? [playbook] : [])]
  return paths.length ? paths : undefined
}

/** One evaluation: its own record of inner undefined variables, its errors as rm-play's. */
function evaluation<T>(text: string, source: ScopeSource, fn: () => T): T {
  observeFilters()
  const outer = innerUndefined
  innerUndefined = new Map()
  try {
    return fn()
  } catch (e) {
    throw translated(e, text, source)
  } finally {
    innerUndefined = outer
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
  readUnknown = false
  try {
    return evaluation(s, source, () => tainting(s, () => jinjaCondition(s, contextOf(`{{ ${s} }}`, source))))
  } catch (e) {
    // `t.rc == 0` on a command check mode did not run: not known, so it may hold (the engine says "may change")
    if (readUnknown && e instanceof UndefinedVariableError) return true
    throw e
  }
}

/** The template file's owner by name, as Ansible's template_uid (the uid when no passwd entry names it). */
function ownerName(path: string): string {
  const uid = String(statSync(path).uid)
  let passwd = ''
  try {
    passwd = readFileSync('/etc/passwd', 'utf8')
  } catch {
    return uid
  }
  const entry = passwd.split('\n').find((l) => l.split(':')[2] === uid)
  return entry ? entry.split(':')[0]! : uid
}

/**
 * A `.j2` template file as Ansible's template module renders it, with Ansible's template variables
 * (`ansible_managed`, `template_path`, `template_host`, ...) where the scope does not set them;
 * `as` is the task's src and dest as written (Ansible's template_path and template_destpath), and
 * its trim_blocks and lstrip_blocks.
 */
export function renderTemplateFile(file: string, source: ScopeSource, as?: TemplateTask): string {
  observeFilters()
  observeOutput()
  const text = readFileSync(file, 'utf8')
  const late: unknown[] = []
  const ctx = contextOf(text, source, late)
  const vars = ctx.vars
  const path = resolve(file)
  const templateVars: Record<string, unknown> = {
    ansible_managed: 'Ansible managed', // ansible-core 2.14's DEFAULT_MANAGED_STR
    template_path: as?.src ?? file,
    template_fullpath: path,
    template_destpath: as?.dest ?? null,
    template_host: hostname(),
    template_uid: ownerName(path),
  }
  for (const [k, v] of Object.entries(templateVars)) if (!(k in vars) && source.lookup(k) === notFound) vars[k] = v
  const roleDir = dirname(dirname(path))
  return withTagTaint(vars, late, () =>
    jinjaFile(text, { ...ctx, searchPaths: [roleDir, dirname(path)] }, { trimBlocks: as?.trimBlocks, lstripBlocks: as?.lstripBlocks }),
  )
}
