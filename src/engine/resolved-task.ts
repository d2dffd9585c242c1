// A task's keywords, rendered once for one execution on one host (Ansible's post_validate of the
// task before `_execute`): the rest of the run reads this typed value and never goes back to the
// expression layer for a keyword. Rendered with the item's scope, so `become_user: "{{ item }}"`
// works in a loop; once per item, not once per retry.
import type { Become, ExecOptions } from '../connection/connection.js'
import type { Module } from '../modules/types.js'
import { BOOL_HINT, notBool, parseBool } from '../playbook/bool.js'
import { RmError, type SourcePos } from '../playbook/errors.js'
import { renderValue } from '../playbook/expression.js'
import type { Task } from '../playbook/model.js'
import type { VarScope } from '../playbook/vars.js'
import type { HostState } from './host-state.js'
import { connectionKeywords, type ConnectionKeywords, type PlayRuntime } from './runtime.js'

/** Where and how a host module's scripts run. */
export interface ExecTarget {
  /** delegate_to's host, else the task's own. */
  host: string
  delegated: boolean
  keywords: ConnectionKeywords
  exec: ExecOptions
}

export interface ResolvedTask {
  check: boolean
  diff: boolean
  /** Host modules only: action modules (debug, set_fact ...) run in rm-play and never read these. */
  target?: ExecTarget
}

/** A yes/no keyword (or variable) as the task sees it: rendered, then read by the one parseBool. */
export function boolAt(keyword: string, v: unknown, scope: VarScope, pos?: SourcePos): boolean {
  const r = renderValue(v, scope)
  const b = parseBool(r)
  if (b === undefined) throw new RmError(notBool(keyword, r), pos, BOOL_HINT)
  return b
}

/** no_log, for the whole task on this host (its items included). */
export const noLogOf = (task: Task, scope: VarScope): boolean => task.noLog !== undefined && boolAt('no_log', task.noLog, scope, task.pos)

/** ignore_errors, read when the task failed. */
export const ignoreErrorsOf = (task: Task, scope: VarScope): boolean =>
  task.ignoreErrors !== undefined && boolAt('ignore_errors', task.ignoreErrors, scope, task.pos)

/** What a loop item is called in the output: loop_control.label, else the item itself. */
export function labelOf(task: Task, item: unknown, scope: VarScope): string {
  if (task.loopControl?.label !== undefined) return String(renderValue(task.loopControl.label, scope))
  return typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item)
}

export function resolveTask(rt: PlayRuntime, hs: HostState, task: Task, mod: Module, scope: VarScope): ResolvedTask {
  const check = task.checkMode === undefined ? rt.options.check : boolAt('check_mode', task.checkMode, scope, task.pos)
  const diff = task.diff === undefined ? rt.options.diff : boolAt('diff', task.diff, scope, task.pos)
  if (mod.kind === 'action') return { check, diff }
  const host = task.delegateTo ? String(renderValue(task.delegateTo, scope)) : hs.name
  const keywords = connectionKeywords(task.remoteUser ?? rt.play.remoteUser, task.connection ?? rt.play.connection, scope, task.pos)
  return {
    check,
    diff,
    target: {
      host,
      delegated: host !== hs.name,
      keywords,
      exec: { become: becomeFor(rt, task, scope), env: environmentFor(task, scope), ...(untraced(task, scope) ? { untraced: true } : {}) },
    },
  }
}

function becomeFor(rt: PlayRuntime, task: Task, scope: VarScope): Become | undefined {
  const v = (k: string) => (scope.has(k) ? scope.lookup(k) : undefined)
  const on =
    task.become !== undefined
      ? boolAt('become', task.become, scope, task.pos)
      : rt.options.become || (v('ansible_become') !== undefined && boolAt('ansible_become', v('ansible_become'), scope, task.pos))
  if (!on) return undefined
  // become_user is often a variable (become_user: "{{ app_user }}"): render it like any value.
  const user = String(renderValue(task.becomeUser ?? rt.options.becomeUser ?? v('ansible_become_user') ?? 'root', scope))
  const pw = v('ansible_become_password') ?? v('ansible_become_pass') ?? rt.options.becomePassword
  // As Ansible: the ansible_become_method variable beats the become_method keyword, which beats --become-method.
  const method = String(renderValue(v('ansible_become_method') ?? task.becomeMethod ?? rt.options.becomeMethod ?? 'sudo', scope))
  if (method !== 'sudo' && method !== 'su') throw new RmError(`ansible_become_method '${method}' is not supported (rm-play becomes with sudo or su)`, task.pos)
  return { user, password: pw === undefined ? undefined : String(pw), ...(method === 'su' ? { method: 'su' as const } : {}) }
}

/** no_log (or a no_log that cannot be read: the safe side): -vvv does not show the task's scripts. */
function untraced(task: Task, scope: VarScope): boolean {
  try {
    return noLogOf(task, scope)
  } catch {
    return true
  }
}

function environmentFor(task: Task, scope: VarScope): Record<string, string> {
  const env: Record<string, string> = {}
  for (const layer of task.environment) {
    const r = renderValue(layer, scope)
    if (r && typeof r === 'object') for (const [k, v] of Object.entries(r)) env[k] = String(v)
  }
  return env
}
