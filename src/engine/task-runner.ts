// Runs one task on one host and emits one host-result event per item: no_log, `when`, then one
// execution (task-execute.ts) or the loop (task-loop.ts); ignore_errors and the status settle
// each outcome. The pieces, top-down:
//   task-runner.ts   this file: the task on a host, its result lines
//   task-loop.ts     the items of a loop (Ansible's _run_loop)
//   task-execute.ts  one item: changed_when / failed_when, retries / until (Ansible's _execute)
//   task-module.ts   one module run: arguments, probes → plan → apply or report, result
//   resolved-task.ts the task's keywords (become, environment, check_mode, diff, delegate_to,
//                    connection, no_log, label), rendered once into one typed value
import { InterruptedError, UnreachableError } from '../connection/connection.js'
import type { Task } from '../playbook/model.js'
import type { VarScope } from '../playbook/vars.js'
import type { HostResultEvent } from './events.js'
import type { HostState } from './host-state.js'
import { ignoreErrorsOf, noLogOf } from './resolved-task.js'
import type { PlayRuntime } from './runtime.js'
import { scopeFor } from './scope.js'
import { condsHold, executeItem } from './task-execute.js'
import { runLoop, type ItemHooks, type TaskRun } from './task-loop.js'
import { emptyOutcome, isPlaybookError, registeredOf, taskError, type Outcome } from './task-outcome.js'

export type { Outcome } from './task-outcome.js'
export type { TaskRun } from './task-loop.js'

const NOT_IGNORED = ' (a playbook error: ignore_errors and failed_when do not hide it)'

/** Ansible's words for a result that no_log hides. */
export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

/** Runs a task (all loop items) on a host and emits its results. */
export async function runTask(rt: PlayRuntime, hs: HostState, task: Task, handler: boolean): Promise<TaskRun> {
  const t0 = Date.now()
  const scope = scopeFor(rt.scope, hs.name, { role: task.role, vars: task.vars })
  // An unreadable no_log hides the output (the safe side) and fails the task below.
  let noLogError: unknown
  let hidden = false
  try {
    hidden = noLogOf(task, scope)
  } catch (e) {
    hidden = true
    noLogError = e
  }
  const emit = (o: Outcome, item?: string) => {
    // strategy/__init__.py _execute_meta: a meta task's result reaches the callbacks only when skipped
    if (task.module === 'meta' && o.status === 'ok') return
    const ev: HostResultEvent = {
      type: 'host-result',
      task: task.title,
      taskIndex: task.index,
      handler,
      host: hs.name,
      status: o.status,
      mayChange: o.mayChange || undefined,
      check: rt.options.check,
      // As Ansible: a no_log loop shows `(item=None)`, not the item or its label.
      item: hidden && item !== undefined ? 'None' : item,
      msg: hidden && o.status !== 'skipped' ? NO_LOG_MSG : o.msg,
      changes: hidden ? o.changes.map((c) => ({ ...c, summary: c.summary.replace(/\s.*$/, ' (hidden)') })) : o.changes,
      diffs: hidden ? [] : o.diffs,
      output: hidden ? undefined : o.data,
      ignored: o.ignored || undefined,
      durationMs: Date.now() - t0,
      hidden: hidden || undefined,
    }
    if (task.delegateTo) ev.delegatedTo = String(task.delegateTo)
    rt.options.emit(ev)
  }
  const finish = (o: Outcome): Outcome => {
    o.status = o.unreachable ? 'unreachable' : o.failed ? 'failed' : o.skipped ? 'skipped' : o.changed ? 'changed' : 'ok'
    if (o.playbookError) o.msg = `${o.msg ?? ''}${NOT_IGNORED}`
    else if (o.failed && task.ignoreErrors !== undefined) {
      try {
        o.ignored = ignoreErrorsOf(task, scope)
      } catch (e) {
        o.msg = `${o.msg ? `${o.msg}; ` : ''}${taskError(task, e)}`
      }
    }
    return o
  }
  const whenHolds = (s: VarScope): { holds: boolean; unknown: boolean } => {
    const before = s.touchedUnknown.size
    const holds = condsHold(task.when, s)
    return { holds, unknown: s.touchedUnknown.size > before }
  }
  const hooks: ItemHooks = { emit, finish, whenHolds }

  try {
    if (noLogError) throw noLogError
    if (task.loop === undefined) {
      const w = whenHolds(scope)
      if (!w.holds && !w.unknown) {
        const o = finish({ ...emptyOutcome(), skipped: true, data: { skipped: true, skip_reason: 'Conditional result was False' } })
        emit(o)
        return { outcome: o, registered: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }
      }
      const o = finish(await executeItem(rt, hs, task, scope, w.unknown))
      emit(o)
      return { outcome: o, registered: registeredOf(o) }
    }
    return await runLoop(rt, hs, task, scope, hooks)
  } catch (e) {
    if (e instanceof UnreachableError) {
      const o = finish({ ...emptyOutcome(), unreachable: true, msg: e.message })
      emit(o)
      return { outcome: o, registered: { unreachable: true, changed: false, failed: true, msg: e.message } }
    }
    // Ctrl-C: the command was stopped on the host (or a retry's wait was cut short).
    const msg = e instanceof InterruptedError || rt.options.signal?.aborted ? 'interrupted: the task was stopped before it finished' : taskError(task, e)
    const o = finish({ ...emptyOutcome(), failed: true, msg, playbookError: isPlaybookError(e) })
    emit(o)
    return { outcome: o, registered: { changed: false, failed: true, msg: o.msg } }
  }
}
