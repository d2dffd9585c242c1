// Evaluating expressions: `{{ }}` / `{% %}` inside YAML strings, bare expressions in `when`,
// `changed_when`, `failed_when`, `until` and `assert`. The language is Jinja2 with Ansible's
// meaning (src/jinja, through expression-jinja.ts); there is no other engine: templates see data
// and registered filters only, never the controller's JavaScript.
import { isTemplated } from '../text/templated.js'
import * as jinja from './expression-jinja.js'
import { SETTLE } from './lazy-view.js'
import { OMIT } from './expression-errors.js'

export { OMIT, SETTLE, isTemplated }
export { ExpressionError, notFound, UndefinedVariableError, type ScopeSource } from './expression-errors.js'
import type { ScopeSource } from './expression-errors.js'

/** The load-time check of one bare expression: a syntax error, an unknown filter, test or lookup throws ExpressionError. */
export const compile = jinja.compile

/** Lazy views (hostvars) call this when they hand themselves out; every result is settled into data anyway. */
export function handOutView<T>(view: T): T {
  return view
}

/** The expressions inside a templated string (the bodies of its `{{ }}` tags). */
export function expressionsIn(s: string): string[] {
  return jinja.expressionTags(s)
}

/** Evaluates one bare expression against a scope. */
export function evaluate(expr: string, source: ScopeSource): unknown {
  return jinja.evaluate(expr, source)
}

/** Renders a YAML string as Ansible's Templar does: a lone `{{ var }}` keeps its type, text is literal_eval-ed. */
export function renderString(s: string, source: ScopeSource): unknown {
  return jinja.renderString(s, source)
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
      if (r !== OMIT)
        Object.defineProperty(out, isTemplated(k) ? String(renderString(k, source)) : k, { value: r, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return v
}

/** A condition (`when`, `changed_when` ...): a bare expression, or a `{{ }}` one as Ansible tolerates. */
export function evaluateCondition(cond: unknown, source: ScopeSource): boolean {
  if (typeof cond === 'number') return cond !== 0
  return jinja.evaluateCondition(cond, source)
}
