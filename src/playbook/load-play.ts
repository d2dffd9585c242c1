// One play mapping → a Play: its keywords (checked, and passed down to its tasks as Inherited),
// vars_files, the task lists with its roles expanded, handlers, and the batch shape.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { getModule } from '../modules/index.js'
import { fixedBool, keywordBool } from './bool.js'
import type { SourcePos } from './errors.js'
import { isTemplated } from './expression.js'
import { emptyInherited, inherit, type LoadState } from './load-context.js'
import { HOST_ORDERS, type HostOrder, type Inherited, type Node, type Play, type Task } from './model.js'
import { checkFileReferences } from './references.js'
import { loadRoleInto, parseRoleRef } from './roles.js'
import { checkBecomeMethod, checkConnection, checkExpressions, isDict, parseTaskList, UNSUPPORTED_KEYWORDS, unsupportedKeyword } from './tasks.js'
import { keyPosOf, valuePosOf } from './yaml.js'

const PLAY_KEYS = new Set([
  'name',
  'hosts',
  'vars',
  'vars_files',
  'roles',
  'pre_tasks',
  'tasks',
  'post_tasks',
  'handlers',
  'serial',
  'max_fail_percentage',
  'any_errors_fatal',
  'become',
  'become_user',
  'become_method',
  'gather_facts',
  'strategy',
  'order',
  'tags',
  'environment',
  'check_mode',
  'diff',
  'no_log',
  'remote_user',
  'connection',
  'force_handlers',
  'ignore_unreachable',
  'collections',
  'ignore_errors',
  'run_once',
])

export function loadPlay(state: LoadState, d: Record<string, unknown>, pos: SourcePos, file: string): Play | undefined {
  checkPlayKeys(state, d, pos)
  const hosts = Array.isArray(d.hosts) ? d.hosts.map(String).join(':') : String(d.hosts ?? '')
  if ('vars' in d && !isDict(d.vars)) state.error('play vars must be a mapping', valuePosOf(d, 'vars'))
  const vars = isDict(d.vars) ? d.vars : {}
  checkExpressions(state, vars, valuePosOf(d, 'vars'))
  const { base, tags, remoteUser, connection } = playKeywords(state, d)
  const fixed = (key: string) => fixedBool(key, d[key], (m, h) => state.error(m, valuePosOf(d, key), h))
  const varsFiles = playVarsFiles(state, d, pos)
  const { preTasks, tasks, postTasks, handlers } = playNodes(state, d, pos, { file, baseDir: state.playbookDir, inherited: base })
  const shape = playShape(state, d)
  return {
    name: String(d.name ?? hosts),
    hosts,
    pos,
    file,
    vars,
    varsFiles,
    roles: state.rolesInPlay,
    ...roleNamesOf(state),
    preTasks,
    tasks,
    postTasks,
    handlers,
    ...shape,
    anyErrorsFatal: base.anyErrorsFatal ?? false,
    gatherFacts: fixed('gather_facts') ?? true,
    forceHandlers: fixed('force_handlers') ?? false,
    remoteUser,
    connection,
    rolesPath: state.options.rolesPath,
    tags,
  }
}

function checkPlayKeys(state: LoadState, d: Record<string, unknown>, pos: SourcePos): void {
  for (const k of Object.keys(d)) {
    if (UNSUPPORTED_KEYWORDS.has(k)) unsupportedKeyword(state, d, k, 'a play')
    else if (!PLAY_KEYS.has(k)) {
      const hint = getModule(k)
        ? 'modules go in a task list (tasks:), not on the play'
        : `a play takes: ${[...PLAY_KEYS].filter((x) => x !== 'collections').join(', ')}`
      state.error(`unknown play keyword '${k}'`, keyPosOf(d, k), hint)
    }
  }
  if (!('hosts' in d)) state.error('play has no hosts:', pos, 'add hosts: all (or a group or pattern)')
}

/** The keywords a play passes down to its tasks (and its roles' tasks). */
function playKeywords(state: LoadState, d: Record<string, unknown>): { base: Inherited; tags: string[]; remoteUser?: string; connection?: string } {
  const playTags = (Array.isArray(d.tags) ? d.tags : d.tags === undefined ? [] : [d.tags]).flatMap((t) => String(t).split(',')).map((t) => t.trim())
  // As on tasks: a mapping, or a template that renders to one when each task runs.
  const envOk = isDict(d.environment) || (typeof d.environment === 'string' && isTemplated(d.environment))
  if (d.environment !== undefined && !envOk) state.error('environment must be a mapping of names to values', valuePosOf(d, 'environment'))
  checkExpressions(state, d.environment, valuePosOf(d, 'environment'))
  const environment = envOk ? [d.environment as Record<string, unknown>] : []
  const remoteUser = d.remote_user === undefined ? undefined : String(d.remote_user)
  const connection = d.connection === undefined ? undefined : String(d.connection)
  checkConnection(state, connection, valuePosOf(d, 'connection'))
  checkExpressions(state, d.remote_user, valuePosOf(d, 'remote_user'))
  const becomeMethod = checkBecomeMethod(state, d)
  // Keywords the play's tasks render when they run may be templated; the rest decide the play's shape.
  const flag = (key: string) => keywordBool(key, d[key], true, (m, h) => state.error(m, valuePosOf(d, key), h))
  const fixed = (key: string) => fixedBool(key, d[key], (m, h) => state.error(m, valuePosOf(d, key), h))
  const base: Inherited = inherit(emptyInherited(), {
    tags: playTags,
    become: flag('become'),
    becomeUser: d.become_user === undefined ? undefined : String(d.become_user),
    becomeMethod,
    environment,
    checkMode: flag('check_mode'),
    diff: flag('diff'),
    noLog: flag('no_log'),
    ignoreErrors: flag('ignore_errors'),
    anyErrorsFatal: fixed('any_errors_fatal'),
    runOnce: fixed('run_once'),
    ignoreUnreachable: fixed('ignore_unreachable'),
    remoteUser,
    connection,
  })
  return { base, tags: playTags, remoteUser, connection }
}

function playVarsFiles(state: LoadState, d: Record<string, unknown>, pos: SourcePos): Play['varsFiles'] {
  const varsFiles: { file: string; pos: SourcePos }[] = []
  const vf = d.vars_files === undefined ? [] : Array.isArray(d.vars_files) ? d.vars_files : [d.vars_files]
  vf.forEach((f, i) => {
    const p = valuePosOf(d.vars_files, String(i)) ?? valuePosOf(d, 'vars_files') ?? pos
    // A list entry is a list of alternatives: the first that exists wins.
    const alts = (Array.isArray(f) ? f : [f]).map(String)
    const chosen = alts.find((a) => isTemplated(a) || existsSync(resolve(state.playbookDir, a)))
    if (!chosen) state.error(`vars file not found: ${alts.join(' or ')}`, p)
    else varsFiles.push({ file: isTemplated(chosen) ? chosen : resolve(state.playbookDir, chosen), pos: p })
  })
  return varsFiles
}

/** pre_tasks, roles then tasks, post_tasks, and every handler (roles', included roles', the play's), notify and files checked. */
function playNodes(
  state: LoadState,
  d: Record<string, unknown>,
  pos: SourcePos,
  where: Parameters<typeof parseTaskList>[2],
): Pick<Play, 'preTasks' | 'tasks' | 'postTasks' | 'handlers'> {
  const base = where.inherited
  const preTasks = parseTaskList(state, d.pre_tasks, where)
  const tasks: Node[] = []
  const roleHandlers: Task[] = []
  const roles = d.roles === undefined ? [] : Array.isArray(d.roles) ? d.roles : null
  if (roles === null) state.error('roles must be a list', valuePosOf(d, 'roles'))
  ;(roles ?? []).forEach((r, i) => {
    const rpos = valuePosOf(d.roles, String(i)) ?? pos
    const ref = parseRoleRef(state, r, rpos)
    if (!ref) return
    state.listedRoles.push(ref.name.split('/').pop()!)
    const loaded = loadRoleInto(state, ref.name, ref.params, inherit(base, ref.inherited), rpos)
    if (loaded) {
      tasks.push(...loaded.tasks)
      roleHandlers.push(...loaded.handlers)
    }
  })
  tasks.push(...parseTaskList(state, d.tasks, where))
  const postTasks = parseTaskList(state, d.post_tasks, where)
  const playHandlers = parseTaskList(state, d.handlers, where, true).filter((h): h is Task => h.kind === 'task')
  // Handlers of roles pulled in by import_role / include_role
  const collectIncluded = (nodes: Node[]): Task[] =>
    nodes.flatMap((n) =>
      n.kind === 'include'
        ? [...(n.handlers ?? []), ...collectIncluded(n.nodes ?? [])]
        : n.kind === 'block'
          ? collectIncluded([...n.block, ...n.rescue, ...n.always])
          : [],
    )
  const handlers = [...roleHandlers, ...state.roleHandlers, ...collectIncluded([...preTasks, ...tasks, ...postTasks]), ...playHandlers]

  checkNotify(state, [...preTasks, ...tasks, ...postTasks, ...handlers], handlers)
  checkFileReferences(state, [...preTasks, ...tasks, ...postTasks, ...handlers])
  return { preTasks, tasks, postTasks, handlers }
}

/**
 * The play's role names as Ansible's magic variables give them: the roles listed, then imported
 * (each time it is listed), and every role they depend on, directly or through another.
 */
function roleNamesOf(state: LoadState): Pick<Play, 'roleNames' | 'dependentRoleNames'> {
  const roleNames = [...state.listedRoles, ...state.importedRoles]
  const depsOf = new Map(state.rolesInPlay.map((r) => [r.name, r.dependencies]))
  const dependent = new Set<string>()
  const visit = (name: string) => {
    for (const d of depsOf.get(name) ?? [])
      if (!dependent.has(d)) {
        dependent.add(d)
        visit(d)
      }
  }
  for (const r of roleNames) visit(r)
  return { roleNames, dependentRoleNames: [...dependent] }
}

/** How the play goes through its hosts: serial batches, strategy, max_fail_percentage. */
function playShape(state: LoadState, d: Record<string, unknown>): Pick<Play, 'serial' | 'strategy' | 'maxFailPercentage' | 'order'> {
  const serialRaw = d.serial === undefined ? [] : Array.isArray(d.serial) ? d.serial : [d.serial]
  const serial = serialRaw.map((s) => (typeof s === 'number' ? s : String(s)))
  for (const s of serial) {
    if (typeof s === 'string' && !/^\d+%?$/.test(s) && !isTemplated(s)) state.error(`serial takes numbers or percentages, got '${s}'`, valuePosOf(d, 'serial'))
  }
  const strategy = String(d.strategy ?? 'linear')
  if (strategy !== 'linear' && strategy !== 'free') state.error(`unknown strategy '${strategy}'`, valuePosOf(d, 'strategy'), 'use linear or free')
  const mfp = d.max_fail_percentage
  if (mfp !== undefined && (typeof mfp !== 'number' || mfp < 0 || mfp > 100))
    state.error('max_fail_percentage must be a number from 0 to 100', valuePosOf(d, 'max_fail_percentage'))
  const order = String(d.order ?? 'inventory') as HostOrder
  if (!HOST_ORDERS.includes(order)) state.error(`unknown order '${order}'`, valuePosOf(d, 'order'), `use ${HOST_ORDERS.join(', ')}`)
  return { serial, strategy: strategy === 'free' ? 'free' : 'linear', maxFailPercentage: typeof mfp === 'number' ? mfp : undefined, order }
}

/** Every notify must name a handler (by name, `role : name`, or a listen topic). */
function checkNotify(state: LoadState, nodes: Node[], handlers: Task[]): void {
  const names = new Set<string>()
  for (const h of handlers) {
    if (h.name) {
      names.add(h.name)
      if (h.role) names.add(`${h.role.name} : ${h.name}`)
    }
    for (const l of h.listen) names.add(l)
  }
  const visit = (n: Node) => {
    if (n.kind === 'task') {
      n.notify.forEach((name) => {
        if (!names.has(name) && !isTemplated(name))
          state.error(`notify: no handler named '${name}'`, n.pos, names.size ? `handlers: ${[...names].join(', ')}` : 'this play has no handlers')
      })
    } else if (n.kind === 'block') [...n.block, ...n.rescue, ...n.always].forEach(visit)
    else (n.nodes ?? []).forEach(visit)
  }
  nodes.forEach(visit)
}
