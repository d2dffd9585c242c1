// Roles: found on the roles path, loaded with defaults/, vars/, tasks/, handlers/ and meta/
// dependencies (which run first). A role with the same parameters runs once per play.
import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import type { SourcePos } from './errors.js'
import { inherit, type LoadState } from './load-context.js'
import type { Inherited, Node, RoleInstance, Task } from './model.js'
import { loadTaskFile, isDict, checkExpressions, inheritable, INHERITABLE_KEYS, UNSUPPORTED_KEYWORDS, unsupportedKeyword } from './tasks.js'
import { loadVarsDir } from './inventory.js'
import { keyPosOf, loadYamlFile, posOf, valuePosOf } from './yaml.js'

export interface RoleFiles {
  tasksFrom?: string
  varsFrom?: string
  defaultsFrom?: string
  handlersFrom?: string
}

/** Ansible's default roles_path, used when neither the config, -e nor the environment gives one. */
const DEFAULT_ROLES_PATH = ['~/.ansible/roles', '/usr/share/ansible/roles', '/etc/ansible/roles']

/** Where roles are looked for, in order: the playbook's roles/ first, then roles_path, as Ansible does. */
export function rolesSearchPath(state: LoadState): string[] {
  const env = (process.env.RM_PLAY_ROLES_PATH ?? process.env.ANSIBLE_ROLES_PATH ?? '').split(':').filter(Boolean)
  const configured = [...state.options.rolesPath, ...env]
  const rolesPath = (configured.length ? configured : DEFAULT_ROLES_PATH).map((p) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p))
  return [
    ...new Set(
      [join(state.playbookDir, 'roles'), join(state.playbookDir, '..', 'roles'), join(process.cwd(), 'roles'), ...rolesPath, state.playbookDir].map((p) =>
        resolve(p),
      ),
    ),
  ]
}

/**
 * The directory of a role. A Galaxy name (`geerlingguy.redis`) is a directory of that full name,
 * as ansible-galaxy installs it: never the part after the dot, which would silently pick a
 * different role (the project's own `roles/redis`). A collection's role (`ns.coll.role`) is looked
 * for under ansible_collections/ in the same directories' siblings.
 */
export function findRole(state: LoadState, name: string): string | undefined {
  if (isAbsolute(name) || name.includes('/')) {
    const p = resolve(state.playbookDir, name)
    return existsSync(p) ? p : undefined
  }
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory()
  const found = rolesSearchPath(state)
    .map((d) => join(d, name))
    .find(isDir)
  if (found) return found
  const parts = name.split('.')
  if (parts.length !== 3) return undefined
  const [ns, coll, role] = parts as [string, string, string]
  return collectionsSearchPath(state)
    .map((d) => join(d, 'ansible_collections', ns, coll, 'roles', role))
    .find(isDir)
}

/** Ansible's default collections_path (plus the environment's), for `ns.coll.role` names. */
function collectionsSearchPath(state: LoadState): string[] {
  const env = (process.env.ANSIBLE_COLLECTIONS_PATH ?? process.env.ANSIBLE_COLLECTIONS_PATHS ?? '').split(':').filter(Boolean)
  return [join(state.playbookDir, 'collections'), ...env, join(homedir(), '.ansible', 'collections'), '/usr/share/ansible/collections'].map((p) => resolve(p))
}

function mainFile(dir: string, base = 'main'): string | undefined {
  return [join(dir, base), join(dir, `${base}.yml`), join(dir, `${base}.yaml`)].find((p) => existsSync(p) && statSync(p).isFile())
}

/**
 * Loads a role (and, first, its dependencies) into the play being loaded. Returns its tasks and
 * handlers, or undefined if it was already loaded with the same parameters.
 */
export function loadRoleInto(
  state: LoadState,
  name: string,
  params: Record<string, unknown>,
  outer: Inherited,
  pos: SourcePos,
  files: RoleFiles = {},
  forceNew = false,
): { tasks: Node[]; handlers: Task[]; role: RoleInstance } | undefined {
  const path = findRole(state, name)
  if (!path) {
    state.error(`role '${name}' not found`, pos, `looked in ${rolesSearchPath(state).join(', ')}`)
    return undefined
  }
  const key = `${path}\0${JSON.stringify(params)}\0${JSON.stringify(files)}`
  if (state.seenRoles.has(key) && !forceNew) return { tasks: [], handlers: [], role: state.rolesInPlay.find((r) => r.path === path)! }
  state.seenRoles.add(key)
  // Ansible names a role as it was given (`geerlingguy.redis`); a path gives its last part.
  const roleName = name.split('/').pop()!
  const defaults = state.collect(() => loadVarsDir(join(path, 'defaults'), files.defaultsFrom ?? 'main')) ?? {}
  const vars = state.collect(() => loadVarsDir(join(path, 'vars'), files.varsFrom ?? 'main')) ?? {}
  const role: RoleInstance = { name: roleName, path, defaults, vars, params, dependencies: [] }
  state.rolesInPlay.push(role)
  const tasks: Node[] = []
  const handlers: Task[] = []
  // meta/main.yml dependencies run before the role.
  const meta = mainFile(join(path, 'meta'))
  if (meta) {
    const m = state.collect(() => loadYamlFile(meta))
    if (isDict(m) && Array.isArray(m.dependencies)) {
      m.dependencies.forEach((dep, i) => {
        const dpos = valuePosOf(m.dependencies, String(i)) ?? posOf(m) ?? { file: meta, line: 1, col: 1 }
        const spec = parseRoleRef(state, dep, dpos)
        if (!spec) return
        role.dependencies.push(spec.name.split('/').pop()!)
        const loaded = loadRoleInto(state, spec.name, spec.params, inherit(outer, spec.inherited), dpos)
        if (loaded) {
          tasks.push(...loaded.tasks)
          handlers.push(...loaded.handlers)
        }
      })
    }
  }
  const inh = inherit(outer, { role })
  const tasksFile = mainFile(join(path, 'tasks'), files.tasksFrom ?? 'main')
  if (files.tasksFrom && !tasksFile) state.error(`role '${roleName}' has no tasks/${files.tasksFrom}`, pos)
  if (tasksFile) tasks.push(...loadTaskFile(state, tasksFile, { file: tasksFile, baseDir: join(path, 'tasks'), inherited: inh }, pos))
  const handlersFile = mainFile(join(path, 'handlers'), files.handlersFrom ?? 'main')
  if (handlersFile) {
    // Handlers take the role's context, not the tags or conditions of where the role was listed.
    const hs = loadTaskFile(
      state,
      handlersFile,
      {
        file: handlersFile,
        baseDir: join(path, 'handlers'),
        inherited: inherit(
          { when: [], tags: [], environment: [], vars: outer.vars, become: outer.become, becomeUser: outer.becomeUser, becomeMethod: outer.becomeMethod },
          { role },
        ),
      },
      pos,
      true,
    )
    for (const h of hs) if (h.kind === 'task') handlers.push(h)
  }
  if (!tasksFile && !handlersFile && !meta && !existsSync(join(path, 'defaults')) && !existsSync(join(path, 'vars'))) {
    state.error(`role '${roleName}' at ${path} is empty (no tasks/main.yml)`, pos)
  }
  return { tasks, handlers, role }
}

/** A role reference as written in `roles:` or meta dependencies: a name, or a mapping with role/name, vars, tags, when and parameters. */
export function parseRoleRef(
  state: LoadState,
  ref: unknown,
  pos: SourcePos,
): { name: string; params: Record<string, unknown>; inherited: Partial<Inherited> } | undefined {
  if (typeof ref === 'string') return { name: ref, params: {}, inherited: {} }
  if (!isDict(ref)) {
    state.error('a role is a name or a mapping with role: NAME', pos)
    return undefined
  }
  const name = ref.role ?? ref.name
  if (typeof name !== 'string') {
    state.error('role entry needs role: NAME', pos)
    return undefined
  }
  const params: Record<string, unknown> = {}
  // Task keywords on a role entry apply to its tasks, read as on a task (they are not role parameters).
  const { vars: _checked, ...own } = inheritable(state, ref)
  const inherited: Partial<Inherited> = own
  const loose: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(ref)) {
    if (k === 'role' || k === 'name' || INHERITABLE_KEYS.has(k)) continue
    if (k === 'vars') {
      if (isDict(v)) Object.assign(params, v)
      // (inheritable reported a vars that is not a mapping)
    } else if (UNSUPPORTED_KEYWORDS.has(k)) unsupportedKeyword(state, ref, k, 'a role')
    else if (['allow_duplicates', 'public'].includes(k)) continue
    else if (/^[A-Za-z_]\w*$/.test(k))
      params[k] = loose[k] = v // Ansible's role parameters
    else state.error(`unknown key '${k}' on a role`, keyPosOf(ref, k))
  }
  checkExpressions(state, loose, pos)
  if (Object.keys(params).length) inherited.vars = [params]
  return { name, params, inherited }
}
