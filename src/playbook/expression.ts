// Evaluating expressions: `{{ expr }}` inside YAML strings, bare expressions in `when`,
// `changed_when`, `failed_when`, `until` and `assert`. The language is JavaScript plus the Jinja
// forms in expression-translate.ts. A name that is not defined is an error, except under
// `default`, `is defined`, `??` or `typeof`.
import { isTemplated } from '../text/templated.js'
import { ExpressionSyntaxError, translateExpression } from './expression-translate.js'
import { FILTER_NAMES, inOperator, makeFilters, makeTests, OMIT, TEST_NAMES, type Guard } from './filters.js'
import { SETTLE } from './lazy-view.js'
import { noteRead, tainting, taintingFilters } from './taint.js'
import * as jinjaLayer from './expression-jinja.js'

export { OMIT }

export { ExpressionError, notFound, UndefinedVariableError, type ScopeSource } from './expression-errors.js'
import { ExpressionError, notFound, UndefinedVariableError, type ScopeSource } from './expression-errors.js'

// Names that resolve to JavaScript's own globals unless a variable of that name exists.
const GLOBALS = new Set(['Math', 'JSON', 'Object', 'Array', 'String', 'Number', 'Boolean', 'Date', 'RegExp', 'Set', 'Map', 'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'undefined', 'NaN', 'Infinity', 'true', 'false', 'null'])

type Compiled = (scope: object) => unknown
const cache = new Map<string, Compiled>()

/** Translates and compiles an expression; throws ExpressionError on bad syntax. */
export function compile(expr: string): Compiled {
  if (jinjaLayer.useJinja()) return jinjaLayer.compile(expr)
  let fn = cache.get(expr)
  if (fn) return fn
  let js: string
  try {
    js = translateExpression(expr, FILTER_NAMES, TEST_NAMES)
  } catch (e) {
    throw new ExpressionError(e instanceof ExpressionSyntaxError ? e.message : String(e), expr)
  }
  if (!js) throw new ExpressionError('empty expression', expr)
  try {
    // Sloppy-mode function on purpose: `with` puts the variables in scope without parsing JS ourselves.
    fn = new Function('__scope', `with (__scope) { return (${js}\n) }`) as Compiled
  } catch (e) {
    throw new ExpressionError(`invalid expression: ${(e as Error).message}`, expr)
  }
  cache.set(expr, fn)
  return fn
}

/** How many scope proxies were built: tests use it to prove one per scope, not one per expression. */
export const expressionCounters = { scopeProxies: 0 }

const NO_PASSTHROUGH: ReadonlySet<string> = new Set()

interface BuiltProxy {
  proxy: object
  /** Depth of guards (default, is defined, ??) being evaluated: inside one, undefined reads as undefined. */
  state: { guarded: number }
}

function buildScopeProxy(source: ScopeSource, passthrough: ReadonlySet<string>): BuiltProxy {
  expressionCounters.scopeProxies++
  const state = { guarded: 0 }
  const guard: Guard = (thunk) => {
    state.guarded++
    try {
      return thunk()
    } catch (e) {
      if (e instanceof UndefinedVariableError || e instanceof TypeError) return undefined
      throw e
    } finally {
      state.guarded--
    }
  }
  const tests = makeTests(guard)
  // No prototype: `constructor` or `toString` in an expression is a variable, never Object's.
  // __s: a template's output tag as a taint frame (expression-translate.ts wraps them in it).
  const builtins: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, { __f: taintingFilters(makeFilters(guard, tests)), __t: { ...tests, in_: inOperator }, __g: guard, __s: (thunk: () => unknown, src: string) => tainting(src, thunk) })
  const proxy = new Proxy(Object.create(null) as object, {
    has(_, key) {
      if (typeof key !== 'string') return false
      if (key in builtins) return true
      if (key.startsWith('__') || passthrough.has(key)) return false
      if (GLOBALS.has(key)) return source.lookup(key) !== notFound
      return true
    },
    get(_, key) {
      if (typeof key !== 'string') return undefined
      if (key in builtins) return builtins[key]
      const v = source.lookup(key)
      if (v !== notFound) {
        noteRead(v)
        return v
      }
      if (state.guarded > 0) return undefined
      throw new UndefinedVariableError(key)
    },
    set(_, key) {
      throw new ExpressionError(`expressions cannot assign variables (use set_fact): ${String(key)}`, String(key))
    },
  })
  return { proxy, state }
}

/**
 * The object that `with` puts in scope: variables from `source`, the helpers the translator emits
 * (__f filters, __t tests, __g guard), JavaScript's globals, and `passthrough` names left to the
 * enclosing function (EJS's own locals).
 */
export function scopeProxy(source: ScopeSource, passthrough: ReadonlySet<string> = NO_PASSTHROUGH): object {
  return buildScopeProxy(source, passthrough).proxy
}

// One proxy (and its ~80 filter and test closures) per scope, shared by every expression on it.
const proxies = new WeakMap<ScopeSource, BuiltProxy>()

/**
 * Runs `fn` with the scope's shared proxy. Rendering a variable evaluates its own expressions on
 * the same scope, inside this one: each evaluation starts unguarded, as with a fresh proxy, so
 * `x | default(1)` with `x: "{{ nowhere }}"` still fails inside and defaults outside.
 */
function withProxy<T>(source: ScopeSource, fn: (proxy: object) => T): T {
  let built = proxies.get(source)
  if (!built) proxies.set(source, (built = buildScopeProxy(source, NO_PASSTHROUGH)))
  const outer = built.state.guarded
  built.state.guarded = 0
  try {
    return fn(built.proxy)
  } finally {
    built.state.guarded = outer
  }
}

/**
 * A lazy view (`hostvars[h]`) answers SETTLE with a function that returns the value to keep
 * when an expression's result holds the view: results are settled into plain data, so a value
 * stored by set_fact or register is a snapshot and never reads another host's state later.
 */
export { SETTLE }

let viewsHandedOut = 0

/** Lazy views call this when they hand themselves out, so evaluate knows to settle its result. */
export function handOutView<T>(view: T): T {
  viewsHandedOut++
  return view
}

function settle(v: unknown, seen: Set<object>): unknown {
  if (v === null || typeof v !== 'object' || seen.has(v)) return v
  const own = (v as { [SETTLE]?: unknown })[SETTLE]
  if (typeof own === 'function') return (own as () => unknown)()
  const proto = Object.getPrototypeOf(v)
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v
  seen.add(v)
  // Copy only what holds a view: most results are returned as they are.
  let out: Record<string, unknown> | unknown[] | undefined
  for (const [k, x] of Object.entries(v)) {
    const s = settle(x, seen)
    if (s !== x) (out ??= Array.isArray(v) ? [...v] : { ...v } as Record<string, unknown>)[k as never] = s as never
  }
  seen.delete(v)
  return out ?? v
}

/** Evaluates one expression against a scope. */
export function evaluate(expr: string, source: ScopeSource): unknown {
  if (jinjaLayer.useJinja()) return jinjaLayer.evaluate(expr, source)
  const fn = compile(expr)
  const views = viewsHandedOut
  try {
    // A taint frame: a result computed from a secret becomes one (taint.ts).
    return tainting(expr, () => {
      const v = withProxy(source, fn)
      return viewsHandedOut === views ? v : settle(v, new Set())
    })
  } catch (e) {
    if (e instanceof UndefinedVariableError || e instanceof ExpressionError) throw e
    throw new ExpressionError(`${(e as Error).message}`, expr)
  }
}

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g
const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/

export { isTemplated }

/** The expressions inside a templated string. */
export function expressionsIn(s: string): string[] {
  return [...s.matchAll(TEMPLATE)].map((m) => m[1]!.trim())
}

function stringify(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/**
 * Renders a string: a string that is one `{{ expr }}` yields the value itself (a list stays a
 * list); otherwise each `{{ expr }}` is replaced by its text.
 */
export function renderString(s: string, source: ScopeSource): unknown {
  if (jinjaLayer.useJinja()) return jinjaLayer.renderString(s, source)
  if (s.includes('{%')) throw new ExpressionError('Jinja statements ({% %}) are not supported in YAML values; use a template file (EJS) or an expression', s)
  const whole = WHOLE.exec(s)
  if (whole && !whole[1]!.includes('{{')) {
    const v = checked(evaluate(whole[1]!.trim(), source), whole[1]!.trim())
    // A string keeps the text around it, byte for byte (Ansible writes "{{ x }}\n" with its newline).
    return typeof v === 'string' ? `${/^\s*/.exec(s)![0]}${v}${/\s*$/.exec(s)![0]}` : v
  }
  return s.replace(TEMPLATE, (_, e: string) => stringify(checked(evaluate(e.trim(), source), e.trim())))
}

function checked(v: unknown, expr: string): unknown {
  if (v === undefined) throw new ExpressionError(`'${expr}' is undefined`, expr)
  return v
}

/** Renders every string inside a value (lists and mappings are walked); `omit` removes a key. */
export function renderValue(v: unknown, source: ScopeSource): unknown {
  if (typeof v === 'string') return isTemplated(v) ? renderString(v, source) : v
  if (Array.isArray(v)) return v.map((x) => renderValue(x, source)).filter((x) => x !== OMIT)
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      const r = renderValue(x, source)
      // defineProperty, not `out[k] =`: a key named __proto__ is data, never the object's prototype
      if (r !== OMIT) Object.defineProperty(out, isTemplated(k) ? String(renderString(k, source)) : k, { value: r, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return v
}

/** A condition (`when`, `changed_when` ...): a bare expression, or a `{{ }}` one as Ansible tolerates. */
export function evaluateCondition(cond: unknown, source: ScopeSource): boolean {
  if (jinjaLayer.useJinja()) return jinjaLayer.evaluateCondition(cond, source)
  if (typeof cond === 'boolean') return cond
  if (typeof cond === 'number') return cond !== 0
  if (cond === null || cond === undefined) return false
  const s = String(cond).trim()
  const v = WHOLE.test(s) ? renderString(s, source) : evaluate(s, source)
  if (typeof v === 'string') return !['', 'false', 'no', 'off', '0', 'False'].includes(v.trim())
  if (Array.isArray(v)) return v.length > 0
  return Boolean(v)
}
