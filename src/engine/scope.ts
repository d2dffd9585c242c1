// The variables a task sees on a host, layered in the documented precedence (playbook/vars.ts).
import { handOutView, notFound, OMIT, SETTLE, type ScopeSource } from '../playbook/expression.js'
import type { Inventory } from '../playbook/inventory.js'
import { noteRead } from '../playbook/taint.js'
import type { Play, RoleInstance } from '../playbook/model.js'
import { VarScope, type VarLayer } from '../playbook/vars.js'
import { factVariables, type Facts } from '../probes/facts.js'
import type { HostState } from './host-state.js'

export interface ScopeInputs {
  inventory: Inventory
  playbookDir: string
  play: Play
  extraVars: Record<string, unknown>
  hosts: Map<string, HostState>
  /** Hosts of the current play (all batches) and of the current batch. */
  playHosts: string[]
  batchHosts: string[]
  check: boolean
  diff: boolean
  /** `groups`, computed once per play (the inventory does not change during a run). */
  groups: Readonly<Record<string, readonly string[]>>
  /** The command line's say, for ansible_run_tags, ansible_skip_tags, ansible_limit, ansible_forks, ansible_verbosity. */
  run?: { tags: string[]; skipTags: string[]; limit?: string; forks: number; verbosity: number }
}

export interface TaskPlace {
  role?: RoleInstance
  vars: Record<string, unknown>[]
}

function roleLayers(play: Play, role: RoleInstance | undefined, kind: 'defaults' | 'vars'): VarLayer[] {
  const all = play.roles.filter((r) => Object.keys(r[kind]).length).map((r) => ({ name: `role ${r.name} ${kind}`, values: r[kind] }))
  // The task's own role wins over the other roles of the play.
  if (role && Object.keys(role[kind]).length) all.push({ name: `role ${role.name} ${kind} (own)`, values: role[kind] })
  return all
}

type Read = (k: string | symbol) => { found: boolean; value?: unknown }

/** Reads one of the scope's own variables as `toObject()` shows it: absent if it fails to render. */
function ownReader(scope: VarScope): Read {
  let names: Set<string> | undefined
  return (k) => {
    if (typeof k !== 'string' || !(names ??= new Set(scope.names())).has(k)) return { found: false }
    try {
      return { found: true, value: scope.lookup(k) }
    } catch {
      return { found: false }
    }
  }
}

/**
 * Variables read one at a time when asked (a connection needs a handful, not every rendered value).
 * `omit`: only the scope's own variables, and one that fails to render reads as absent, as in
 * `toObject()`; `throw`: any name the scope knows, and a render error is thrown.
 */
export function lazyVars(scope: VarScope, onError: 'throw' | 'omit' = 'throw'): Readonly<Record<string, unknown>> {
  if (onError === 'throw')
    return new Proxy({} as Record<string, unknown>, {
      get: (_, k) => (typeof k === 'string' && scope.has(k) ? scope.lookup(k) : undefined),
      has: (_, k) => typeof k === 'string' && scope.has(k),
    })
  const read = ownReader(scope)
  return new Proxy({} as Record<string, unknown>, { get: (_, k) => read(k).value, has: (_, k) => read(k).found })
}

/**
 * What Ansible's hostvars[h] has beside the host's variables: Host.get_magic_vars, the facts, and
 * the magic variables of the run (not those of a play, a role or a task). Each made when read.
 */
function hostMagic(inputs: ScopeInputs, host: string): Record<string, () => unknown> {
  return {
    inventory_hostname: () => host,
    inventory_hostname_short: () => host.split('.')[0],
    group_names: () => inputs.inventory.groupNames(host),
    ansible_facts: () => {
      const facts = inputs.hosts.get(host)?.facts
      return facts ? factVars(facts).ansible_facts : {}
    },
    ...runMagic(inputs),
  }
}

/** The magic variables of the run: the same on every host, in every play. */
function runMagic(inputs: ScopeInputs): Record<string, () => unknown> {
  return {
    playbook_dir: () => inputs.playbookDir,
    // A copy, as a fresh map was before: an expression that sorts a list in place changes only its own.
    groups: () => Object.fromEntries(Object.entries(inputs.groups).map(([g, members]) => [g, [...members]])),
    omit: () => OMIT,
    ansible_check_mode: () => inputs.check,
    ansible_diff_mode: () => inputs.diff,
    ansible_inventory_sources: () => [...inputs.inventory.sources],
    ansible_run_tags: () => (inputs.run ? (inputs.run.tags.length ? [...inputs.run.tags] : ['all']) : undefined),
    ansible_skip_tags: () => (inputs.run ? [...inputs.run.skipTags] : undefined),
    ansible_limit: () => inputs.run?.limit,
    ansible_forks: () => inputs.run?.forks,
    ansible_verbosity: () => inputs.run?.verbosity,
  }
}

/**
 * `hostvars[h]`: another host's variables, each rendered when read, as a plain object of them
 * would show it (a variable that fails to render is absent). Only listing its keys renders them all.
 */
function hostView(inputs: ScopeInputs, host: string): Record<string, unknown> {
  const scope = scopeFor(inputs, host, { vars: [] })
  const own = ownReader(scope)
  const magic = hostMagic(inputs, host)
  const magicValue: Read = (k) => {
    const value = typeof k === 'string' && Object.prototype.hasOwnProperty.call(magic, k) ? magic[k]!() : undefined
    return value === undefined ? { found: false } : { found: true, value }
  }
  // as in Ansible, the magic ones win, and come after the host's variables
  const read: Read = (k) => {
    const m = magicValue(k)
    return m.found ? m : own(k)
  }
  let all: Record<string, unknown> | undefined
  const snapshot = () => {
    if (all) return all
    all = scope.toObject()
    for (const k of Object.keys(magic)) {
      const m = magicValue(k)
      if (m.found) all[k] = m.value
    }
    return all
  }
  return new Proxy({} as Record<string, unknown>, {
    get(target, key, receiver) {
      if (key === SETTLE) return snapshot
      const r = read(key)
      // The expression reading hostvars[h].x reads x: a secret there taints it (taint.ts).
      if (r.found) noteRead(r.value)
      return r.found ? r.value : Reflect.get(target, key, receiver)
    },
    has(target, key) {
      return read(key).found || Reflect.has(target, key)
    },
    ownKeys() {
      return Object.keys(snapshot())
    },
    getOwnPropertyDescriptor(_, key) {
      const r = read(key)
      if (r.found) noteRead(r.value)
      return r.found ? { value: r.value, writable: true, enumerable: true, configurable: true } : undefined
    },
  })
}

/** `hostvars`: every inventory host, each one's view made when read. */
function hostvarsProxy(inputs: ScopeInputs): Record<string, unknown> {
  const proxy: Record<string, unknown> = new Proxy({} as Record<string, unknown>, {
    get(_, key) {
      // An expression returning `hostvars` itself keeps it as it is: lazy.
      if (key === SETTLE) return () => proxy
      if (typeof key !== 'string' || !inputs.inventory.hosts.has(key)) return undefined
      return handOutView(hostView(inputs, key))
    },
    has(_, key) {
      return typeof key === 'string' && inputs.inventory.hosts.has(key)
    },
    ownKeys() {
      return [...inputs.inventory.hosts.keys()]
    },
    getOwnPropertyDescriptor(_, key) {
      return typeof key === 'string' && inputs.inventory.hosts.has(key) ? { enumerable: true, configurable: true } : undefined
    },
  })
  return proxy
}

// Facts do not change once gathered (a new gathering is a new object): their variables are made once.
// A memo keyed by the facts object, which belongs to one run's host: nothing is shared between runs.
const factVarsOf = new WeakMap<Facts, Record<string, unknown>>()

function factVars(facts: Facts): Record<string, unknown> {
  let v = factVarsOf.get(facts)
  if (!v) factVarsOf.set(facts, (v = factVariables(facts)))
  return v
}

// The inventory does not change during a run: a host's inventory layers are made once per play
// (every task of every host asked for them, and each time walked every group). Keyed by the play's
// inputs, which belong to one run: a later run reads group_vars again (and learns its secrets).
const layersOf = new WeakMap<ScopeInputs, Map<string, VarLayer[]>>()

function inventoryLayers(inputs: ScopeInputs, host: string): VarLayer[] {
  let byHost = layersOf.get(inputs)
  if (!byHost) layersOf.set(inputs, (byHost = new Map()))
  let layers = byHost.get(host)
  if (!layers) byHost.set(host, (layers = inputs.inventory.varLayers(host, inputs.playbookDir)))
  return layers
}

export function scopeFor(inputs: ScopeInputs, host: string, place: TaskPlace): VarScope {
  const hs = inputs.hosts.get(host)
  const layers: VarLayer[] = [
    ...roleLayers(inputs.play, place.role, 'defaults'),
    ...inventoryLayers(inputs, host),
    { name: 'play vars', values: inputs.play.vars },
    { name: 'play vars_files', values: hs?.varsFiles ?? {} },
    ...roleLayers(inputs.play, place.role, 'vars'),
    ...place.vars.map((v, i) => ({ name: `block/task vars ${i}`, values: v })),
    { name: 'facts', values: hs?.facts ? factVars(hs.facts) : {}, data: true },
    { name: 'include_vars', values: hs?.includedVars ?? {} },
    { name: 'set_fact and register', values: hs?.vars ?? {}, data: true },
    { name: 'extra vars', values: inputs.extraVars },
  ]
  const inv = inputs.inventory
  const stillRunning = (h: string) => inputs.hosts.get(h)?.active ?? true
  // Made when read: most tasks use none of these.
  const magic: Record<string, () => unknown> = {
    ...runMagic(inputs),
    inventory_hostname: () => host,
    inventory_hostname_short: () => host.split('.')[0],
    group_names: () => inv.groupNames(host),
    // the facts layer has it once facts are gathered
    ansible_facts: () => ({}),
    // Ansible leaves out the hosts that failed or became unreachable (rescued ones stay), from the
    // batch too: `ansible_play_batch | first` names a host that still runs.
    play_hosts: () => inputs.batchHosts.filter(stillRunning),
    ansible_play_hosts: () => inputs.playHosts.filter(stillRunning),
    ansible_play_hosts_all: () => inputs.playHosts,
    ansible_play_batch: () => inputs.batchHosts.filter(stillRunning),
    ansible_play_name: () => inputs.play.name,
    ansible_play_role_names: () => [...inputs.play.roleNames],
    role_names: () => [...inputs.play.roleNames],
    ansible_dependent_role_names: () => [...inputs.play.dependentRoleNames],
    ansible_role_names: () => [...new Set([...inputs.play.dependentRoleNames, ...inputs.play.roleNames])],
    role_name: () => place.role?.name,
    ansible_role_name: () => place.role?.name,
    role_path: () => place.role?.path,
  }
  let hv: Record<string, unknown> | undefined
  const fallback: ScopeSource = {
    lookup(name) {
      if (name === 'hostvars') return (hv ??= hostvarsProxy(inputs))
      if (name === 'vars') return scope.toObject()
      const v = Object.prototype.hasOwnProperty.call(magic, name) ? magic[name]!() : undefined
      return v !== undefined ? v : notFound
    },
  }
  const scope = new VarScope(layers, fallback)
  return scope
}
