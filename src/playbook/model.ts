// The loaded playbook: plain, frozen data with source positions. Nothing after loading reads YAML.
import type { RmError, SourcePos } from './errors.js'

/** A condition as written (bare expression, boolean, or `{{ }}`), with where it was written. */
export interface Cond {
  expr: unknown
  pos: SourcePos
}

/** Keywords that blocks, roles and imports pass down to the tasks inside them. */
export interface Inherited {
  when: Cond[]
  tags: string[]
  /** Yes/no keywords that may be a `{{ }}` template (a string), rendered when the task runs. */
  become?: boolean | string
  becomeUser?: string
  /** become_method: sudo or su (checked at load time). */
  becomeMethod?: 'sudo' | 'su'
  environment: Record<string, unknown>[]
  ignoreErrors?: boolean | string
  /** Yes/no keywords decided at load time (a template there is a load error). */
  ignoreUnreachable?: boolean
  checkMode?: boolean | string
  diff?: boolean | string
  noLog?: boolean | string
  delegateTo?: string
  runOnce?: boolean
  anyErrorsFatal?: boolean
  /** remote_user / connection keywords: defaults for ansible_user / ansible_connection (vars win). */
  remoteUser?: string
  connection?: string
  /** Vars layers from blocks and include/import parameters, outermost first. */
  vars: Record<string, unknown>[]
  role?: RoleInstance
}

export interface TaskBase extends Inherited {
  /** Depth-first order within the play: the linear strategy keeps hosts in step on it. */
  index: number
  name?: string
  pos: SourcePos
}

export interface LoopControl {
  loopVar: string
  indexVar?: string
  label?: unknown
  pause?: number
  extended?: boolean
}

export interface Task extends TaskBase {
  kind: 'task'
  module: string
  args: Record<string, unknown>
  argsPos: SourcePos
  /** Where each argument was written, for errors found at run time. */
  argPos: Record<string, SourcePos>
  loop?: unknown
  loopControl?: LoopControl
  register?: string
  notify: string[]
  listen: string[]
  changedWhen?: Cond[]
  failedWhen?: Cond[]
  until?: Cond[]
  retries?: unknown
  delay?: unknown
  /** The `name` shown, before templating. */
  title: string
}

export interface Block extends TaskBase {
  kind: 'block'
  block: Node[]
  rescue: Node[]
  always: Node[]
}

/** include_tasks / include_role: decided per host when reached (file names may be templated). */
export interface Include extends TaskBase {
  kind: 'include'
  what: 'tasks' | 'role'
  /** The file (or role name) as written, maybe templated. */
  target: string
  tasksFrom?: string
  /** Loaded at load time when the target has no template (so errors surface early). */
  nodes?: Node[]
  handlers?: Task[]
  /** Modules or arguments rm-play lacks in the file (reached only conditionally): the include fails on a host that runs it. */
  lacking?: RmError[]
  loop?: unknown
  loopControl?: LoopControl
  params: Record<string, unknown>
  baseDir: string
  title: string
}

export type Node = Task | Block | Include

export interface RoleInstance {
  name: string
  path: string
  defaults: Record<string, unknown>
  vars: Record<string, unknown>
  params: Record<string, unknown>
  /** The roles its meta/main.yml depends on, by name. */
  dependencies: string[]
}

export interface Play {
  name: string
  hosts: string
  pos: SourcePos
  file: string
  vars: Record<string, unknown>
  varsFiles: { file: string; pos: SourcePos }[]
  /** Role defaults/vars of every role in the play: visible play-wide, as in Ansible. */
  roles: RoleInstance[]
  /** ansible_play_role_names: the roles the play lists, then those it imports (import_role), in order. */
  roleNames: string[]
  /** ansible_dependent_role_names: every role those depend on, directly or not. */
  dependentRoleNames: string[]
  preTasks: Node[]
  tasks: Node[] // roles' tasks first, then the play's tasks
  postTasks: Node[]
  handlers: Task[]
  serial: (number | string)[]
  maxFailPercentage?: number
  /** The play keyword `order`: how its hosts are ordered before batches are cut (Ansible's choices). */
  order: HostOrder
  anyErrorsFatal: boolean
  gatherFacts: boolean
  strategy: 'linear' | 'free'
  forceHandlers: boolean
  /** The play's remote_user / connection: also what facts are gathered with (its tasks inherit them). */
  remoteUser?: string
  connection?: string
  /** --roles-path: searched (after the playbook's roles/) by include_role at run time too. */
  rolesPath: string[]
  tags: string[]
}

export interface Playbook {
  file: string
  dir: string
  plays: Play[]
  /** What conditionally reached task files use that rm-play lacks (shown before the run). */
  warnings?: RmError[]
}

export const HOST_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const
export type HostOrder = (typeof HOST_ORDERS)[number]
