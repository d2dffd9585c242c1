// Variables in layers of rising precedence. Values written in playbooks and inventories may hold
// `{{ }}` and are rendered lazily, when read, against the whole scope (so `a: "{{ b }}"` sees the
// `b` of the host and task at hand). Layers marked `data` (facts, registered results, set_fact)
// hold what came back from hosts: they are never rendered again.
import { ExpressionError, isTemplated, notFound, renderValue, type ScopeSource } from './expression.js'

export interface VarLayer {
  /** For `rm-play --explain`-style messages and tests: where these values come from. */
  name: string
  values: Readonly<Record<string, unknown>>
  data?: boolean
}

/**
 * The documented order, lowest first. Later entries win.
 */
export const PRECEDENCE = [
  'role defaults',
  'inventory vars (group then host, in the inventory file)',
  'group_vars (all, then parent groups before child groups; inventory dir, then playbook dir)',
  'host_vars (inventory dir, then playbook dir)',
  'play vars',
  'play vars_files',
  'role vars and role parameters',
  'block vars, then task vars, then include parameters',
  'facts, registered results and set_fact',
  'loop variables (item, loop_var, ansible_loop)',
  'extra vars (-e)',
] as const

function templated(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v)
  if (Array.isArray(v)) return v.some(templated)
  if (v !== null && typeof v === 'object') return Object.values(v).some(templated)
  return false
}

export { isUnknown, markUnknown, UNKNOWN } from './unknown.js'
import { isUnknown } from './unknown.js'

/** How a recorded `has(name)` is keyed among the reads (no variable name holds a NUL). */
export const HAS_KEY = (name: string): string => `\0has ${name}`

export class VarScope implements ScopeSource {
  private readonly rendered = new Map<string, unknown>()
  private readonly rendering = new Set<string>()
  /** What was read since recordReads(): name → value, and `has` answers under HAS_KEY(name). */
  private reads?: Map<string, unknown>

  constructor(
    readonly layers: readonly VarLayer[],
    private readonly fallback?: ScopeSource,
    /** Names of check-mode-unknown values read through this scope (shared with derived scopes). */
    readonly touchedUnknown: Set<string> = new Set(),
  ) {}

  /** A scope with one more layer on top (loop items, task vars). */
  with(layer: VarLayer): VarScope {
    return new VarScope([...this.layers, layer], this.fallback, this.touchedUnknown)
  }

  /** The raw (unrendered) value and whether it is data. */
  private find(name: string): { value: unknown; data: boolean } | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!
      if (Object.prototype.hasOwnProperty.call(l.values, name)) return { value: l.values[name], data: !!l.data }
    }
    return undefined
  }

  /**
   * From now on, notes every variable read through this scope (looked up, or asked for with has)
   * and what it gave: what a render depended on (engine/arg-cache.ts).
   */
  recordReads(): ReadonlyMap<string, unknown> {
    return (this.reads = new Map())
  }

  lookup(name: string): unknown {
    const v = this.lookupUnrecorded(name)
    if (this.reads && !this.reads.has(name)) this.reads.set(name, v)
    return v
  }

  private lookupUnrecorded(name: string): unknown {
    if (this.rendered.has(name)) return this.rendered.get(name)
    const hit = this.find(name)
    if (!hit) return this.fallback ? this.fallback.lookup(name) : notFound
    if (isUnknown(hit.value)) this.touchedUnknown.add(name)
    if (hit.data || !templated(hit.value)) return hit.value
    if (this.rendering.has(name)) throw new ExpressionError(`variable '${name}' refers to itself (${[...this.rendering, name].join(' → ')})`, name)
    this.rendering.add(name)
    try {
      const v = renderValue(hit.value, this)
      this.rendered.set(name, v)
      return v
    } finally {
      this.rendering.delete(name)
    }
  }

  has(name: string): boolean {
    const yes = this.find(name) !== undefined || (this.fallback !== undefined && this.fallback.lookup(name) !== notFound)
    if (this.reads && !this.reads.has(HAS_KEY(name))) this.reads.set(HAS_KEY(name), yes)
    return yes
  }

  /** Every variable name visible in this scope's layers. */
  names(): string[] {
    return [...new Set(this.layers.flatMap((l) => Object.keys(l.values)))]
  }

  /** All variables, rendered (for `hostvars` and `debug: var=vars`); a variable that fails to render is left out. */
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const n of this.names()) {
      try {
        // defineProperty: a variable named __proto__ is data, not the object's prototype
        Object.defineProperty(out, n, { value: this.lookup(n), enumerable: true, writable: true, configurable: true })
      } catch {
        // an unrenderable variable is only an error when used
      }
    }
    return out
  }
}
