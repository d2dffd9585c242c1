// One item of a task on a host (Ansible's TaskExecutor._execute): the module run, then
// changed_when / failed_when, retried until `until` holds. Errors become a failed outcome here;
// only an unreachable host or an interrupt goes up to the task runner.
import { setTimeout as sleep } from 'node:timers/promises'
import { InterruptedError, UnreachableError } from '../connection/connection.js'
import { getModule } from '../modules/index.js'
import { ModuleFailure } from '../modules/types.js'
import { RmError } from '../playbook/errors.js'
import { evaluateCondition, ExpressionError, renderValue, UndefinedVariableError } from '../playbook/expression.js'
import type { Cond, Task } from '../playbook/model.js'
import { isUnknown, markUnknown, type VarScope } from '../playbook/vars.js'
import type { HostState } from './host-state.js'
import type { PlayRuntime } from './runtime.js'
import { invalidate } from './read-ahead.js'
import { resolveOnce, runModule } from './task-module.js'
import { CheckModeUnknown, emptyOutcome, isPlaybookError, registeredOf, taskError, type Outcome } from './task-outcome.js'

export function condsHold(conds: Cond[] | undefined, scope: VarScope): boolean {
  for (const c of conds ?? []) if (!evaluateCondition(c.expr, scope)) return false
  return true
}

/**
 * retries and delay: numbers, or templates that give one (Ansible templates both). Anything else
 * is an error: NaN once made `until` retry for ever.
 */
function countKeyword(v: unknown, name: string, dflt: number, scope: VarScope): number {
  if (v === undefined || v === null) return dflt
  const x = Number(typeof v === 'string' ? renderValue(v, scope) : v)
  if (!Number.isFinite(x) || x < 0) throw new RmError(`${name} must be a number of 0 or more, got '${String(v)}'`)
  return x
}

/** The result with more keys, still marked unknown where it was (check mode). */
function withKeys(data: Outcome['data'], keys: Record<string, unknown>): Outcome['data'] {
  const d = { ...data, ...keys }
  return isUnknown(data) ? markUnknown(d) : d
}

/** The module run with failed_when / changed_when and retries/until applied. */
export async function executeItem(rt: PlayRuntime, hs: HostState, task: Task, scope: VarScope, whenUnknown: boolean): Promise<Outcome> {
  let retries: number
  let delay: number
  try {
    retries = task.until ? countKeyword(task.retries, 'retries', 3, scope) : 0
    delay = countKeyword(task.delay, 'delay', 5, scope)
  } catch (e) {
    return { ...emptyOutcome(), failed: true, msg: taskError(task, e), playbookError: true }
  }
  const resolved = resolveOnce(rt, hs, task, scope)
  for (let attempt = 0; ; attempt++) {
    let out: Outcome
    // a retry waits for the host to change: it reads the host again
    if (attempt > 0) invalidate(rt.readAhead)
    try {
      out = await runModule(rt, hs, task, scope, whenUnknown, resolved)
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof InterruptedError) throw e
      const unknown = [...scope.touchedUnknown]
      if (e instanceof CheckModeUnknown)
        return { ...emptyOutcome(), mayChange: true, changed: true, changes: [{ summary: e.message, uncertain: true }], data: markUnknown({}) }
      if (rt.options.check && unknown.length && (e instanceof UndefinedVariableError || e instanceof ExpressionError)) {
        // The arguments need a result that only a real run produces: say so, don't fail.
        const why = `depends on ${unknown.join(', ')}, which check mode cannot know`
        const action = getModule(task.module)?.kind === 'action'
        out = {
          ...emptyOutcome(),
          mayChange: !action,
          changed: !action,
          msg: action ? `(${why})` : undefined,
          changes: action ? [] : [{ summary: why, uncertain: true }],
          data: markUnknown({}),
        }
        return out
      }
      out = {
        ...emptyOutcome(),
        failed: true,
        msg: e instanceof ModuleFailure ? e.message : taskError(task, e),
        data: e instanceof ModuleFailure ? e.data : {},
      }
      if (isPlaybookError(e)) return { ...out, playbookError: true }
    }
    // As in Ansible, `attempts` is in the result that changed_when, failed_when and until see.
    if (task.until) out.data = withKeys(out.data, { attempts: attempt + 1 })
    const s = task.register ? scope.with({ name: 'this result', values: { [task.register]: registeredOf(out) }, data: true }) : scope
    const before = new Set(s.touchedUnknown)
    try {
      if (task.changedWhen) out.changed = condsHold(task.changedWhen, s)
      if (task.failedWhen) {
        // failed_when decides alone; a step's failure message no longer applies when it says ok
        out.failed = condsHold(task.failedWhen, s)
        out.data = withKeys(out.data, { failed_when_result: out.failed })
        if (!out.failed) out.msg = undefined
      }
    } catch (e) {
      if (!isUnknown(out.data)) {
        out.failed = true
        out.msg = taskError(task, e)
        if (isPlaybookError(e)) return { ...out, playbookError: true }
      }
    }
    // In check mode a condition on a result that was not produced cannot be decided.
    if (isUnknown(out.data) && [...s.touchedUnknown].some((n) => !before.has(n) || n === task.register)) {
      out.changed = out.changes.length > 0
      out.failed = false
      out.mayChange = true
    }
    // ansible-core 2.14: with retries of 0 the task runs once and `until` is not looked at
    if (!task.until || retries === 0) return out
    let done = false
    try {
      done = condsHold(task.until, s)
    } catch {
      done = false
    }
    if (done || isUnknown(out.data)) return out
    if (attempt >= retries) {
      // ... and a task that runs out of retries says attempts: retries (one fewer than it ran)
      out.data = withKeys(out.data, { attempts: retries })
      if (!out.failed) {
        out.failed = true
        out.msg = `${out.msg ? `${out.msg}; ` : ''}retries exhausted (${retries}) waiting for: ${task.until.map((c) => String(c.expr)).join(' and ')}`
      }
      return out
    }
    await sleep(delay * 1000, undefined, { signal: rt.options.signal })
  }
}
