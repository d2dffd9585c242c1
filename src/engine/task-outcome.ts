// What one execution of a task on a host came to, and the errors that decide how it is shown.
import { VERBOSE_ALWAYS, type ActionResult, type FileDiff } from '../modules/types.js'
import { formatPos, RmError } from '../playbook/errors.js'
import { ExpressionError, UndefinedVariableError } from '../playbook/expression.js'
import type { Task } from '../playbook/model.js'
import { TemplateRenderError } from '../playbook/template.js'
import { isUnknown, markUnknown } from '../playbook/vars.js'
import type { ChangeSummary, HostStatus } from './events.js'

export interface Outcome {
  status: HostStatus
  changed: boolean
  failed: boolean
  skipped: boolean
  unreachable: boolean
  ignored: boolean
  /** The playbook is wrong (undefined variable, bad expression): ignore_errors and failed_when do not hide it. */
  playbookError?: boolean
  mayChange: boolean
  msg?: string
  changes: ChangeSummary[]
  diffs: FileDiff[]
  data: Record<string, unknown>
  meta?: ActionResult['meta']
  facts?: Record<string, unknown>
  includedVars?: Record<string, unknown>
  /** Host facts a module returned (its `ansible_facts`, names without the ansible_ prefix): merged into the host's facts. */
  hostFacts?: Record<string, unknown>
}

export const emptyOutcome = (): Outcome => ({
  status: 'ok',
  changed: false,
  failed: false,
  skipped: false,
  unreachable: false,
  ignored: false,
  mayChange: false,
  changes: [],
  diffs: [],
  data: {},
})

/** What `register` stores for one execution (unknown in check mode when its data is). */
export function registeredOf(o: Outcome, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { [VERBOSE_ALWAYS]: _shown, ...data } = o.data
  const r = { ...data, changed: o.changed, failed: o.failed, ...extra, ...(o.msg !== undefined ? { msg: o.msg } : {}) }
  if (isUnknown(o.data)) markUnknown(r)
  return r
}

/**
 * Errors in the playbook itself rather than on the host. Ansible 2.14 lets ignore_errors swallow an
 * undefined variable (and runs the next tasks); rm-play fails the host instead: a typo must not
 * pass for success after earlier tasks have already changed the host.
 */
export function isPlaybookError(e: unknown): boolean {
  return e instanceof UndefinedVariableError || e instanceof ExpressionError || e instanceof TemplateRenderError
}

/** A task error that is the playbook's fault (undefined variable, bad argument): names the task and place. */
export function taskError(task: Task, e: unknown): string {
  const where = `${task.title} (${formatPos(task.pos)})`
  if (e instanceof UndefinedVariableError)
    return `undefined variable '${e.variable}' in task ${where}${e.suggestion ? `; did you mean '${e.suggestion}'?` : ''}`
  if (e instanceof ExpressionError) return `${e.message} in '${e.expression}', task ${where}`
  if (e instanceof RmError) return e.pos ? `${formatPos(e.pos)}: ${e.message}` : e.message
  return (e as Error).message
}

/** Check mode cannot plan this task (it needs what an earlier task would have done). */
export class CheckModeUnknown extends Error {}
