// A task's loop on one host (Ansible's TaskExecutor._run_loop): each item gets its loop variables,
// its label, its own `when`, one execution and one result line; the task's outcome and its
// registered `results` are the items' together.
import { setTimeout as sleep } from 'node:timers/promises'
import { RmError } from '../playbook/errors.js'
import { loopItems } from '../playbook/loop-items.js'
import { renderValue } from '../playbook/expression.js'
import type { Task } from '../playbook/model.js'
import { isUnknown, markUnknown, type VarScope } from '../playbook/vars.js'
import type { HostState } from './host-state.js'
import { labelOf } from './resolved-task.js'
import type { PlayRuntime } from './runtime.js'
import { executeItem } from './task-execute.js'
import { emptyOutcome, type Outcome } from './task-outcome.js'

/** How the task runner shows and settles each outcome; `when` as this task reads it. */
export interface ItemHooks {
  emit(o: Outcome, item?: string): void
  finish(o: Outcome): Outcome
  whenHolds(s: VarScope): { holds: boolean; unknown: boolean }
}

export interface TaskRun {
  outcome: Outcome
  registered?: Record<string, unknown>
}

export async function runLoop(rt: PlayRuntime, hs: HostState, task: Task, scope: VarScope, hooks: ItemHooks): Promise<TaskRun> {
  const items = loopItems(task.loop, scope)
  if (!Array.isArray(items)) throw new RmError(`loop needs a list, got ${items === null ? 'null' : typeof items}`, task.pos)
  const results: Record<string, unknown>[] = []
  const total = emptyOutcome()
  total.skipped = true
  let anyUnknown = false
  // the registered `failed` counts an ignored item's failure too (Ansible's), the outcome does not
  let anyFailed = false
  const lc = task.loopControl
  for (const [i, item] of items.entries()) {
    const loopVars: Record<string, unknown> = { [lc?.loopVar ?? 'item']: item, ansible_loop_var: lc?.loopVar ?? 'item' }
    if (lc?.indexVar) loopVars[lc.indexVar] = i
    loopVars.ansible_loop = {
      index: i + 1,
      index0: i,
      first: i === 0,
      last: i === items.length - 1,
      length: items.length,
      revindex: items.length - i,
      revindex0: items.length - i - 1,
      allitems: items,
      previtem: items[i - 1],
      nextitem: items[i + 1],
    }
    const s = scope.with({ name: 'loop', values: loopVars, data: true })
    const lab = labelOf(task, item, s)
    const w = hooks.whenHolds(s)
    let o: Outcome
    const loopVar = lc?.loopVar ?? 'item'
    let r: Record<string, unknown>
    if (!w.holds && !w.unknown) {
      o = hooks.finish({ ...emptyOutcome(), skipped: true, data: { skipped: true } })
      // Ansible's item skipped by `when`: no `failed`, and the reason
      r = { changed: false, skipped: true, skip_reason: 'Conditional result was False', item, ansible_loop_var: loopVar }
    } else {
      o = hooks.finish(await executeItem(rt, hs, task, s, w.unknown))
      // `skipped` only where the item was (a module that skipped itself), as Ansible's items
      const { skipped: _, ...data } = o.data
      r = {
        ...data,
        changed: o.changed,
        failed: o.failed,
        ...(o.skipped ? { skipped: true } : {}),
        item,
        ansible_loop_var: loopVar,
        ...(o.msg !== undefined ? { msg: o.msg } : {}),
      }
    }
    hooks.emit(o, lab)
    if (isUnknown(o.data)) anyUnknown = true
    results.push(r)
    total.changed ||= o.changed
    anyFailed ||= o.failed
    total.failed ||= o.failed && !o.ignored
    total.playbookError ||= o.playbookError
    total.skipped &&= o.skipped
    total.mayChange ||= o.mayChange
    total.changes.push(...o.changes)
    total.diffs.push(...o.diffs)
    if (o.failed) total.msg = 'One or more items failed'
    if (o.meta) total.meta = o.meta
    if (o.facts) total.facts = { ...(total.facts ?? {}), ...o.facts }
    if (o.includedVars) total.includedVars = { ...(total.includedVars ?? {}), ...o.includedVars }
    if (o.hostFacts) total.hostFacts = { ...(total.hostFacts ?? {}), ...o.hostFacts }
    if (lc?.pause) await sleep(lc.pause * 1000, undefined, { signal: rt.options.signal })
  }
  if (items.length === 0) {
    const o = hooks.finish({ ...emptyOutcome(), skipped: true, msg: 'No items in the list' })
    hooks.emit(o)
    return { outcome: o, registered: { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] } }
  }
  total.skipped = total.skipped && !total.failed
  const o = hooks.finish(total)
  // as Ansible registers a loop: `failed` only when an item failed, and which message
  const msg = anyFailed ? 'One or more items failed' : o.skipped ? 'All items skipped' : 'All items completed'
  const registered = { changed: o.changed, ...(anyFailed ? { failed: true } : {}), skipped: o.skipped, results, msg }
  if (anyUnknown) markUnknown(registered)
  return { outcome: o, registered }
}
