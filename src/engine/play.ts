// Runs one play: hosts from its pattern and --limit, in serial batches; facts; vars_files; then
// pre_tasks, roles and tasks, post_tasks, each followed by a handler flush.
import { shuffle } from '../jinja/filter-random.js'
import PQueue from 'p-queue'
import { isTemplated, renderValue } from '../playbook/expression.js'
import type { Play, Task } from '../playbook/model.js'
import { matchHosts, unmatchedTerms } from '../playbook/patterns.js'
import { loadVarsFile } from '../playbook/vars-files.js'
import { factsProbe } from '../probes/facts.js'
import { UnreachableError } from '../connection/connection.js'
import type { ConnectionPool } from './connect.js'
import { HostState } from './host-state.js'
import { Lockstep, openGate } from './lockstep.js'
import type { RunOptions } from './options.js'
import { connectionFor, connectionKeywords, type PlayRuntime } from './runtime.js'
import { lazyVars, scopeFor, type ScopeInputs } from './scope.js'
import { flushHandlers, maxIndex, notifiedHandlers, walk, type PlayStop, type WalkContext } from './walk.js'
import { newReadAhead, readProbes, type Upcoming } from './read-ahead.js'
import { tagSelected } from './tags.js'
import { upcomingProbes } from './task-module.js'
import { VarScope } from '../playbook/vars.js'
import { notFound } from '../playbook/expression.js'

/** Ansible's serial: numbers and percentages, the last one repeating. */
export function batches(hosts: string[], serial: (number | string)[]): string[][] {
  if (!serial.length) return [hosts]
  const out: string[][] = []
  let i = 0
  let k = 0
  while (i < hosts.length) {
    const s = serial[Math.min(k, serial.length - 1)]!
    const n = typeof s === 'string' && s.endsWith('%') ? Math.max(1, Math.floor((hosts.length * parseFloat(s)) / 100)) : Math.max(1, Number(s) || hosts.length)
    out.push(hosts.slice(i, i + n))
    i += n
    k++
  }
  return out
}

export function playHosts(play: Play, opts: RunOptions): string[] {
  const pattern = isTemplated(play.hosts)
    ? String(renderValue(play.hosts, new VarScope([{ name: 'extra vars', values: opts.extraVars }], { lookup: () => notFound })))
    : play.hosts
  let hosts = matchHosts(opts.inventory, pattern)
  for (const t of unmatchedTerms(opts.inventory, pattern)) opts.emit({ type: 'warning', msg: `hosts pattern '${t}' matches no host or group`, pos: play.pos })
  if (opts.limit) {
    const limited = new Set(matchHosts(opts.inventory, opts.limit))
    hosts = hosts.filter((h) => limited.has(h))
  }
  return orderHosts(hosts, play.order)
}

/** The play keyword `order`, as Ansible applies it to the matched hosts (shuffle: the `shuffle` filter's). */
export function orderHosts(hosts: string[], order: Play['order']): string[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  if (order === 'sorted') return [...hosts].sort(byName)
  if (order === 'reverse_sorted') return [...hosts].sort(byName).reverse()
  if (order === 'reverse_inventory') return [...hosts].reverse()
  if (order === 'shuffle') return shuffle(hosts) as string[]
  return hosts
}

function startIndexFor(play: Play, name: string | undefined): number {
  if (!name) return 0
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
  let found = Infinity
  const visit = (ns: Play['tasks']) => {
    for (const n of ns) {
      if (n.kind === 'task' && (re.test(n.title) || (n.role && re.test(`${n.role.name} : ${n.title}`)))) found = Math.min(found, n.index)
      if (n.kind === 'block') visit([...n.block, ...n.rescue, ...n.always])
      if (n.kind === 'include') visit(n.nodes ?? [])
    }
  }
  visit([...play.preTasks, ...play.tasks, ...play.postTasks])
  return found
}

export interface PlayDeps {
  opts: RunOptions
  playbookDir: string
  hosts: Map<string, HostState>
  pool: ConnectionPool
  secrets: Set<string>
  startFound: { done: boolean }
}

/**
 * The facts' round trip also reads the state of the tasks the play starts with (read-ahead.ts):
 * their arguments are rendered without facts (a task that needs facts, or whose arguments the
 * facts change, reads again at its turn: its probe differs, so nothing stale is used).
 */
function firstStretch(rt: PlayRuntime, startIndex: number): Upcoming {
  const o = rt.options
  return {
    nodes: rt.play.preTasks.length ? rt.play.preTasks : rt.play.tasks,
    from: 0,
    extra: [],
    selected: (t) => t.index >= startIndex && tagSelected(t.tags, o.tags, o.skipTags),
  }
}

async function gatherFacts(rt: PlayRuntime, batch: HostState[], firstTasks: Upcoming): Promise<void> {
  const t0 = Date.now()
  rt.options.emit({ type: 'task-start', task: 'Gathering Facts', taskIndex: 0, handler: false, hosts: batch.map((h) => h.name) })
  await Promise.all(
    batch.map((hs) =>
      rt.queue.add(async () => {
        if (rt.options.signal?.aborted) return
        const h0 = Date.now()
        const scope = scopeFor(rt.scope, hs.name, { vars: [] })
        try {
          // The connection reads a few variables: render those, not all of them. The play's
          // remote_user / connection apply here too, so facts and tasks share one connection.
          const keywords = connectionKeywords(rt.play.remoteUser, rt.play.connection, scope, rt.play.pos)
          const conn = connectionFor(rt, hs.name, lazyVars(scope, 'omit'), keywords)
          hs.upcoming = firstTasks
          const st = await readProbes(rt.readAhead, hs, conn, [factsProbe], {}, upcomingProbes(rt, hs, conn)).finally(() => (hs.upcoming = undefined))
          hs.facts = st.facts as Record<string, unknown>
          hs.stats.ok++
          rt.options.emit({
            type: 'host-result',
            task: 'Gathering Facts',
            taskIndex: 0,
            handler: false,
            host: hs.name,
            status: 'ok',
            check: rt.options.check,
            changes: [],
            diffs: [],
            durationMs: Date.now() - h0,
          })
        } catch (e) {
          const unreachable = e instanceof UnreachableError
          if (unreachable) {
            hs.unreachable = true
            hs.stats.unreachable++
          } else {
            hs.failed = true
            hs.stats.failed++
          }
          rt.options.emit({
            type: 'host-result',
            task: 'Gathering Facts',
            taskIndex: 0,
            handler: false,
            host: hs.name,
            status: unreachable ? 'unreachable' : 'failed',
            check: rt.options.check,
            msg: (e as Error).message,
            changes: [],
            diffs: [],
            durationMs: Date.now() - h0,
          })
        }
      }),
    ),
  )
  rt.options.emit({ type: 'task-end', task: 'Gathering Facts', taskIndex: 0, durationMs: Date.now() - t0 })
}

/** vars_files read in this play, by path: the outcome of reading each one (values or the error). */
type VarsFileCache = Map<string, { values: Record<string, unknown> } | { error: unknown }>

function loadVarsFiles(rt: PlayRuntime, hs: HostState, cache: VarsFileCache): void {
  const out: Record<string, unknown> = {}
  for (const vf of rt.play.varsFiles) {
    const templated = isTemplated(vf.file)
    const file = templated ? String(renderValue(vf.file, scopeFor(rt.scope, hs.name, { vars: [] }))) : vf.file
    const path = file.startsWith('/') ? file : `${rt.playbookDir}/${file}`
    if (templated) {
      Object.assign(out, loadVarsFile(path))
      continue
    }
    // A fixed path names the same file for every host: read (and decrypt) it once per play.
    let hit = cache.get(path)
    if (!hit) {
      try {
        hit = { values: loadVarsFile(path) }
      } catch (error) {
        hit = { error }
      }
      cache.set(path, hit)
    }
    if ('error' in hit) throw hit.error
    Object.assign(out, hit.values)
  }
  hs.varsFiles = out
}

/** What a play tells the run: stop here (any_errors_fatal, max_fail_percentage, a whole batch failed, Ctrl-C). */
export interface PlayEnd {
  stopRun?: string
}

/** The handlers a host was notified to run, named in the order the play defines them. */
export function pendingHandlers(play: Play, notified: ReadonlySet<string>): string[] {
  const { index, unknown } = notifiedHandlers(play.handlers, notified)
  return [
    ...index.map((k) => {
      const h = play.handlers[k]!
      return h.role && h.name ? `${h.role.name} : ${h.name}` : (h.name ?? h.title)
    }),
    ...unknown,
  ]
}

export async function runPlay(play: Play, deps: PlayDeps): Promise<PlayEnd> {
  const { opts } = deps
  const t0 = Date.now()
  // Hosts that failed or were unreachable in an earlier play stay out, as in Ansible.
  const matched = playHosts(play, opts)
  const all = matched.filter((h) => {
    const s = deps.hosts.get(h)
    return !s || (!s.failed && !s.unreachable)
  })
  // A templated play name is shown rendered with the play's vars and -e, as Ansible does.
  let name = play.name
  if (isTemplated(name)) {
    try {
      name = String(
        renderValue(
          name,
          new VarScope([
            { name: 'play vars', values: play.vars },
            { name: 'extra vars', values: opts.extraVars },
          ]),
        ),
      )
    } catch {
      name = play.name
    }
  }
  opts.emit({ type: 'play-start', name, hosts: all, pos: play.pos, check: opts.check })
  for (const h of all) if (!deps.hosts.has(h)) deps.hosts.set(h, new HostState(h))
  // meta: end_host ends a host's play, not its run: the next play has it again, as in Ansible.
  for (const h of all) deps.hosts.get(h)!.ended = false
  const list = batches(
    all,
    play.serial.map((s) =>
      typeof s === 'string' && isTemplated(s) ? String(renderValue(s, new VarScope([{ name: 'extra vars', values: opts.extraVars }]))) : s,
    ),
  )
  // reason: why the play stops for every host; run: and the plays after it do not start.
  const stop: PlayStop = {}
  const onAbort = () => {
    stop.reason ??= 'interrupted'
    stop.run = true
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  if (opts.signal?.aborted) onAbort()
  const forceHandlers = play.forceHandlers || !!opts.forceHandlers
  const varsFileCache: VarsFileCache = new Map()
  const groups = opts.inventory.groupsMap()
  try {
    for (const [bi, batch] of list.entries()) {
      if (stop.reason) break
      if (list.length > 1) opts.emit({ type: 'batch-start', hosts: batch, batch: bi + 1, batches: list.length })
      const scope: ScopeInputs = {
        inventory: opts.inventory,
        playbookDir: deps.playbookDir,
        play,
        extraVars: opts.extraVars,
        hosts: deps.hosts,
        playHosts: all,
        batchHosts: batch,
        check: opts.check,
        diff: opts.diff,
        groups,
        run: { tags: opts.tags, skipTags: opts.skipTags, limit: opts.limit, forks: opts.forks, verbosity: opts.verbosity },
      }
      const rt: PlayRuntime = {
        options: opts,
        play,
        playbookDir: deps.playbookDir,
        scope,
        hosts: deps.hosts,
        pool: deps.pool,
        queue: new PQueue({ concurrency: opts.forks }),
        secrets: deps.secrets,
        runOnce: new Map(),
        readAhead: newReadAhead(),
      }
      const states = batch.map((h) => deps.hosts.get(h)!)
      for (const hs of states) hs.notified.clear()
      /**
       * max_fail_percentage: more than that share of the batch failed (an unreachable host counts
       * as failed: Ansible leaves it out, ansible#56265, and a rolling update then goes on with
       * hosts it cannot see); must be exceeded, as in Ansible (2 of 4 is not more than 50%).
       */
      const checkFailures = () => {
        const failed = states.filter((s) => s.failed || s.unreachable).length
        if (play.maxFailPercentage !== undefined && (failed / batch.length) * 100 > play.maxFailPercentage) {
          stop.reason ??= `max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed} of ${batch.length} hosts failed)`
          stop.run = true
        }
      }
      const startIndex = deps.startFound.done ? 0 : startIndexFor(play, opts.startAtTask)
      if (play.gatherFacts)
        await gatherFacts(
          rt,
          states.filter((s) => s.active),
          firstStretch(rt, startIndex),
        )
      for (const hs of states) {
        if (!hs.active) continue
        try {
          loadVarsFiles(rt, hs, varsFileCache)
        } catch (e) {
          hs.failed = true
          hs.stats.failed++
          opts.emit({
            type: 'host-result',
            task: 'vars_files',
            taskIndex: 0,
            handler: false,
            host: hs.name,
            status: 'failed',
            check: opts.check,
            msg: (e as Error).message,
            changes: [],
            diffs: [],
            durationMs: 0,
          })
        }
      }
      checkFailures()
      const live = states.filter((s) => s.active)
      const gate = play.strategy === 'linear' ? new Lockstep(live.map((s) => s.name)) : openGate
      const announced = new Set<string>()
      const ctx: WalkContext = {
        rt,
        gate,
        startIndex,
        batchHosts: batch,
        stop,
        clearHostErrors() {
          // strategy/__init__.py: every host of the play leaves _failed_hosts; a host whose walk
          // ended stays out of this play (its iterator is done) but runs the next ones
          for (const h of matched) {
            const s = deps.hosts.get(h)
            if (s?.failed && !s.unreachable) {
              s.failed = false
              s.errorsCleared = true
            }
          }
        },
        onFailure(host) {
          if (play.anyErrorsFatal) {
            stop.reason ??= `any_errors_fatal: ${host} failed`
            stop.run = true
          }
          checkFailures()
        },
        announce(task: Task, handler: boolean) {
          const key = `${handler ? 'h' : 't'}${task.index}`
          if (announced.has(key)) return
          announced.add(key)
          // A templated name is shown rendered with the first host's variables, as Ansible does.
          let title = task.title
          if (isTemplated(title) && live[0]) {
            try {
              title = String(renderValue(title, scopeFor(rt.scope, live[0].name, { role: task.role, vars: task.vars })))
            } catch {
              title = task.title
            }
          }
          opts.emit({
            type: 'task-start',
            task: task.role ? `${task.role.name} : ${title}` : title,
            taskIndex: task.index,
            handler,
            pos: task.pos,
            hosts: batch,
          })
        },
      }
      if (opts.startAtTask && ctx.startIndex !== Infinity) deps.startFound.done = true
      const sections = [play.preTasks, play.tasks, play.postTasks]
      await Promise.all(
        live.map(async (hs) => {
          let base = 0
          for (const section of sections) {
            base = Math.max(base, maxIndex(section)) + 0.5
            const r = await walk(ctx, hs, section)
            if (r === 'failed') {
              hs.failed = true
              ctx.onFailure(hs.name)
              // force_handlers / --force-handlers: the handlers it was notified of still run on a
              // failed host (at this section's flush, with the others), never on an unreachable one.
              if (forceHandlers && !hs.unreachable) await flushHandlers(ctx, hs, base, true)
              break
            }
            if (r === 'stopped') break
            const f = await flushHandlers(ctx, hs, base)
            if (f === 'failed') {
              hs.failed = true
              ctx.onFailure(hs.name)
              break
            }
          }
          gate.leave(hs.name)
          const pending = pendingHandlers(play, hs.notified)
          if (pending.length)
            opts.emit({
              type: 'handlers-pending',
              host: hs.name,
              handlers: pending,
              why: stop.reason === 'interrupted' ? 'interrupted' : hs.unreachable ? 'unreachable' : hs.failed ? 'failed' : (stop.reason ?? 'ended'),
            })
        }),
      )
      // A batch whose hosts all failed ends the run: the next batches and plays never start
      // (Ansible's rule, and what makes a rolling update safe).
      if (!stop.reason && states.length && states.every((s) => s.failed || s.unreachable)) {
        stop.reason = list.length > 1 ? `every host of batch ${bi + 1}/${list.length} failed` : 'every host failed'
        stop.run = true
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
  }
  opts.emit({
    type: 'play-end',
    name: play.name,
    durationMs: Date.now() - t0,
    stopped: stop.reason && stop.run && stop.reason !== 'interrupted' ? `${stop.reason}; no later batch or play runs` : stop.reason,
  })
  return stop.run ? { stopRun: stop.reason } : {}
}
