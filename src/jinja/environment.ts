// The one MiniJinja environment with Ansible's settings (strict undefined, trim_blocks, Python
// methods) and Ansible's filters, tests and lookups. Templates see data and these functions only.
import type { Environment } from 'minijinja-js'
import { collectionFilters } from './filters-collections.js'
import { json_query } from './filter-json-query.js'
import { random, shuffle } from './filter-random.js'
import { dataFilters } from './filters-data.js'
import { textFilters } from './filters-text.js'
import { typeFilters, typeGlobals } from './filters-types.js'
import { lookupGlobals, type LookupContext } from './lookups.js'
import { ansibleTests } from './tests.js'
import { undefinedMarker } from './errors.js'
import { loadMiniJinja } from './minijinja.js'
import { fromEngine } from './values.js'

let current: LookupContext | undefined
let pending: unknown

/** Sees the arguments and the result (or error) of every filter, test and function call. */
export type CallObserver = (args: unknown[], result: unknown, error?: unknown) => void
let observer: CallObserver | undefined

/** rm-play's taint tracking watches what each filter computes from what (taint.ts). */
export function setCallObserver(o: CallObserver | undefined): void {
  observer = o
}

/** Sees each value a `{{ }}` tag prints, with the tag's source text. */
export type OutputObserver = (tag: string, value: unknown) => void
let outputObserver: OutputObserver | undefined
/** Sets the observer; returns the one it replaces. */
export function setOutputObserver(o: OutputObserver | undefined): OutputObserver | undefined {
  const previous = outputObserver
  outputObserver = o
  return previous
}

/** What a tag rendered without the engine printed (concat.ts), seen as the engine's tags are. */
export function observeTagOutput(tag: string, value: unknown): void {
  if (outputObserver) outputObserver(tag, value)
}

/**
 * A JavaScript exception thrown into MiniJinja's WASM makes it panic and leaves the module
 * unusable ("If the engine panics, the WASM runtime corrupts"). So no registered function ever
 * throws: it records the first error, returns none, and render.ts raises it after the render.
 */
function safe(fn: (...args: any[]) => unknown): (...args: any[]) => unknown {
  return (...args) => {
    if (pending !== undefined) return null // an earlier call failed: the result is discarded anyway
    try {
      const r = fn(...args)
      if (observer) observer(args.map(fromEngine), r)
      return r
    } catch (e) {
      pending = e
      if (observer) {
        try {
          observer(args.map(fromEngine), undefined, e)
        } catch {
          /* the recorded error is what the caller sees */
        }
      }
      return null
    }
  }
}

/** The error a filter, test or lookup recorded during the last render, cleared. */
export function takeError(): unknown {
  const e = pending
  pending = undefined
  return e
}

/** Runs `fn` with the variables and search paths that lookups see (rendering is synchronous). */
export function withLookupContext<T>(ctx: LookupContext, fn: () => T): T {
  const saved = current
  current = ctx
  try {
    return fn()
  } finally {
    current = saved
  }
}

function create(): Environment {
  const env = new (loadMiniJinja(true).Environment)()
  env.undefinedBehavior = 'strict'
  env.enablePyCompat()
  env.trimBlocks = true // Ansible's AnsibleEnvironment sets it for every template
  env.debug = true // carets under the failing expression; errors.ts keeps only what is safe
  const filters = { ...typeFilters, ...collectionFilters, ...textFilters, ...dataFilters, random, shuffle, json_query }
  for (const [name, fn] of Object.entries(filters)) env.addFilter(name, safe(fn))
  env.addFilter(
    'ansible_finalize',
    safe((v: unknown, defined: unknown, name: unknown) => {
      if (v === undefined && defined === false) throw undefinedMarker(String(name))
      return typeFilters.ansible_finalize(v, defined)
    }),
  )
  for (const [name, fn] of Object.entries(ansibleTests)) env.addTest(name, safe(fn))
  const lookups = lookupGlobals(() => {
    if (!current) throw new Error('lookup() outside of a render')
    return current
  })
  for (const [name, fn] of Object.entries({ ...typeGlobals, ...lookups })) env.addGlobal(name, safe(fn))
  env.addGlobal(
    'ansible_observe',
    safe((value: unknown, tag: unknown) => {
      if (outputObserver) outputObserver(String(tag), fromEngine(value))
      return null
    }),
  )
  env.addGlobal(
    'ansible_hostvar',
    safe((host: unknown, attr: unknown) => {
      if (!current?.hostvar) throw new Error('hostvars is not available here')
      const v = current.hostvar(String(host), attr === undefined || attr === null ? undefined : String(attr))
      if (v === undefined)
        throw undefinedMarker(attr === undefined || attr === null ? `hostvars['${String(host)}']` : `hostvars['${String(host)}'].${String(attr)}`)
      return v
    }),
  )
  env.addGlobal(
    'ansible_hostvar_has',
    safe((host: unknown, attr: unknown) => current?.hostvar?.(String(host), attr === undefined || attr === null ? undefined : String(attr)) !== undefined),
  )
  env.addGlobal(
    'ansible_undefined',
    safe((name: unknown) => {
      throw undefinedMarker(String(name))
    }),
  )
  return env
}

/** An environment and the names of the templates compiled into it (source key -> name). */
export interface Engine {
  env: Environment
  compiled: Map<string, string>
}

// One environment per nesting level: a lookup('template') renders while its caller's render is
// still running, and MiniJinja refuses to re-enter an environment that is busy.
let engines: Engine[] = []
export function engineAt(depth: number): Engine {
  while (engines.length <= depth) engines.push({ env: create(), compiled: new Map() })
  return engines[depth]
}

/** Drops every environment after the engine panicked; the next call builds new ones. */
export function discardEngines(): void {
  engines = []
}
