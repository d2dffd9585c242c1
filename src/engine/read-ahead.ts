// Read-ahead: when a task must read a host's state, the probes of the tasks that follow it in the
// same list go out in the same round trip, and their raw output is kept until anything may have
// changed a host. A later task whose probes were read that way plans without a round trip of its
// own. What keeps this exact:
//   - a result is found by its probe's script text, on the same connection, with the same become,
//     environment and tracing: a task whose arguments turn out different at its turn (a variable
//     set in between) simply misses and reads again;
//   - any step run on any host, any action that is not pure (pause, uri, ...), wait_for and every
//     retry start a new generation: what was read before is not used after it (read again);
//   - only tasks whose arguments render without a lookup, a registered result still to come, an
//     unknown check-mode value or a secret argument are read ahead, and never a loop, a delegated
//     task or a module that renders templates, waits, or asks a service (uri);
//   - an upcoming task whose `when` is already false (as far as it can be told now, without a
//     lookup or an unknown value) is not read for, and one that will run a command (command or
//     shell, its `when` true) ends the look ahead: what is read past it would be stale at its turn.
//     Both only save work; a task whose `when` turns out otherwise at its turn reads then.
// A window per connection starts at the whole stretch (up to MAX_WINDOW tasks), grows back while
// read-ahead pays and shrinks when its reads are thrown away (a converging run changes hosts at
// every task: reading ahead there would only cost).
import { randomBytes } from 'node:crypto'
import type { Connection, ExecOptions } from '../connection/connection.js'
import type { Probe, ProbeOutput, ProbeState } from '../contract/types.js'
import { getModule } from '../modules/index.js'
import { secretOptions } from '../modules/schema.js'
import type { HostModule } from '../modules/types.js'
import type { Node, Task } from '../playbook/model.js'
import { tail } from '../text/tail.js'
import type { HostState } from './host-state.js'
import { batchScript, splitBatchOutput, uniqueProbes } from './probe-batch.js'
import type { PlayRuntime } from './runtime.js'

/** The tasks after the running one, in its list, and the loop vars of the include around them. */
export interface Upcoming {
  nodes: readonly Node[]
  from: number
  extra: Record<string, unknown>[]
  /** Tags and --start-at-task: a task that will not run is not read for. */
  selected(task: Task): boolean
}

/**
 * What an upcoming task would send: its probes; `ends` when its turn will run a command (a step:
 * whatever is read before it is stale after it, so reading past it is wasted); undefined when
 * it cannot be known now, or when its `when` already says it will be skipped (nothing to read).
 */
export type ProbesOf = (task: Task, extra: Record<string, unknown>[]) => Promise<{ probes: Probe[]; execKey: string } | 'ends' | undefined>

interface ConnCache {
  /** Raw probe output by connection options and script text, all of generation `gen`. */
  entries: Map<string, ProbeOutput>
  gen: number
  /** How many upcoming tasks the next read takes along. */
  window: number
  /** Keys read ahead and not used yet: thrown away if a new generation starts first. */
  unused: Set<string>
  /** The generation of the last round trip: a next one in the same generation means reading ahead would have paid. */
  lastRead: number
}

/** The read-ahead state of one play run. */
export interface ReadAhead {
  /** Bumped whenever a host may have changed: cached reads of an older generation are stale. */
  gen: number
  caches: WeakMap<Connection, ConnCache>
}

export const MAX_WINDOW = 32
/** A connection's first read takes the whole stretch: a run that changes nothing (the everyday case)
 * then reads it in one round trip; a converging run pays for it once (its first change throws the
 * reads away and quarters the window). */
const START_WINDOW = MAX_WINDOW

/** Modules whose `prepare` only reads controller files (template renders: lookups may act). */
const PREPARE_OK = new Set(['copy'])
/** Modules whose probe's answer depends on when it runs (wait_for waits in it): never read ahead,
 * and their turn ends what was read before. */
const TIMED = new Set(['wait_for'])
/** Never read ahead either: uri's probe is a request to a service (one a skipped task must not make). */
const NOT_AHEAD = new Set([...TIMED, 'uri'])
/** Modules that run their command at every turn unless `creates`/`removes` decide otherwise. */
const RUNS_ALWAYS = new Set(['command', 'shell'])
/** Action modules that touch no host and take no time: they do not end what was read. */
const PURE_ACTIONS = new Set(['debug', 'set_fact', 'assert', 'fail', 'meta', 'include_vars', 'set_stats', 'ping'])

export function newReadAhead(): ReadAhead {
  return { gen: 0, caches: new WeakMap() }
}

/** Something may have changed a host: every read so far is stale. */
export function invalidate(ra: ReadAhead): void {
  ra.gen++
}

/** Whether a host module's probe reads the host at its own turn only (and ends what was read before). */
export function probesAreTimed(module: string): boolean {
  return TIMED.has(module)
}

/** Whether running this action module ends what was read (anything but the pure ones). */
export function actionInvalidates(module: string): boolean {
  return !PURE_ACTIONS.has(module)
}

/** The part of the execution options a probe's output depends on. */
export function execKeyOf(opts: ExecOptions): string {
  return JSON.stringify([opts.become?.user ?? null, opts.become?.method ?? null, opts.env ?? {}, opts.cwd ?? null, !!opts.untraced])
}

/** Whether a task with these (rendered) arguments runs a step at its turn outside check mode. */
export function runsAlways(module: string, args: Record<string, unknown>): boolean {
  return RUNS_ALWAYS.has(module) && args.creates === undefined && args.removes === undefined
}

/** A lookup runs when the task does (password creates a file, pipe runs a command): not early. */
export function hasLookup(value: unknown): boolean {
  return /\b(lookup|query|q)\s*\(/.test(JSON.stringify(value))
}

/** A raw task that may be read ahead at all (before rendering anything). */
export function mayReadAhead(task: Task): boolean {
  const mod = getModule(task.module)
  if (!mod || mod.kind !== 'host' || NOT_AHEAD.has(task.module)) return false
  if ((mod as HostModule<unknown, unknown>).prepare && !PREPARE_OK.has(task.module)) return false
  if (task.loop !== undefined || task.delegateTo !== undefined || task.runOnce || task.until) return false
  const secret = secretOptions(mod.args)
  if (secret.some((k) => task.args[k] !== undefined)) return false
  return !hasLookup([task.args, task.environment, task.become, task.becomeUser])
}

/** The connection's cache, emptied if a new generation began since it was filled. */
function cacheOf(ra: ReadAhead, conn: Connection): ConnCache {
  let c = ra.caches.get(conn)
  if (!c) ra.caches.set(conn, (c = { entries: new Map(), gen: ra.gen, window: START_WINDOW, unused: new Set(), lastRead: -1 }))
  if (c.gen !== ra.gen) {
    // what was read ahead and never used: read-ahead did not pay here, look less far
    if (c.unused.size) c.window = Math.floor(c.window / 4)
    c.entries.clear()
    c.unused.clear()
    c.gen = ra.gen
  }
  return c
}

const keyOf = (execKey: string, p: Probe) => `${execKey}\0${p.script.text}`

/** The probes of the tasks that follow, up to `window` of them, for the same connection and options. */
async function aheadProbes(upcoming: Upcoming | undefined, window: number, execKey: string, probesOf: ProbesOf): Promise<Probe[]> {
  if (!upcoming || window <= 0) return []
  const out: Probe[] = []
  let taken = 0
  for (const node of upcoming.nodes.slice(upcoming.from)) {
    // a block or an include: what comes next is not a plain list any more
    if (node.kind !== 'task' || taken >= window) break
    taken++
    if (!upcoming.selected(node) || !mayReadAhead(node)) continue
    const got = await probesOf(node, upcoming.extra).catch(() => undefined)
    if (got === 'ends') break
    if (got && got.execKey === execKey) out.push(...got.probes)
  }
  return out
}

/**
 * The parsed state of a task's probes: from what an earlier round trip read ahead, if all of it is
 * still current; otherwise one round trip for them and the upcoming tasks' probes.
 */
export async function readProbes(ra: ReadAhead, hs: HostState, conn: Connection, probes: Probe[], opts: ExecOptions, probesOf: ProbesOf): Promise<ProbeState> {
  const list = uniqueProbes(probes)
  if (list.length === 0) return {}
  const cache = cacheOf(ra, conn)
  const execKey = execKeyOf(opts)
  const outputs = new Map<Probe, ProbeOutput>()
  for (const p of list) {
    const k = keyOf(execKey, p)
    const hit = cache.entries.get(k)
    if (hit) outputs.set(p, hit)
    cache.unused.delete(k)
  }
  if (outputs.size === list.length) {
    // served by an earlier read: read-ahead pays, look further next time
    cache.window = Math.min(MAX_WINDOW, Math.max(2, cache.window * 2))
  } else {
    // nothing changed since the last round trip: reading ahead would have saved this one
    if (cache.lastRead === ra.gen) cache.window = Math.max(cache.window, 2)
    cache.lastRead = ra.gen
    const own = list.filter((p) => !outputs.has(p))
    const ownKeys = new Set(own.map((p) => keyOf(execKey, p)))
    const ahead = uniqueProbes(await aheadProbes(hs.upcoming, cache.window, execKey, probesOf)).filter((p) => {
      const k = keyOf(execKey, p)
      return !cache.entries.has(k) && !ownKeys.has(k)
    })
    const batch = [...own, ...ahead]
    const token = randomBytes(6).toString('hex')
    const sentGen = ra.gen
    const r = await conn.exec(batchScript(batch, token), opts)
    const parts = splitBatchOutput(r.stdout, batch.length, token)
    // Kept only if no step ran anywhere while they were read.
    const fresh = sentGen === ra.gen
    batch.forEach((p, i) => {
      const part = parts[i]!
      const k = keyOf(execKey, p)
      if (i < own.length) {
        if (part.code === -1) throw new Error(`probe ${p.id} produced no output (shell exit ${r.code}): ${tail(r.stderr, 3).replaceAll('\n', ' | ')}`)
        outputs.set(p, part)
        if (fresh) cache.entries.set(k, part)
      } else if (part.code !== -1 && fresh) {
        cache.entries.set(k, part)
        cache.unused.add(k)
      }
    })
  }
  const state: Record<string, unknown> = {}
  for (const p of list) {
    try {
      state[p.id] = p.parse(outputs.get(p)!)
    } catch (e) {
      throw new Error(`cannot read state (${p.id}): ${(e as Error).message}`)
    }
  }
  return state
}
