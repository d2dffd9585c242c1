// The variables a task sees on a host, layered in the documented precedence (playbook/vars.ts).
import { notFound, OMIT, type ScopeSource } from '../playbook/expression.js'
import type { Inventory } from '../playbook/inventory.js'
import type { Play, RoleInstance } from '../playbook/model.js'
import { VarScope, type VarLayer } from '../playbook/vars.js'
import { factVariables } from '../probes/facts.js'
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

/** `hostvars[h]`: another host's variables, built when read. */
function hostvarsProxy(inputs: ScopeInputs, place: TaskPlace): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get(_, key) {
      if (typeof key !== 'string' || !inputs.inventory.hosts.has(key)) return undefined
      return scopeFor(inputs, key, { vars: [] }).toObject()
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
}

export function scopeFor(inputs: ScopeInputs, host: string, place: TaskPlace): VarScope {
  const hs = inputs.hosts.get(host)
  const layers: VarLayer[] = [
    ...roleLayers(inputs.play, place.role, 'defaults'),
    ...inputs.inventory.varLayers(host, inputs.playbookDir),
    { name: 'play vars', values: inputs.play.vars },
    { name: 'play vars_files', values: hs?.varsFiles ?? {} },
    ...roleLayers(inputs.play, place.role, 'vars'),
    ...place.vars.map((v, i) => ({ name: `block/task vars ${i}`, values: v })),
    { name: 'facts', values: hs?.facts ? factVariables(hs.facts) : {}, data: true },
    { name: 'set_fact and register', values: hs?.vars ?? {}, data: true },
    { name: 'extra vars', values: inputs.extraVars },
  ]
  const inv = inputs.inventory
  const magic: Record<string, unknown> = {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: inv.groupNames(host),
    groups: inv.groupsMap(),
    play_hosts: inputs.batchHosts,
    ansible_play_hosts: inputs.playHosts.filter((h) => inputs.hosts.get(h)?.active ?? true),
    ansible_play_hosts_all: inputs.playHosts,
    ansible_play_batch: inputs.batchHosts,
    ansible_play_name: inputs.play.name,
    ansible_check_mode: inputs.check,
    ansible_diff_mode: inputs.diff,
    playbook_dir: inputs.playbookDir,
    inventory_dir: inv.varDirs[0] ?? '',
    omit: OMIT,
    role_name: place.role?.name,
    role_path: place.role?.path,
  }
  let hv: Record<string, unknown> | undefined
  const fallback: ScopeSource = {
    lookup(name) {
      if (name === 'hostvars') return (hv ??= hostvarsProxy(inputs, place))
      if (name === 'vars') return scope.toObject()
      if (Object.prototype.hasOwnProperty.call(magic, name) && magic[name] !== undefined) return magic[name]
      return notFound
    },
  }
  const scope = new VarScope(layers, fallback)
  return scope
}
