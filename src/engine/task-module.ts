// One execution of a task's module on a host, no loop and no retries: arguments, then an action
// module's act(), or a host module's probes → plan → apply (or, in check mode, the report) → result.
import { readFileSync } from 'node:fs'
import type { ProbeState } from '../contract/types.js'
import { getModule } from '../modules/index.js'
import { factsProbe } from '../probes/facts.js'
import { checkArgs } from '../modules/schema.js'
import type { Connection } from '../connection/connection.js'
import { ModuleFailure, type ActionModule, type Change, type HostModule, type PlanContext, type PrepareContext, type StepOutput } from '../modules/types.js'
import { RmError } from '../playbook/errors.js'
import { MIN_SECRET_LENGTH } from '../report/mask.js'
import { evaluate, evaluateCondition, renderValue, UndefinedVariableError } from '../playbook/expression.js'
import type { Task } from '../playbook/model.js'
import { findLocalFile, fileCandidates } from '../playbook/references.js'
import { tainting } from '../playbook/taint.js'
import { renderTemplateFile } from '../playbook/template.js'
import { isUnknown, markUnknown, type VarScope } from '../playbook/vars.js'
import { applyChanges, StepFailure } from './apply.js'
import { ArgCache, noteSecretArgs } from './arg-cache.js'
import type { HostState } from './host-state.js'
import { settleNeeds } from './needs.js'
import { nameResults, probeList, runProbes } from './probe-batch.js'
import { actionInvalidates, execKeyOf, hasLookup, invalidate, probesAreTimed, readProbes, runsAlways, type ProbesOf } from './read-ahead.js'
import { resolveTask, type ResolvedTask } from './resolved-task.js'
import { connectionFor, type PlayRuntime } from './runtime.js'
import { lazyVars, scopeFor } from './scope.js'
import { CheckModeUnknown, emptyOutcome, type Outcome } from './task-outcome.js'

function prepareContext(rt: PlayRuntime, task: Task, scope: VarScope): PrepareContext {
  return {
    findFile(kind, name) {
      const f = findLocalFile(kind, name, task.role, rt.playbookDir)
      if (!f)
        throw new ModuleFailure(
          `${kind === 'templates' ? 'template' : 'file'} not found: ${name} (looked in ${fileCandidates(kind, name, task.role, rt.playbookDir).join(', ')})`,
        )
      return f
    },
    // A template frame: once its code reads a secret, what its output tags print counts as secret.
    renderTemplate: (path, as) => tainting('', () => renderTemplateFile(path, scope, as), 'template'),
    origin: { file: task.pos.file, rolePath: task.role?.path },
    readFile: (path) => readFileSync(path),
    evaluate: (expr) => evaluate(expr, scope),
    readUnknown: () => scope.touchedUnknown.size > 0,
    isUndefined: (e) => e instanceof UndefinedVariableError,
    condition: (expr) => evaluateCondition(expr, scope),
    vars: lazyVars(scope),
  }
}

/** Default registered values of a host module: the last command's rc/stdout/stderr. */
function defaultResult(outputs: StepOutput[]): Record<string, unknown> {
  const last = [...outputs].reverse().find((o) => o.step.kind === 'exec')
  if (!last) return {}
  return {
    rc: last.code,
    stdout: last.stdout.replace(/\n$/, ''),
    stderr: last.stderr.replace(/\n$/, ''),
    stdout_lines: last.stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== ''),
    stderr_lines: last.stderr.split('\n').filter((l, i, a) => i < a.length - 1 || l !== ''),
  }
}

/** Renders and checks the task's arguments for this execution (the action's raw ones stay as written). */
function moduleArgs(rt: PlayRuntime, task: Task, scope: VarScope): Record<string, unknown> {
  const mod = getModule(task.module)!
  const rawNames = new Set(mod.kind === 'action' ? (mod.rawArgs ?? []) : [])
  const rendered: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(task.args)) rendered[k] = rawNames.has(k) ? v : renderValue(v, scope)
  for (const [k, v] of Object.entries(rendered)) if (v !== null && typeof v === 'object' && (v as { __omit__?: boolean }).__omit__) delete rendered[k]
  const { args, problems } = checkArgs(mod.args, rendered, false)
  noteSecretArgs(rt.secrets, task, args)
  if (problems.length) {
    const p = problems[0]!
    const pos = p.key ? task.argPos[p.key] : task.argsPos
    throw new RmError(`${task.module}: ${problems.map((x) => x.message).join('; ')}`, pos)
  }
  const invalid = mod.validate ? mod.validate(args as never) : []
  if (invalid.length) throw new RmError(`${task.module}: ${invalid.join('; ')}`, task.argsPos)
  return args
}

/** The renders read-ahead kept for the task's turn (arg-cache.ts), one store per play batch. */
const argCacheOf = (rt: PlayRuntime): ArgCache => (rt.argCache ??= new ArgCache())

/**
 * One execution. `resolved` gives the task's keywords for this item (rendered on the first call
 * only: retries reuse them); it is called after the arguments are checked, so a bad argument is
 * reported before a bad keyword.
 */
export async function runModule(
  rt: PlayRuntime,
  hs: HostState,
  task: Task,
  scope: VarScope,
  whenUnknown: boolean,
  resolved: () => ResolvedTask,
): Promise<Outcome> {
  const out = emptyOutcome()
  const mod = getModule(task.module)!
  const kept = argCacheOf(rt).find(rt.readAhead.gen, task, hs.name, scope, true)
  if (kept) noteSecretArgs(rt.secrets, task, kept.args)
  const args = kept ? kept.args : moduleArgs(rt, task, scope)
  const { check, diff, target } = kept ? kept.resolved : resolved()
  const planCtx: PlanContext = { host: hs.name, facts: hs.facts ?? {}, diff }

  if (mod.kind === 'action' || !target) {
    if (actionInvalidates(task.module)) invalidate(rt.readAhead)
    const r = await (mod as ActionModule<unknown>).act(args, { ...prepareContext(rt, task, scope), ...planCtx, verbosity: rt.options.verbosity })
    out.changed = !!r.changed
    out.failed = !!r.failed
    out.skipped = !!r.skipped
    out.msg = r.msg
    out.meta = r.meta
    out.facts = r.facts
    out.includedVars = r.includedVars
    out.data = { ...(r.data ?? {}), ...(r.msg !== undefined ? { msg: r.msg } : {}) }
    return out
  }

  const hm = mod as HostModule<unknown, unknown>
  if (check && hm.checkMode === false) {
    // As Ansible: such a module is not run in check mode, and what it would return is not known.
    return skippedOutcome(out, `remote module (${hm.name}) does not support check mode`)
  }
  const connVars = target.delegated ? scopeFor(rt.scope, target.host, { vars: [] }) : scope
  const conn = connectionFor(rt, target.host, lazyVars(connVars), target.keywords)
  const execOpts = target.exec
  const prepared = hm.prepare ? await hm.prepare(args, prepareContext(rt, task, scope)) : args
  if (probesAreTimed(task.module)) invalidate(rt.readAhead)
  if (hm.facts) planCtx.facts = await targetFacts(rt, hs, target.host, () => runProbes(conn, [factsProbe], execOpts))
  let state
  try {
    const named = hm.probes(prepared, { ...planCtx, check })
    state = nameResults(named, await readProbes(rt.readAhead, hs, conn, probeList(named), execOpts, upcomingProbes(rt, hs, conn)))
  } catch (e) {
    // In check mode the become user may be one that an earlier task would create.
    if (check && execOpts.become && /unknown user/i.test((e as Error).message))
      throw new CheckModeUnknown(`runs as ${execOpts.become.user}, a user that does not exist yet`)
    throw e
  }
  const skipped = hm.skip?.(prepared, state)
  if (skipped !== undefined) return skippedOutcome(out, skipped)
  const changes: Change[] = settleNeeds(hm.plan(prepared, state, planCtx), check)
  for (const v of changes.flatMap((c) => c.secrets ?? [])) if (v.length >= MIN_SECRET_LENGTH) rt.secrets.add(v)
  const shown = changes.filter((c) => !c.quiet)
  out.changes = shown.map((c) => (c.uncertain ? { summary: c.summary, uncertain: true } : { summary: c.summary }))
  out.diffs = diff ? shown.filter((c) => c.diff).map((c) => c.diff!) : []
  out.changed = shown.length > 0
  let outputs: StepOutput[] = []
  const readOnly = typeof hm.readOnly === 'function' ? hm.readOnly(prepared) : !!hm.readOnly
  // Check mode runs only what changes offer to run there (checkSteps: they leave the host as it was).
  const dry = check && !readOnly ? changes.filter((c) => c.checkSteps).map((c) => ({ ...c, steps: c.checkSteps! })) : []
  const run = check && !readOnly ? dry : changes
  if (check && !readOnly && !dry.length) {
    if (out.changed) out.data = markUnknown({})
  } else if (run.length) {
    // A step may change any host (directly or through it): reads taken before it are stale, and
    // so are reads sent while it runs.
    invalidate(rt.readAhead)
    try {
      outputs = await applyChanges(conn, run, execOpts)
    } catch (e) {
      // In check mode the become user may be one that an earlier task would create: cannot tell.
      if (dry.length && execOpts.become && /unknown user/i.test((e as Error).message)) outputs = []
      else if (!(e instanceof StepFailure)) throw e
      else {
        outputs.push(e.output)
        out.failed = true
        out.msg = e.message
      }
    } finally {
      invalidate(rt.readAhead)
    }
    if (hm.changedBy && !out.failed) decideChanged(out, outputs.length ? hm.changedBy(prepared, outputs) : undefined)
  }
  if (!isUnknown(out.data)) {
    const base = defaultResult(outputs)
    const extra = hm.result && !out.failed ? hm.result(prepared, state, outputs, { ...planCtx, check }) : {}
    out.data = { ...base, ...extra }
  }
  // --diff (or diff: true): the result carries the diff, as Ansible's modules return it
  if (out.diffs.length && !isUnknown(out.data))
    out.data.diff = out.diffs.map((d) => ({ before: d.before, after: d.after, ...(d.path ? { before_header: d.path, after_header: d.path } : {}) }))
  if (readOnly) out.changed = false
  // As Ansible: the ansible_facts a module returns (setup) become the host's facts.
  const returned = out.data.ansible_facts
  if (!out.failed && returned !== null && typeof returned === 'object' && !Array.isArray(returned))
    out.hostFacts = Object.fromEntries(Object.entries(returned).map(([k, v]) => [k.replace(/^ansible_/, ''), v]))
  out.mayChange = whenUnknown && out.changed
  return out
}

/**
 * A module that knows whether it changed anything only once its steps ran (changedBy): what they
 * said. Undefined (a check run that could not reach what the steps need): still "would run".
 */
function decideChanged(out: Outcome, changed: boolean | undefined): void {
  if (changed === undefined) {
    out.data = markUnknown({})
    return
  }
  out.changed = changed
  out.changes = changed ? out.changes.map((c) => ({ summary: c.summary })) : []
  if (!changed) out.diffs = []
}

/** A host module's task skipped with `msg`, as Ansible reports an action it skips. */
function skippedOutcome(out: Outcome, msg: string): Outcome {
  out.skipped = true
  out.msg = msg
  out.data = { changed: false, skipped: true, msg }
  return out
}

/**
 * How read-ahead learns an upcoming task's probes on this host: its arguments and keywords rendered
 * now, as its own turn would render them. Undefined when that cannot be known yet (an unknown
 * value in check mode, another connection, a delegated task).
 */
export function upcomingProbes(rt: PlayRuntime, hs: HostState, conn: Connection): ProbesOf {
  return async (task, extra) => {
    const scope = scopeFor(rt.scope, hs.name, { role: task.role, vars: [...task.vars, ...extra] })
    const mod = getModule(task.module) as HostModule<unknown, unknown>
    // a module that wants facts nobody gathered reads them at its turn
    if (mod.facts && !hs.facts) return undefined
    const when = whenAhead(task, scope)
    if (when === false) return undefined
    const cache = argCacheOf(rt)
    const gen = rt.readAhead.gen
    const kept = cache.find(gen, task, hs.name, scope, false)
    const reads = kept ? undefined : scope.recordReads()
    const args = kept ? kept.args : moduleArgs(rt, task, scope)
    const { check, diff, target } = kept ? kept.resolved : resolveTask(rt, hs, task, mod, scope)
    if (!target || target.delegated || scope.touchedUnknown.size) return undefined
    if (when && !check && runsAlways(task.module, args)) return 'ends'
    if (connectionFor(rt, target.host, lazyVars(scope), target.keywords) !== conn) return undefined
    if (reads) cache.keep(gen, task, hs.name, reads, { args, resolved: { check, diff, target } })
    const prepared = mod.prepare ? await mod.prepare(args, prepareContext(rt, task, scope)) : args
    if (scope.touchedUnknown.size) return undefined
    const probes = probeList(mod.probes(prepared, { host: hs.name, facts: hs.facts ?? {}, diff, check }))
    return { probes, execKey: execKeyOf(target.exec) }
  }
}

/**
 * An upcoming task's `when` as it reads now: undefined when that cannot be told yet (a lookup,
 * which must not run early, an unknown check-mode value, a result still to be registered).
 */
function whenAhead(task: Task, scope: VarScope): boolean | undefined {
  if (!task.when.length) return true
  if (hasLookup(task.when.map((c) => c.expr))) return undefined
  const before = scope.touchedUnknown.size
  try {
    const holds = task.when.every((c) => evaluateCondition(c.expr, scope))
    return scope.touchedUnknown.size > before ? undefined : holds
  } catch {
    return undefined
  }
}

/**
 * The facts of the host the module runs on (the delegate's when delegated), read now if nobody
 * gathered them: kept for this task only, as Ansible's package action keeps its setup call's.
 */
async function targetFacts(rt: PlayRuntime, hs: HostState, target: string, gather: () => Promise<ProbeState>): Promise<Record<string, unknown>> {
  const known = target === hs.name ? hs.facts : rt.hosts.get(target)?.facts
  return known ?? ((await gather()).facts as Record<string, unknown>)
}

/** The keywords of one item, rendered on first use and kept for its retries. */
export function resolveOnce(rt: PlayRuntime, hs: HostState, task: Task, scope: VarScope): () => ResolvedTask {
  let r: ResolvedTask | undefined
  return () => (r ??= resolveTask(rt, hs, task, getModule(task.module)!, scope))
}
