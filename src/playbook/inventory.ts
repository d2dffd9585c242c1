// Inventories: INI or YAML files, or directories of them (-i may repeat), with group_vars/ and
// host_vars/ beside them. Builds hosts, groups and each host's inventory variable layers.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { RmError, RmErrors } from './errors.js'
import { expandHostRange, parseIniInventory, rawGroup, RawInventory } from './inventory-ini.js'
import type { VarLayer } from './vars.js'
import { currentRun } from './run-context.js'
import { loadVarsFile } from './vars-files.js'
import { parseYamlFile, posOf } from './yaml.js'

export interface Host {
  name: string
  /** Inline inventory vars (host lines / YAML host entries). */
  vars: Record<string, unknown>
  /** Groups the host is directly in. */
  groups: Set<string>
}

export interface Group {
  name: string
  vars: Record<string, unknown>
  children: Set<string>
  hosts: Set<string>
}

// Ansible's INVENTORY_IGNORE_EXTS: in an inventory directory, these files are not inventory
// sources. `.ini` among them: `-i dir/` with a dir/hosts.ini finds no host in Ansible, so rm-play
// skips it too (with a warning, where Ansible only says it parsed nothing).
const IGNORED_IN_INVENTORY_DIR = /(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/

// group_vars/NAME/ and host_vars/NAME/ hold YAML files: Ansible reads those with no extension or
// .yml, .yaml, .json, and no other.
const isVarsFile = (f: string): boolean => !f.startsWith('.') && (!f.includes('.') || /\.(ya?ml|json)$/.test(f))

export class Inventory {
  readonly hosts = new Map<string, Host>()
  readonly groups = new Map<string, Group>()
  /** Hosts listed under `all` itself (YAML `all: hosts:`, INI `[all]`): first in all's order. */
  readonly allHosts: string[] = []
  /** Directories whose group_vars/ and host_vars/ apply (inventory sources). */
  readonly varDirs: string[] = []
  /** The -i sources as Ansible lists them in ansible_inventory_sources: paths made absolute, host lists as given. */
  readonly sources: string[] = []
  /** Files of an inventory directory that are not inventory sources, as in Ansible (`hosts.ini`). */
  readonly ignoredFiles: string[] = []

  group(name: string): Group {
    let g = this.groups.get(name)
    if (!g) {
      g = { name, vars: {}, children: new Set(), hosts: new Set() }
      this.groups.set(name, g)
    }
    return g
  }

  /** Every group a host belongs to, directly or through children, ordered: `all` first, then by depth, then by name (Ansible's merge order). */
  groupsOf(host: string): string[] {
    const h = this.hosts.get(host)
    if (!h) return []
    const depth = new Map<string, number>()
    const parents = new Map<string, string[]>()
    for (const g of this.groups.values()) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), g.name])
    const visit = (g: string, d: number, seen: Set<string>) => {
      if (seen.has(g)) return
      seen.add(g)
      depth.set(g, Math.max(depth.get(g) ?? 0, d))
      for (const p of parents.get(g) ?? []) visit(p, d - 1, new Set(seen))
    }
    for (const g of h.groups) visit(g, 0, new Set())
    depth.set('all', -Infinity)
    return [...depth.keys()].sort((a, b) => depth.get(a)! - depth.get(b)! || a.localeCompare(b))
  }

  /** Group names of a host as Ansible's `group_names` (without all/ungrouped... but keeps ungrouped out). */
  groupNames(host: string): string[] {
    return this.groupsOf(host)
      .filter((g) => g !== 'all' && g !== 'ungrouped')
      .sort()
  }

  /**
   * Hosts of a group, including its children's, in Ansible's order (Group.get_hosts): the group's
   * own hosts, then its children's in their order, then the grandchildren's (breadth first). The
   * implicit localhost is never among all's.
   */
  hostsOf(group: string): string[] {
    if (!this.groups.has(group)) return []
    const ordered = [group, ...this.groups.get(group)!.children]
    const seen = new Set<string>()
    let level = [...new Set(ordered)]
    while (level.length) {
      for (const g of level) seen.add(g)
      const next: string[] = []
      for (const g of level)
        for (const c of this.groups.get(g)?.children ?? []) {
          if (!seen.has(c) && !next.includes(c)) {
            next.push(c)
            ordered.push(c)
          }
        }
      level = next
    }
    const hosts = new Set<string>()
    for (const g of ordered) for (const h of g === 'all' ? this.allHosts : (this.groups.get(g)?.hosts ?? [])) hosts.add(h)
    return [...hosts]
  }

  /** `groups` as Ansible exposes it: every group name → its host names. */
  groupsMap(): Record<string, string[]> {
    const out: Record<string, string[]> = { all: this.hostsOf('all') }
    for (const g of this.groups.keys()) out[g] = this.hostsOf(g)
    return out
  }

  /**
   * The host's inventory variable layers, lowest first: inventory-file group vars (by group order)
   * and host vars, then group_vars/ and host_vars/ from the inventory dirs and the playbook dir.
   */
  varLayers(host: string, playbookDir?: string): VarLayer[] {
    const h = this.hosts.get(host)
    if (!h) return []
    const groups = this.groupsOf(host)
    const layers: VarLayer[] = []
    for (const g of groups) {
      const vars = this.groups.get(g)?.vars
      if (vars && Object.keys(vars).length) layers.push({ name: `inventory group ${g}`, values: vars })
    }
    const dirs = [...this.varDirs, ...(playbookDir ? [playbookDir] : [])]
    const groupFile = (dir: string, g: string) => loadVarsDir(join(dir, 'group_vars'), g)
    // Ansible: group_vars/all from inventory then playbook, then the other groups likewise.
    for (const d of dirs) {
      const v = groupFile(d, 'all')
      if (v) layers.push({ name: `${d}/group_vars/all`, values: v })
    }
    for (const g of groups.filter((x) => x !== 'all')) {
      for (const d of dirs) {
        const v = groupFile(d, g)
        if (v) layers.push({ name: `${d}/group_vars/${g}`, values: v })
      }
    }
    if (Object.keys(h.vars).length) layers.push({ name: `inventory host ${host}`, values: h.vars })
    for (const d of dirs) {
      const v = loadVarsDir(join(d, 'host_vars'), host)
      if (v) layers.push({ name: `${d}/host_vars/${host}`, values: v })
    }
    return layers
  }
}

/** group_vars/NAME(.yml|.yaml|.json|) or group_vars/NAME/ (every file in it, sorted). */
export function loadVarsDir(dir: string, name: string): Record<string, unknown> | undefined {
  const key = `${dir}\0${name}`
  // Read once per run (every host of a group reads it): a later run reads the files again, and
  // marks their vault values as its own secrets.
  const cache = currentRun().varsDirs
  if (cache.has(key)) return cache.get(key)
  let out: Record<string, unknown> | undefined
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const p = join(dir, name + ext)
    if (!existsSync(p)) continue
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) {
        if (!isVarsFile(f)) continue
        out = { ...(out ?? {}), ...loadVarsFile(join(p, f)) }
      }
    } else {
      out = { ...(out ?? {}), ...loadVarsFile(p) }
    }
  }
  cache.set(key, out)
  return out
}

/** Ansible's yaml plugin: a group's hosts, vars and children in the order the file gives them (that order is the hosts'). */
function addYamlGroup(inv: RawInventory, name: string, node: unknown, file: string): void {
  const g = rawGroup(inv, name, posOf(node))
  if (node === null || node === undefined) return
  if (typeof node !== 'object' || Array.isArray(node))
    throw new RmError(`inventory group '${name}' must be a mapping with hosts, vars and children`, posOf(node) ?? { file, line: 1, col: 1 })
  const n = node as Record<string, unknown>
  for (const k of Object.keys(n)) {
    if (k === 'hosts') {
      for (const [h, hv] of Object.entries((n.hosts as Record<string, unknown> | null) ?? {}))
        for (const x of expandHostRange(h)) inv.addHost(name, x, (hv as Record<string, unknown> | null) ?? {})
    } else if (k === 'vars') Object.assign(g.vars, (n.vars as Record<string, unknown> | null) ?? {})
    else if (k === 'children') {
      for (const [c, cn] of Object.entries((n.children as Record<string, unknown> | null) ?? {})) {
        addYamlGroup(inv, c, cn, file)
        g.children.add(c)
      }
    } else throw new RmError(`unknown key '${k}' in inventory group '${name}'`, posOf(node), 'a group has hosts, vars and children')
  }
}

function parseInventoryFile(file: string, inv: RawInventory): void {
  const text = readFileSync(file, 'utf8')
  const ext = extname(file)
  if (
    ext === '.yml' ||
    ext === '.yaml' ||
    ext === '.json' ||
    /^\s*(all|[\w-]+)\s*:\s*$/m.test(text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? '')
  ) {
    const doc = parseYamlFile(text, file)
    if (doc === null || doc === undefined) return
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new RmError('a YAML inventory is a mapping of groups (usually `all:`)', { file, line: 1, col: 1 })
    for (const [name, node] of Object.entries(doc as Record<string, unknown>)) addYamlGroup(inv, name, node, file)
  } else {
    parseIniInventory(text, file, inv)
  }
}

/**
 * inventory_file and inventory_dir, host variables Ansible sets where a host is first seen (before
 * the host's own variables). A host list's inventory_dir is the string 'None' in Ansible 2.14
 * (its basedir of a path that does not exist, turned to text), so it is here too.
 */
function sourceVars(source: string | undefined): Record<string, unknown> {
  if (source === undefined) return {}
  return { inventory_file: source, inventory_dir: existsSync(source) ? dirname(source) : 'None' }
}

/** Reads -i sources (files, directories or a comma list of hosts like `web1,web2,`). */
export function loadInventory(sources: string[]): Inventory {
  const raw = new RawInventory()
  const inv = new Inventory()
  const errors: RmError[] = []
  for (const src of sources) {
    if (!existsSync(src) && src.includes(',')) {
      inv.sources.push(src)
      raw.currentSource = src
      for (const h of src
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean))
        raw.addHost('ungrouped', h, {})
      continue
    }
    if (!existsSync(src)) {
      errors.push(new RmError(`inventory not found: ${src}`, undefined, 'give -i a file, a directory, or a comma-separated host list ending with a comma'))
      continue
    }
    const full = resolve(src)
    inv.sources.push(full)
    const candidates = statSync(full).isDirectory()
      ? readdirSync(full)
          .sort()
          .filter((f) => !f.startsWith('.') && !['group_vars', 'host_vars'].includes(f) && statSync(join(full, f)).isFile())
      : undefined
    for (const f of candidates ?? []) if (IGNORED_IN_INVENTORY_DIR.test(f)) inv.ignoredFiles.push(join(full, f))
    const files = candidates ? candidates.filter((f) => !IGNORED_IN_INVENTORY_DIR.test(f)).map((f) => join(full, f)) : [full]
    inv.varDirs.push(statSync(full).isDirectory() ? full : dirname(full))
    for (const f of files) {
      raw.currentSource = f
      try {
        parseInventoryFile(f, raw)
      } catch (e) {
        if (e instanceof RmErrors) errors.push(...e.errors)
        else if (e instanceof RmError) errors.push(e)
        else errors.push(new RmError(`inventory ${basename(f)}: ${(e as Error).message}`, { file: f, line: 1, col: 1 }))
      }
    }
  }
  if (errors.length) throw new RmErrors(errors)
  // Groups in the order Ansible creates them, hosts in the order first seen. A host in no group
  // but all is "ungrouped", and only then (Ansible's reconcile).
  for (const h of raw.hostOrder) inv.hosts.set(h, { name: h, vars: sourceVars(raw.sourceOf.get(h)), groups: new Set() })
  for (const [name, g] of raw) {
    const group = inv.group(name)
    Object.assign(group.vars, g.vars)
    for (const c of g.children) group.children.add(c)
    for (const [h, vars] of g.hosts) {
      const host = inv.hosts.get(h)!
      Object.assign(host.vars, vars)
      if (name === 'all') inv.allHosts.push(h)
      else {
        host.groups.add(name)
        group.hosts.add(h)
      }
    }
  }
  const ungrouped = inv.group('ungrouped')
  for (const h of inv.hosts.values()) {
    if (h.groups.size === 0) {
      h.groups.add('ungrouped')
      ungrouped.hosts.add(h.name)
    } else if (h.groups.size > 1 && h.groups.delete('ungrouped')) ungrouped.hosts.delete(h.name)
  }
  // `all`'s children: ungrouped, those the inventory puts under all, then every group with no parent
  const parented = new Set([...inv.groups.values()].flatMap((g) => [...g.children]))
  const all = inv.group('all')
  for (const g of inv.groups.keys()) if (g !== 'all' && !parented.has(g)) all.children.add(g)
  // The implicit localhost: usable by name, not part of `all`.
  if (!inv.hosts.has('localhost')) inv.hosts.set('localhost', { name: 'localhost', vars: { ansible_connection: 'local' }, groups: new Set() })
  return inv
}
