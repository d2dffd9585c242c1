// The module catalogue: every module by name, plus the names Ansible users type for them
// (FQCNs like ansible.builtin.apt, and the postgresql_* spellings).
import type { Module } from './types.js'
import { catalogue } from './catalogue.js'

const registry = new Map<string, Module>()
const aliases = new Map<string, string>()

function registerModules(mods: readonly Module[]): void {
  for (const m of mods) registry.set(m.name, m)
}

registerModules(catalogue)

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.', 'community.general.', 'community.postgresql.', 'community.crypto.']

for (const [a, n] of Object.entries({
  postgresql_user: 'postgres_user',
  postgresql_db: 'postgres_db',
  postgresql_privs: 'postgres_privs',
  postgresql_query: 'postgres_query',
  supervisorctl: 'supervisor',
  // On RHEL 8 and later yum is dnf; rm-play has no yum 3 (RHEL 7) module.
  yum: 'dnf',
  import_tasks: 'import_tasks',
}))
  aliases.set(a, n)

/** The canonical module name for what a task wrote, or undefined if there is no such module. */
export function canonicalModuleName(written: string): string | undefined {
  let n = written
  for (const p of PREFIXES) if (n.startsWith(p)) n = n.slice(p.length)
  n = aliases.get(n) ?? n
  return registry.has(n) ? n : undefined
}

export function getModule(name: string): Module | undefined {
  const c = canonicalModuleName(name)
  return c ? registry.get(c) : undefined
}

export function moduleNames(): string[] {
  return [...registry.keys()].sort()
}

export function allModules(): Module[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name))
}
