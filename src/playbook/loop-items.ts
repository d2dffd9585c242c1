// The items of a loop. `loop:` is rendered as it is; `with_<lookup>:` renders its terms and hands
// them to the lookup, as Ansible's TaskExecutor._get_loop_items does (listify_lookup_plugin_terms,
// then lookup(name, terms, wantlist=True)).
import { renderValue, UndefinedVariableError, type ScopeSource } from './expression.js'

/** A `with_<lookup>:` loop as the loader keeps it: the lookup's name and its terms as written. */
export interface WithLookup {
  kind: 'with-lookup'
  lookup: string
  terms: unknown
  /** first_found's subdirectory, from the task's action (include_vars: vars, template: templates) */
  subdir: string
}

export function isWithLookup(v: unknown): v is WithLookup {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'with-lookup'
}

/** Ansible's subdirectory for a with_ loop's lookup, from the module's name. */
export function lookupSubdir(module: string): string {
  return module.includes('template') ? 'templates' : module.includes('var') ? 'vars' : 'files'
}

const TERMS = '__rmp_with_terms'

export function loopItems(loop: unknown, source: ScopeSource): unknown {
  if (!isWithLookup(loop)) return renderValue(loop, source)
  const terms = listify(loop, source)
  const scope: ScopeSource = { lookup: (n) => (n === TERMS ? terms : source.lookup(n)), names: source.names && (() => source.names!()) }
  return renderValue(`{{ query('${loop.lookup}', *${TERMS}, _subdir='${loop.subdir}') }}`, scope)
}

function listify(loop: WithLookup, source: ScopeSource): unknown[] {
  const raw = typeof loop.terms === 'string' ? loop.terms.trim() : loop.terms
  // first_found renders each name on its own: one naming an undefined variable is passed over
  const rendered =
    loop.lookup === 'first_found' && Array.isArray(raw)
      ? raw.flatMap((t) => {
          try {
            return [renderValue(t, source)]
          } catch (e) {
            if (e instanceof UndefinedVariableError) return []
            throw e
          }
        })
      : renderValue(raw, source)
  return Array.isArray(rendered) ? rendered : [rendered]
}
