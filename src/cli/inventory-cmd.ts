// `rm-play inventory`: what `ansible-inventory` shows. --list is the JSON of groups (direct hosts,
// child groups) with every host's merged variables under _meta.hostvars; --graph the @group tree;
// --host one host's variables. Variables merge as in a run (group_vars/ and host_vars/ beside the
// inventory), so this is the place to check what a host will see.
import { errorList, formatError } from '../playbook/errors.js'
import { loadInventory, loadVarsDir, type Inventory } from '../playbook/inventory.js'
import { readPasswordFile, setVaultPassword } from '../playbook/vault.js'
import { VarScope } from '../playbook/vars.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { pyJson } from './adhoc.js'
import { ConfigError, loadConfig, setting } from './config.js'

const USAGE = `usage: rm-play inventory [-i INVENTORY]... (--list | --graph [GROUP] | --host HOST) [--vars]

  --list              every group and host, with the hosts' variables under _meta.hostvars (JSON)
  -y, --yaml          with --list: the group tree in YAML, hosts with their variables
  --graph [GROUP]     the group tree from GROUP (default all); --vars adds the variables
  --host HOST         one host's variables (JSON)
  -i, --inventory     inventory file, directory or "a,b," list (repeatable; default: ansible.cfg, ./inventory)
  --vault-password-file FILE   to read encrypted group_vars/host_vars`

interface InvArgs {
  inventory: string[]
  mode?: 'list' | 'graph' | 'host'
  target?: string
  vars: boolean
  yaml?: boolean
  vaultPasswordFile?: string
}

function parse(argv: string[]): InvArgs | string {
  const a: InvArgs = { inventory: [], vars: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const value = () => (eq > 0 ? arg.slice(eq + 1) : argv[++i])
    if (name === '-i' || name === '--inventory' || name === '--inventory-file') {
      const v = value()
      if (v === undefined) return `${name} needs a value`
      a.inventory.push(v)
    } else if (/^-i./.test(arg)) a.inventory.push(arg.slice(2))
    else if (name === '--list') a.mode = 'list'
    else if (name === '--graph') {
      a.mode = 'graph'
      if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) a.target = argv[++i]
    } else if (name === '--host') {
      a.mode = 'host'
      a.target = value()
      if (a.target === undefined) return '--host needs a host name'
    } else if (name === '--vars') a.vars = true
    else if (name === '-y' || name === '--yaml') a.yaml = true
    else if (name === '--vault-password-file' || name === '--vault-pass-file') {
      a.vaultPasswordFile = value()
      if (a.vaultPasswordFile === undefined) return `${name} needs a value`
    } else return `unknown option ${arg}`
  }
  if (!a.mode) return 'say what to show: --list, --graph or --host HOST'
  return a
}

/** A host's variables as a run sees them from the inventory (lowest first, later wins). */
export function hostVars(inv: Inventory, host: string): Record<string, unknown> {
  const out = new VarScope(inv.varLayers(host)).toObject()
  // ansible-inventory leaves out the variables Ansible sets itself (its INTERNAL_VARS)
  delete out.inventory_file
  delete out.inventory_dir
  return out
}

/** A group's own variables: inline, then group_vars/GROUP beside each inventory source. */
export function groupVars(inv: Inventory, group: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(inv.groups.get(group)?.vars ?? {}) }
  for (const d of inv.varDirs) Object.assign(out, loadVarsDir(join(d, 'group_vars'), group) ?? {})
  return out
}

/** The hosts `all` shows: every inventory host, not the implicit localhost. */
const inventoryHosts = (inv: Inventory) => inv.hostsOf('all')

/** Children as Ansible keeps them: `all` holds only the groups that have no other parent, ungrouped first. */
function childrenOf(inv: Inventory, group: string): string[] {
  const g = inv.groups.get(group)
  if (!g) return []
  if (group !== 'all') return [...g.children]
  const nested = new Set([...inv.groups.values()].filter((x) => x.name !== 'all').flatMap((x) => [...x.children]))
  return ['ungrouped', ...[...g.children].filter((c) => c !== 'ungrouped' && !nested.has(c))]
}

/** `ansible-inventory --list`. */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {}
  for (const h of inventoryHosts(inv)) {
    const v = hostVars(inv, h)
    if (Object.keys(v).length) hostvars[h] = v
  }
  const out: Record<string, unknown> = { _meta: { hostvars }, all: { children: childrenOf(inv, 'all') } }
  for (const g of inv.groups.values()) {
    if (g.name === 'all') continue
    const entry: Record<string, unknown> = {}
    if (g.hosts.size) entry.hosts = [...g.hosts]
    if (g.children.size) entry.children = [...g.children]
    if (Object.keys(entry).length) out[g.name] = entry
  }
  return out
}

/** `ansible-inventory --list --yaml`: the group tree with each host's variables at its first appearance. */
export function inventoryYaml(inv: Inventory): Record<string, unknown> {
  const seen = new Set<string>()
  const walk = (group: string, path: Set<string>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    const children: Record<string, unknown> = {}
    for (const c of childrenOf(inv, group)) if (!path.has(c)) children[c] = walk(c, new Set([...path, c]))
    if (Object.keys(children).length) out.children = children
    const hosts: Record<string, unknown> = {}
    if (group !== 'all') {
      for (const h of inv.groups.get(group)?.hosts ?? []) {
        hosts[h] = seen.has(h) ? {} : hostVars(inv, h)
        seen.add(h)
      }
    }
    if (Object.keys(hosts).length) out.hosts = hosts
    return out
  }
  return { all: walk('all', new Set(['all'])) }
}

/** Python's str() of a value, as `ansible-inventory --graph --vars` prints it. */
export function pyStr(v: unknown, nested = false): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'string') return nested ? (v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`) : v
  if (Array.isArray(v)) return `[${v.map((x) => pyStr(x, true)).join(', ')}]`
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyStr(k, true)}: ${pyStr(x, true)}`)
      .join(', ')}}`
  return String(v)
}

/** `ansible-inventory --graph [GROUP] [--vars]`. */
export function inventoryGraph(inv: Inventory, root: string, withVars: boolean): string[] {
  const line = (s: string, depth: number) => (depth ? '  |'.repeat(depth) + '--' + s : s)
  const showVars = (vars: Record<string, unknown>, depth: number) =>
    Object.keys(vars)
      .sort()
      .map((k) => line(`{${k} = ${pyStr(vars[k])}}`, depth))
  const walk = (group: string, depth: number, seen: Set<string>): string[] => {
    if (seen.has(group)) return []
    const out = [line(`@${group}:`, depth)]
    for (const c of childrenOf(inv, group)) out.push(...walk(c, depth + 1, new Set([...seen, group])))
    if (group !== 'all') {
      for (const h of inv.groups.get(group)?.hosts ?? []) {
        out.push(line(h, depth + 1))
        if (withVars) out.push(...showVars(hostVars(inv, h), depth + 2))
      }
    }
    if (withVars) out.push(...showVars(groupVars(inv, group), depth + 1))
    return out
  }
  return walk(root, 0, new Set())
}

export function inventoryCommand(argv: string[], io: { out(s: string): void; err(s: string): void }): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(USAGE + '\n')
    return 0
  }
  const a = parse(argv)
  if (typeof a === 'string') {
    io.err(`rm-play inventory: ${a}\n${USAGE}\n`)
    return 1
  }
  let inv: Inventory
  try {
    let sources = a.inventory
    let vaultFile = a.vaultPasswordFile
    if (!sources.length || !vaultFile) {
      const cfg = loadConfig()
      if (!sources.length) sources = setting<string[]>(cfg, 'inventory')?.value ?? (existsSync('inventory') ? ['inventory'] : [])
      vaultFile ??= setting<string>(cfg, 'vault_password_file')?.value
    }
    if (vaultFile) setVaultPassword(readPasswordFile(vaultFile))
    inv = loadInventory(sources)
    if (a.mode === 'list' && a.yaml) io.out(stringify(inventoryYaml(inv), { sortMapEntries: true, aliasDuplicateObjects: false }))
    else if (a.mode === 'list') io.out(pyJson(inventoryList(inv)) + '\n')
    else if (a.mode === 'host') {
      if (!inventoryHosts(inv).includes(a.target!) && !inv.hosts.has(a.target!)) {
        io.err(`rm-play inventory: no host '${a.target}' in the inventory\n`)
        return 1
      }
      io.out(pyJson(hostVars(inv, a.target!)) + '\n')
    } else {
      const root = a.target ?? 'all'
      if (!inv.groups.has(root)) {
        io.err(`rm-play inventory: no group '${root}' in the inventory\n`)
        return 1
      }
      io.out(inventoryGraph(inv, root, a.vars).join('\n') + '\n')
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(`rm-play inventory: ${e.message}\n`)
      return 1
    }
    const errs = errorList(e)
    if (!errs.length) throw e
    io.err(errs.map((x) => 'ERROR: ' + formatError(x)).join('\n\n') + '\n')
    return 1
  }
  return 0
}
