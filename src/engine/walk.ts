// One host's walk through a task tree: blocks with rescue/always, includes, handlers at flush
// points, and what each task's outcome means for the host (register, set_fact, notify, meta,
// failure). The gate keeps hosts in step under the linear strategy.
import { dirname } from 'node:path'
import { renderValue, evaluateCondition } from '../playbook/expression.js'
import { LoadState, inherit } from '../playbook/load-context.js'
import type { Include, Node, Task } from '../playbook/model.js'
import { loadRoleInto } from '../playbook/roles.js'
import { loadTaskFile } from '../playbook/tasks.js'
import { formatPos, RmError } from '../playbook/errors.js'
import { loopItems } from '../playbook/loop-items.js'
import { emptyStats } from './events.js'
import { failedTaskView } from './failed-task.js'
import type { Outcome } from './task-outcome.js'
import type { HostState } from './host-state.js'
import type { Gate } from './lockstep.js'
import type { PlayRuntime } from './runtime.js'
import { scopeFor } from './scope.js'
import { tagSelected } from './tags.js'
import { registeredOf } from './task-outcome.js'
import { runTask } from './task-runner.js'

export interface WalkContext {
  rt: PlayRuntime
  gate: Gate
  /** Task indices before --start-at-task's match are skipped. */
  startIndex: number
  batchHosts: string[]
  /** Set when the play must stop for every host (any_errors_fatal, max_fail_percentage, end_play, Ctrl-C). */
  stop: PlayStop
  onFailure(host: string): void
  /** meta: clear_host_errors: every host of the play that failed (not the unreachable) is back for the next plays. */
  clearHostErrors(): void
  /** Announces a task the first time any host starts it. */
  announce(task: Task, handler: boolean): void
}

/** reason: the play stops for every host; run: the plays after it do not start either. */
export interface PlayStop {
  reason?: string
  run?: boolean
}

type WalkResult = 'ok' | 'failed' | 'stopped'

/** Ctrl-C: no task or handler starts any more. */
function interrupted(ctx: WalkContext): boolean {
  return !!ctx.rt.options.signal?.aborted
}

/** A failure that leaves the tree unrescued ends the play for every host when its task said so. */
function endIfFatal(ctx: WalkContext, hs: HostState, r: WalkResult): WalkResult {
  if (r === 'failed' && hs.failureFatal) {
    ctx.stop.reason ??= hs.failureIsPlaybookError
      ? `a playbook error on ${hs.name} stops the run (fix the playbook: it is not a host failure)`
      : `any_errors_fatal: ${hs.name} failed`
    ctx.stop.run = true
  }
  return r
}

function selected(ctx: WalkContext, task: Task): boolean {
  if (task.index < ctx.startIndex) return false
  return tagSelected(task.tags, ctx.rt.options.tags, ctx.rt.options.skipTags)
}

/** The names a handler answers to: its name, `role : name`, and its listen topics. */
function handlerNames(h: Task): string[] {
  return [h.name, h.role && h.name ? `${h.role.name} : ${h.name}` : undefined, ...h.listen].filter((n): n is string => !!n)
}

const handlerKey = (k: number) => `\0handler ${k}`

/**
 * Turns the names a host was notified with into the handlers they mean (a listen topic means
 * every handler listening to it), in place: what stays is one key per handler to run.
 */
export function expandNotified(handlers: readonly Task[], notified: Set<string>): void {
  for (const n of [...notified]) {
    if (n.startsWith('\0handler ')) continue
    const hit = handlers.flatMap((h, k) => (handlerNames(h).includes(n) ? [k] : []))
    if (!hit.length) continue // a name no handler answers to stays as it is (listed as pending)
    for (const k of hit) notified.add(handlerKey(k))
    notified.delete(n)
  }
}

/** The handlers still to run for a host, in definition order (and any name no handler answers to). */
export function notifiedHandlers(handlers: readonly Task[], notified: ReadonlySet<string>): { index: number[]; unknown: string[] } {
  const copy = new Set(notified)
  expandNotified(handlers, copy)
  return { index: handlers.flatMap((_, k) => (copy.has(handlerKey(k)) ? [k] : [])), unknown: [...copy].filter((n) => !n.startsWith('\0handler ')) }
}

/**
 * Runs the handlers a host notified, once each, in the order the play defines them. `force`: the
 * host failed and force_handlers is on, so its failure does not keep them from running.
 */
export async function flushHandlers(ctx: WalkContext, hs: HostState, base: number, force = false): Promise<WalkResult> {
  const handlers = ctx.rt.play.handlers
  for (const [k, h] of handlers.entries()) {
    // a handler may notify another: expand before each one
    expandNotified(handlers, hs.notified)
    if (!hs.notified.has(handlerKey(k))) continue
    await ctx.gate.arrive(hs.name, base + (k + 1) / (handlers.length + 2))
    if (ctx.stop.reason || !(hs.active || (force && hs.failed && !hs.unreachable && !hs.ended))) return 'stopped' // still pending (listed when the host leaves the play)
    hs.notified.delete(handlerKey(k))
    hs.upcoming = undefined
    const r = endIfFatal(ctx, hs, await runOne(ctx, hs, h, true))
    if (r !== 'ok') return r
  }
  return 'ok'
}

/** set_fact and include_vars share one store in Ansible (the last one to set a name wins); here two layers, one templated. */
function setHostVars(hs: HostState, o: Outcome): void {
  for (const k of Object.keys(o.facts ?? {})) delete hs.includedVars[k]
  for (const k of Object.keys(o.includedVars ?? {})) delete hs.vars[k]
  Object.assign(hs.vars, o.facts ?? {})
  Object.assign(hs.includedVars, o.includedVars ?? {})
}

async function runOne(ctx: WalkContext, hs: HostState, task: Task, handler: boolean, extra: Record<string, unknown>[] = []): Promise<WalkResult> {
  const rt = ctx.rt
  const t = extra.length ? { ...task, vars: [...task.vars, ...extra] } : task
  if (interrupted(ctx)) return 'stopped'
  ctx.announce(task, handler)
  // A host still waiting for a fork when Ctrl-C comes does not start the task.
  const start = async () => (interrupted(ctx) ? undefined : runTask(rt, hs, t, handler))
  let run
  if (task.runOnce) {
    const key = task.index
    let shared = rt.runOnce.get(key) as Promise<Awaited<ReturnType<typeof runTask>> | undefined> | undefined
    if (!shared) {
      shared = rt.queue.add(start, { throwOnTimeout: true })
      rt.runOnce.set(key, shared)
      run = await shared
    } else {
      run = await shared
      if (!run) return 'stopped'
      if (task.register && run.registered) hs.vars[task.register] = run.registered
      setHostVars(hs, run.outcome)
      if (run.outcome.hostFacts) hs.facts = { ...(hs.facts ?? {}), ...run.outcome.hostFacts }
      return 'ok'
    }
  } else {
    run = await rt.queue.add(start, { throwOnTimeout: true })
  }
  if (!run) return 'stopped'
  const o = run.outcome
  if (task.register && run.registered) hs.vars[task.register] = run.registered
  if (!o.failed) setHostVars(hs, o)
  if (o.hostFacts && !o.failed) hs.facts = { ...(hs.facts ?? {}), ...o.hostFacts }
  // meta tasks are the play's own steering: Ansible counts none of them in the recap.
  const s = task.module === 'meta' ? emptyStats() : hs.stats
  if (o.status === 'unreachable') {
    s.unreachable++
    if (!task.ignoreUnreachable) {
      if (task.anyErrorsFatal) hs.failureFatal = true
      hs.unreachable = true
      ctx.onFailure(hs.name)
      return 'failed'
    }
    return 'ok'
  }
  if (o.status === 'skipped') s.skipped++
  else if (o.status === 'failed') {
    if (o.ignored) {
      s.ignored++
      return 'ok'
    }
    s.failed++
    const view = failedTaskView(task, (v) => renderValue(v, scopeFor(rt.scope, hs.name, { role: task.role, vars: t.vars })))
    hs.lastFailure = { result: run.registered ?? registeredOf(o), task: view }
    hs.errorsCleared = false
    hs.failureIsPlaybookError = !!o.playbookError
    hs.failureFatal = !!(task.anyErrorsFatal || o.playbookError)
    return 'failed'
  } else {
    s.ok++
    if (o.changed) s.changed++
  }
  if (o.changed && o.status !== 'skipped')
    for (const n of task.notify) hs.notified.add(String(renderValue(n, scopeFor(rt.scope, hs.name, { role: task.role, vars: task.vars }))))
  switch (o.meta) {
    case 'flush_handlers':
      return flushHandlers(ctx, hs, task.index)
    case 'end_host':
      hs.ended = true
      return 'stopped'
    case 'end_play':
      ctx.stop.reason = 'meta: end_play'
      return 'stopped'
    case 'clear_host_errors':
      ctx.clearHostErrors()
      return 'ok'
    case 'reset_connection':
      await rt.pool.reset(hs.name)
      return 'ok'
    case 'refresh_inventory':
    case 'noop':
    default:
      return 'ok'
  }
}

/** An error in an included file, as the include's failure on a host says it: with its file:line:col. */
const withPlace = (e: RmError): RmError => new RmError(e.pos ? `${formatPos(e.pos)}: ${e.message}` : e.message, e.pos, e.hint)

/**
 * A templated file or role name, rendered for a host: parsed the first time a target is met, then
 * shared by every host and loop item that renders the same one. Roles are searched in the
 * playbook's roles/ and --roles-path, as at load time.
 */
function loadDynamic(rt: PlayRuntime, inc: Include, target: string): Node[] {
  const cache = (rt.includes ??= { nodes: new Map(), loadedTasks: 0 })
  const key = `${inc.index}\0${target}`
  const hit = cache.nodes.get(key)
  if (hit) return hit
  // Indices unique in the play (task headers, run_once and the linear gate key on them), between
  // the include's and the next static task's, so --start-at-task and lockstep order still hold.
  const base = Math.floor(inc.index)
  const state = new LoadState(rt.playbookDir, { rolesPath: rt.play.rolesPath }, () => base + ++cache.loadedTasks * 1e-6)
  const inh = inherit(inc, { when: [] })
  const nodes =
    inc.what === 'role'
      ? (loadRoleInto(state, target, inc.params, inh, inc.pos, { tasksFrom: inc.tasksFrom }, true)?.tasks ?? [])
      : loadTaskFile(
          state,
          target.startsWith('/') ? target : `${inc.baseDir}/${target}`,
          { file: inc.pos.file, baseDir: dirname(inc.pos.file), inherited: inh },
          inc.pos,
        )
  if (state.errors.length) throw withPlace(state.errors[0]!)
  cache.nodes.set(key, nodes)
  return nodes
}

async function runInclude(ctx: WalkContext, hs: HostState, inc: Include, extra: Record<string, unknown>[]): Promise<WalkResult> {
  const rt = ctx.rt
  const scope = scopeFor(rt.scope, hs.name, { role: inc.role, vars: [...inc.vars, ...extra] })
  for (const c of inc.when) if (!evaluateCondition(c.expr, scope)) return 'ok'
  // what rm-play lacks in the file fails the include here, on a host that runs it (as in Ansible)
  if (inc.lacking?.[0]) throw withPlace(inc.lacking[0])
  const items = inc.loop === undefined ? [undefined] : loopItems(inc.loop, scope)
  if (!Array.isArray(items)) throw new RmError(`loop needs a list`, inc.pos)
  for (const [i, item] of items.entries()) {
    const loopVars: Record<string, unknown> =
      inc.loop === undefined ? {} : { [inc.loopControl?.loopVar ?? 'item']: item, ...(inc.loopControl?.indexVar ? { [inc.loopControl.indexVar]: i } : {}) }
    const nodes = inc.nodes ?? loadDynamic(rt, inc, String(renderValue(inc.target, scope.with({ name: 'loop', values: loopVars, data: true }))))
    const r = await walkNodes(ctx, hs, nodes, [...extra, loopVars])
    if (r !== 'ok') return r
  }
  return 'ok'
}

/** Walks nodes for one host; returns 'failed' when a task failed (and was not rescued). */
export async function walk(ctx: WalkContext, hs: HostState, nodes: readonly Node[]): Promise<WalkResult> {
  return endIfFatal(ctx, hs, await walkNodes(ctx, hs, nodes, []))
}

// --step: one question per task of a play, whichever host gets there first; the others share the answer.
const stepAnswers = new WeakMap<object, Map<number, Promise<boolean>>>()
function stepAnswer(ctx: WalkContext, task: Task): Promise<boolean> {
  let answers = stepAnswers.get(ctx.rt)
  if (!answers) stepAnswers.set(ctx.rt, (answers = new Map()))
  let a = answers.get(task.index)
  if (!a) answers.set(task.index, (a = ctx.rt.options.step!({ title: task.role ? `${task.role.name} : ${task.title}` : task.title })))
  return a
}

async function walkNodes(ctx: WalkContext, hs: HostState, nodes: readonly Node[], extra: Record<string, unknown>[]): Promise<WalkResult> {
  for (const [i, node] of nodes.entries()) {
    if (ctx.stop.reason || hs.unreachable || hs.ended) return 'stopped'
    if (node.kind === 'task') {
      if (!selected(ctx, node)) continue
      await ctx.gate.arrive(hs.name, node.index)
      if (ctx.stop.reason || hs.unreachable || hs.ended) return 'stopped'
      if (ctx.rt.options.step && !(await stepAnswer(ctx, node))) continue
      hs.upcoming = { nodes, from: i + 1, extra, selected: (t) => selected(ctx, t) }
      const r = await runOne(ctx, hs, node, false, extra)
      if (r !== 'ok') return r
    } else if (node.kind === 'block') {
      let r = await walkNodes(ctx, hs, node.block, extra)
      if (r === 'failed' && node.rescue.length && !hs.unreachable) {
        hs.stats.failed--
        hs.stats.rescued++
        hs.failureFatal = false
        // as Ansible's set_nonpersistent_facts: the rest of the play sees them too
        if (hs.lastFailure) Object.assign(hs.vars, { ansible_failed_result: hs.lastFailure.result, ansible_failed_task: hs.lastFailure.task })
        r = await walkNodes(ctx, hs, node.rescue, extra)
      }
      if (node.always.length && !hs.unreachable) {
        const a = await walkNodes(ctx, hs, node.always, extra)
        if (r === 'ok') r = a
      }
      if (r !== 'ok') return r
    } else {
      let r: WalkResult
      try {
        r = await runInclude(ctx, hs, node, extra)
      } catch (e) {
        ctx.rt.options.emit({
          type: 'host-result',
          task: node.title,
          taskIndex: node.index,
          handler: false,
          host: hs.name,
          status: 'failed',
          check: ctx.rt.options.check,
          msg: (e as Error).message,
          changes: [],
          diffs: [],
          durationMs: 0,
        })
        hs.stats.failed++
        r = 'failed'
      }
      if (r !== 'ok') return r
    }
  }
  return 'ok'
}

/** The largest task index in a tree (for the virtual index of an end-of-section handler flush). */
export function maxIndex(nodes: readonly Node[]): number {
  let m = 0
  for (const n of nodes) {
    m = Math.max(m, n.index)
    if (n.kind === 'block') m = Math.max(m, maxIndex(n.block), maxIndex(n.rescue), maxIndex(n.always))
    if (n.kind === 'include') m = Math.max(m, maxIndex(n.nodes ?? []))
  }
  return m
}
