// Runs one task on one host: conditions, loop, arguments, probes, plan, then apply (or, in check
// mode, report), changed_when/failed_when, retries, register, notify. Emits one host-result
// event per item.
import type { Become, ExecOptions } from '../connection/connection.js'
import { InterruptedError, UnreachableError } from '../connection/connection.js'
import { getModule } from '../modules/index.js'
import { checkArgs, secretOptions } from '../modules/schema.js'
import { ModuleFailure, type ActionModule, type ActionResult, type Change, type FileDiff, type HostModule, type PlanContext, type PrepareContext, type StepOutput } from '../modules/types.js'
import { BOOL_HINT, notBool, parseBool } from '../playbook/bool.js'
import { formatPos, RmError, type SourcePos } from '../playbook/errors.js'
import { evaluate, evaluateCondition, ExpressionError, renderValue, UndefinedVariableError } from '../playbook/expression.js'
import { TemplateRenderError } from '../playbook/template.js'
import type { Cond, Task } from '../playbook/model.js'
import { findLocalFile, fileCandidates } from '../playbook/references.js'
import { tainting } from '../playbook/taint.js'
import { renderTemplateFile } from '../playbook/template.js'
import { isUnknown, markUnknown, type VarScope } from '../playbook/vars.js'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { applyChanges, StepFailure } from './apply.js'
import type { ChangeSummary, HostResultEvent, HostStatus } from './events.js'
import type { HostState } from './host-state.js'
import { runNamedProbes } from './probe-batch.js'
import { settleNeeds } from './needs.js'
import { connectionFor, connectionKeywords, type PlayRuntime } from './runtime.js'
import { lazyVars, scopeFor } from './scope.js'

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
}

/**
 * Errors in the playbook itself rather than on the host. Ansible 2.14 lets ignore_errors swallow an
 * undefined variable (and runs the next tasks); rm-play fails the host instead: a typo must not
 * pass for success after earlier tasks have already changed the host.
 */
function isPlaybookError(e: unknown): boolean {
  return e instanceof UndefinedVariableError || e instanceof ExpressionError || e instanceof TemplateRenderError
}

const NOT_IGNORED = ' (a playbook error: ignore_errors and failed_when do not hide it)'

/** A task error that is the playbook's fault (undefined variable, bad argument): names the task and place. */
function taskError(task: Task, e: unknown): string {
  const where = `${task.title} (${formatPos(task.pos)})`
  if (e instanceof UndefinedVariableError) return `undefined variable '${e.variable}' in task ${where}`
  if (e instanceof ExpressionError) return `${e.message} in '${e.expression}', task ${where}`
  if (e instanceof RmError) return e.pos ? `${formatPos(e.pos)}: ${e.message}` : e.message
  return (e as Error).message
}

/** A yes/no keyword (or variable) as the task sees it: rendered, then read by the one parseBool. */
function boolAt(keyword: string, v: unknown, scope: VarScope, pos?: SourcePos): boolean {
  const r = renderValue(v, scope)
  const b = parseBool(r)
  if (b === undefined) throw new RmError(notBool(keyword, r), pos, BOOL_HINT)
  return b
}

function condsHold(conds: Cond[] | undefined, scope: VarScope): boolean {
  for (const c of conds ?? []) if (!evaluateCondition(c.expr, scope)) return false
  return true
}

function label(task: Task, item: unknown, scope: VarScope): string {
  if (task.loopControl?.label !== undefined) return String(renderValue(task.loopControl.label, scope))
  return typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item)
}

function becomeFor(rt: PlayRuntime, task: Task, scope: VarScope): Become | undefined {
  const v = (k: string) => (scope.has(k) ? scope.lookup(k) : undefined)
  const on = task.become !== undefined ? boolAt('become', task.become, scope, task.pos) : rt.options.become || (v('ansible_become') !== undefined && boolAt('ansible_become', v('ansible_become'), scope, task.pos))
  if (!on) return undefined
  // become_user is often a variable (become_user: "{{ app_user }}"): render it like any value.
  const user = String(renderValue(task.becomeUser ?? rt.options.becomeUser ?? v('ansible_become_user') ?? 'root', scope))
  const pw = v('ansible_become_password') ?? v('ansible_become_pass') ?? rt.options.becomePassword
  return { user, password: pw === undefined ? undefined : String(pw) }
}

function environmentFor(task: Task, scope: VarScope): Record<string, string> {
  const env: Record<string, string> = {}
  for (const layer of task.environment) {
    const r = renderValue(layer, scope)
    if (r && typeof r === 'object') for (const [k, v] of Object.entries(r)) env[k] = String(v)
  }
  return env
}

function prepareContext(rt: PlayRuntime, task: Task, scope: VarScope): PrepareContext {
  return {
    findFile(kind, name) {
      const f = findLocalFile(kind, name, task.role, rt.playbookDir)
      if (!f) throw new ModuleFailure(`${kind === 'templates' ? 'template' : 'file'} not found: ${name} (looked in ${fileCandidates(kind, name, task.role, rt.playbookDir).join(', ')})`)
      return f
    },
    // A template frame: once its code reads a secret, what its output tags print counts as secret.
    renderTemplate: (path) => tainting('', () => renderTemplateFile(path, scope), 'template'),
    readFile: (path) => readFileSync(path),
    evaluate: (expr) => evaluate(expr, scope),
    condition: (expr) => evaluateCondition(expr, scope),
    vars: lazyVars(scope),
  }
}

/** Ansible's words for a result that no_log hides. */
export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

/** Check mode cannot plan this task (it needs what an earlier task would have done). */
class CheckModeUnknown extends Error {}

const empty = (): Outcome => ({ status: 'ok', changed: false, failed: false, skipped: false, unreachable: false, ignored: false, mayChange: false, changes: [], diffs: [], data: {} })

/** Default registered values of a host module: the last command's rc/stdout/stderr. */
function defaultResult(outputs: StepOutput[]): Record<string, unknown> {
  const last = [...outputs].reverse().find((o) => o.step.kind === 'exec')
  if (!last) return {}
  return { rc: last.code, stdout: last.stdout.replace(/\n$/, ''), stderr: last.stderr.replace(/\n$/, ''), stdout_lines: last.stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== ''), stderr_lines: last.stderr.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') }
}

/** One execution of the module (no loop, no retries). */
async function runOnce(rt: PlayRuntime, hs: HostState, task: Task, scope: VarScope, whenUnknown: boolean): Promise<Outcome> {
  const out = empty()
  const mod = getModule(task.module)!
  const rawNames = new Set(mod.kind === 'action' ? (mod.rawArgs ?? []) : [])
  const rendered: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(task.args)) rendered[k] = rawNames.has(k) ? v : renderValue(v, scope)
  for (const [k, v] of Object.entries(rendered)) if (v !== null && typeof v === 'object' && (v as { __omit__?: boolean }).__omit__) delete rendered[k]
  const { args, problems } = checkArgs(mod.args, rendered, false)
  for (const k of secretOptions(mod.args)) if (args[k] !== undefined && String(args[k]).length >= 3) rt.secrets.add(String(args[k]))
  if (problems.length) {
    const p = problems[0]!
    const pos = p.key ? task.argPos[p.key] : task.argsPos
    throw new RmError(`${task.module}: ${problems.map((x) => x.message).join('; ')}`, pos)
  }
  const invalid = mod.validate ? mod.validate(args as never) : []
  if (invalid.length) throw new RmError(`${task.module}: ${invalid.join('; ')}`, task.argsPos)
  const check = task.checkMode === undefined ? rt.options.check : boolAt('check_mode', task.checkMode, scope, task.pos)
  const diff = task.diff === undefined ? rt.options.diff : boolAt('diff', task.diff, scope, task.pos)
  const planCtx: PlanContext = { host: hs.name, facts: hs.facts ?? {}, diff }

  if (mod.kind === 'action') {
    const r = await (mod as ActionModule<unknown>).act(args, { ...prepareContext(rt, task, scope), ...planCtx })
    out.changed = !!r.changed
    out.failed = !!r.failed
    out.skipped = !!r.skipped
    out.msg = r.msg
    out.meta = r.meta
    out.facts = r.facts
    out.data = { ...(r.data ?? {}), ...(r.msg !== undefined ? { msg: r.msg } : {}) }
    return out
  }

  const hm = mod as HostModule<unknown, unknown>
  const target = task.delegateTo ? String(renderValue(task.delegateTo, scope)) : hs.name
  const connVars = target === hs.name ? scope : scopeFor(rt.scope, target, { vars: [] })
  const conn = connectionFor(rt, target, lazyVars(connVars), connectionKeywords(task.remoteUser ?? rt.play.remoteUser, task.connection ?? rt.play.connection, scope, task.pos))
  const execOpts: ExecOptions = { become: becomeFor(rt, task, scope), env: environmentFor(task, scope) }
  const prepared = hm.prepare ? await hm.prepare(args, prepareContext(rt, task, scope)) : args
  let state
  try {
    state = await runNamedProbes(conn, hm.probes(prepared, { ...planCtx, check }), execOpts)
  } catch (e) {
    // In check mode the become user may be one that an earlier task would create.
    if (check && execOpts.become && /unknown user/i.test((e as Error).message)) throw new CheckModeUnknown(`runs as ${execOpts.become.user}, a user that does not exist yet`)
    throw e
  }
  const changes: Change[] = settleNeeds(hm.plan(prepared, state, planCtx), check)
  const shown = changes.filter((c) => !c.quiet)
  out.changes = shown.map((c) => (c.uncertain ? { summary: c.summary, uncertain: true } : { summary: c.summary }))
  out.diffs = diff ? shown.filter((c) => c.diff).map((c) => c.diff!) : []
  out.changed = shown.length > 0
  let outputs: StepOutput[] = []
  const readOnly = typeof hm.readOnly === 'function' ? hm.readOnly(prepared) : !!hm.readOnly
  if (check && !readOnly) {
    if (out.changed) out.data = markUnknown({})
  } else if (changes.length) {
    try {
      outputs = await applyChanges(conn, changes, execOpts)
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e
      outputs.push(e.output)
      out.failed = true
      out.msg = e.message
    }
  }
  if (!isUnknown(out.data)) {
    const base = defaultResult(outputs)
    const extra = hm.result && !out.failed ? hm.result(prepared, state, outputs, planCtx) : {}
    out.data = { ...base, ...extra }
  }
  if (readOnly) out.changed = false
  out.mayChange = whenUnknown && out.changed
  return out
}

/** runOnce with failed_when / changed_when and retries/until applied. */
async function runWithChecks(rt: PlayRuntime, hs: HostState, task: Task, scope: VarScope, whenUnknown: boolean): Promise<Outcome> {
  const retries = task.until ? Number(task.retries ?? 3) : 0
  const delay = Number(task.delay ?? 5)
  for (let attempt = 0; ; attempt++) {
    let out: Outcome
    try {
      out = await runOnce(rt, hs, task, scope, whenUnknown)
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof InterruptedError) throw e
      const unknown = [...scope.touchedUnknown]
      if (e instanceof CheckModeUnknown) return { ...empty(), mayChange: true, changed: true, changes: [{ summary: e.message, uncertain: true }], data: markUnknown({}) }
      if (rt.options.check && unknown.length && (e instanceof UndefinedVariableError || e instanceof ExpressionError)) {
        // The arguments need a result that only a real run produces: say so, don't fail.
        const why = `depends on ${unknown.join(', ')}, which check mode cannot know`
        const action = getModule(task.module)?.kind === 'action'
        out = { ...empty(), mayChange: !action, changed: !action, msg: action ? `(${why})` : undefined, changes: action ? [] : [{ summary: why, uncertain: true }], data: markUnknown({}) }
        return out
      }
      out = { ...empty(), failed: true, msg: e instanceof ModuleFailure ? e.message : taskError(task, e), data: e instanceof ModuleFailure ? e.data : {} }
      if (isPlaybookError(e)) return { ...out, playbookError: true }
    }
    const registered = { ...out.data, changed: out.changed, failed: out.failed, ...(out.msg !== undefined ? { msg: out.msg } : {}) }
    if (isUnknown(out.data)) markUnknown(registered)
    const s = task.register ? scope.with({ name: 'this result', values: { [task.register]: registered }, data: true }) : scope
    const before = new Set(s.touchedUnknown)
    try {
      if (task.changedWhen) out.changed = condsHold(task.changedWhen, s)
      if (task.failedWhen) {
        // failed_when decides alone; a step's failure message no longer applies when it says ok
        out.failed = condsHold(task.failedWhen, s)
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
    if (!task.until || out.failed && attempt >= retries) return out
    let done = false
    try {
      done = condsHold(task.until, s)
    } catch {
      done = false
    }
    if (done || attempt >= retries || isUnknown(out.data)) {
      if (!done && !isUnknown(out.data)) {
        out.failed = true
        out.msg = `${out.msg ? `${out.msg}; ` : ''}retries exhausted (${retries}) waiting for: ${task.until.map((c) => String(c.expr)).join(' and ')}`
      }
      out.data = { ...out.data, attempts: attempt + 1 }
      return out
    }
    await sleep(delay * 1000, undefined, { signal: rt.options.signal })
  }
}

export interface TaskRun {
  outcome: Outcome
  registered?: Record<string, unknown>
}

/** Runs a task (all loop items) on a host and emits its results. */
export async function runTask(rt: PlayRuntime, hs: HostState, task: Task, handler: boolean): Promise<TaskRun> {
  const t0 = Date.now()
  const scope = scopeFor(rt.scope, hs.name, { role: task.role, vars: task.vars })
  // An unreadable no_log hides the output (the safe side) and fails the task below.
  let noLogError: unknown
  let hidden = false
  try {
    hidden = task.noLog !== undefined && boolAt('no_log', task.noLog, scope, task.pos)
  } catch (e) {
    hidden = true
    noLogError = e
  }
  const emit = (o: Outcome, item?: string) => {
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
        o.ignored = boolAt('ignore_errors', task.ignoreErrors, scope, task.pos)
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

  try {
    if (noLogError) throw noLogError
    if (task.loop === undefined) {
      const w = whenHolds(scope)
      if (!w.holds && !w.unknown) {
        const o = finish({ ...empty(), skipped: true, data: { skipped: true, skip_reason: 'Conditional result was False' } })
        emit(o)
        return { outcome: o, registered: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }
      }
      const o = finish(await runWithChecks(rt, hs, task, scope, w.unknown))
      emit(o)
      const registered = { ...o.data, changed: o.changed, failed: o.failed, ...(o.msg !== undefined ? { msg: o.msg } : {}) }
      if (isUnknown(o.data)) markUnknown(registered)
      return { outcome: o, registered }
    }
    const items = renderValue(task.loop, scope)
    if (!Array.isArray(items)) throw new RmError(`loop needs a list, got ${items === null ? 'null' : typeof items}`, task.pos)
    const results: Record<string, unknown>[] = []
    const total = empty()
    total.skipped = true
    let anyUnknown = false
    const lc = task.loopControl
    for (const [i, item] of items.entries()) {
      const loopVars: Record<string, unknown> = { [lc?.loopVar ?? 'item']: item, ansible_loop_var: lc?.loopVar ?? 'item' }
      if (lc?.indexVar) loopVars[lc.indexVar] = i
      loopVars.ansible_loop = { index: i + 1, index0: i, first: i === 0, last: i === items.length - 1, length: items.length, revindex: items.length - i, revindex0: items.length - i - 1, allitems: items, previtem: items[i - 1], nextitem: items[i + 1] }
      const s = scope.with({ name: 'loop', values: loopVars, data: true })
      const lab = label(task, item, s)
      const w = whenHolds(s)
      let o: Outcome
      if (!w.holds && !w.unknown) o = finish({ ...empty(), skipped: true, data: { skipped: true } })
      else o = finish(await runWithChecks(rt, hs, task, s, w.unknown))
      emit(o, lab)
      const r = { ...o.data, changed: o.changed, failed: o.failed, skipped: o.skipped, item, ansible_loop_var: lc?.loopVar ?? 'item', ...(o.msg !== undefined ? { msg: o.msg } : {}) }
      if (isUnknown(o.data)) anyUnknown = true
      results.push(r)
      total.changed ||= o.changed
      total.failed ||= o.failed && !o.ignored
      total.playbookError ||= o.playbookError
      total.skipped &&= o.skipped
      total.mayChange ||= o.mayChange
      total.changes.push(...o.changes)
      total.diffs.push(...o.diffs)
      if (o.failed) total.msg = 'One or more items failed'
      if (o.meta) total.meta = o.meta
      if (o.facts) total.facts = { ...(total.facts ?? {}), ...o.facts }
      if (lc?.pause) await sleep(lc.pause! * 1000, undefined, { signal: rt.options.signal })
    }
    if (items.length === 0) {
      const o = finish({ ...empty(), skipped: true, msg: 'No items in the list' })
      emit(o)
      return { outcome: o, registered: { changed: false, skipped: true, results: [], msg: 'No items in the list' } }
    }
    total.skipped = total.skipped && !total.failed
    const o = finish(total)
    const registered = { changed: o.changed, failed: o.failed, skipped: o.skipped, results, msg: o.msg ?? 'All items completed' }
    if (anyUnknown) markUnknown(registered)
    return { outcome: o, registered }
  } catch (e) {
    if (e instanceof UnreachableError) {
      const o = finish({ ...empty(), unreachable: true, msg: e.message })
      emit(o)
      return { outcome: o, registered: { unreachable: true, changed: false, failed: true, msg: e.message } }
    }
    // Ctrl-C: the command was stopped on the host (or a retry's wait was cut short).
    const msg = e instanceof InterruptedError || rt.options.signal?.aborted ? 'interrupted: the task was stopped before it finished' : taskError(task, e)
    const o = finish({ ...empty(), failed: true, msg, playbookError: isPlaybookError(e) })
    emit(o)
    return { outcome: o, registered: { changed: false, failed: true, msg: o.msg } }
  }
}
