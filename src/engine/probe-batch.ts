// All the probes a task needs on a host go out as ONE script over the host's shell, each in its
// own subshell between markers; the output is split back by marker and parsed per probe.
import { randomBytes } from 'node:crypto'
import type { Connection, ExecOptions } from '../connection/connection.js'
import type { Probe, ProbeState, Probes, StateOf } from '../contract/types.js'
import { sharedStat } from '../probes/shared-stat.js'
import { tail } from '../text/tail.js'
import { joinScripts, sh, varName, type Script } from '../shell/index.js'

/** Each probe between markers (the token is hex; the markers are quoted anyway), after the one
 * stat of the paths they share: in a subshell, or, when it says it may run inline, in the batch's
 * shell (a fork less), its variables unset after it so that no later probe sees them. */
export function batchScript(probes: Probe[], token: string): Script {
  const shared = sharedStat(probes)
  return joinScripts([
    ...(shared.ahead ? [shared.ahead] : []),
    ...probes.flatMap((p, i) => {
      const run = p.inline ? sh`{ ${p.script}\n}` : sh`( ${p.script}\n)`
      return [
        sh`printf '%s\\n' ${`@@${token} ${i}`}\n${run} 2>/dev/null </dev/null\nprintf ${`\\n@@${token}.%d %d\\n`} ${i} $?`,
        ...(p.inline?.sets.length ? [sh`unset ${p.inline.sets.map(varName)}`] : []),
        ...(shared.after[i] ? [shared.after[i]] : []),
      ]
    }),
  ])
}

/** Splits a batch's stdout into each probe's { stdout, code }. */
export function splitBatchOutput(out: string, count: number, token: string): { stdout: string; code: number }[] {
  const res: { stdout: string; code: number }[] = []
  // The probes' parts come in order: each search starts where the previous part ended.
  let from = 0
  for (let i = 0; i < count; i++) {
    const head = `@@${token} ${i}\n`
    const start = out.indexOf(head, from)
    const tail = `\n@@${token}.${i} `
    const end = start < 0 ? -1 : out.indexOf(tail, start + head.length)
    const nl = end < 0 ? -1 : out.indexOf('\n', end + tail.length)
    const code = nl < 0 ? '' : out.slice(end + tail.length, nl)
    if (!/^\d+$/.test(code)) {
      res.push({ stdout: '', code: -1 })
      continue
    }
    res.push({ stdout: out.slice(start + head.length, end), code: Number(code) })
    from = nl + 1
  }
  return res
}

export function uniqueProbes(probes: Probe[]): Probe[] {
  const seen = new Map<string, Probe>()
  for (const p of probes) if (!seen.has(p.id)) seen.set(p.id, p)
  return [...seen.values()]
}

/** Runs probes in one round trip and parses each; a parser that throws fails the batch with its id. */
export async function runProbes(conn: Connection, probes: Probe[], opts: ExecOptions): Promise<ProbeState> {
  const list = uniqueProbes(probes)
  if (list.length === 0) return {}
  const token = randomBytes(6).toString('hex')
  const r = await conn.exec(batchScript(list, token), opts)
  const parts = splitBatchOutput(r.stdout, list.length, token)
  const state: Record<string, unknown> = {}
  list.forEach((p, i) => {
    const part = parts[i]!
    if (part.code === -1) throw new Error(`probe ${p.id} produced no output (shell exit ${r.code}): ${tail(r.stderr, 3).replaceAll('\n', ' | ')}`)
    try {
      state[p.id] = p.parse(part)
    } catch (e) {
      throw new Error(`cannot read state (${p.id}): ${(e as Error).message}`)
    }
  })
  return state
}

const isList = (p: Probe | readonly Probe[]): p is readonly Probe[] => Array.isArray(p)

/** Every probe of a module's named set, in order (a name may hold a list, or nothing). */
export function probeList(named: Probes): Probe[] {
  return Object.values(named).flatMap((p) => (p === undefined ? [] : isList(p) ? [...p] : [p]))
}

/** Gives results keyed by probe id (what a batch returns) their names back. */
export function nameResults<Q extends Probes>(named: Q, byId: ProbeState): StateOf<Q> {
  const out: Record<string, unknown> = {}
  for (const [name, p] of Object.entries(named)) if (p !== undefined) out[name] = isList(p) ? p.map((x) => byId[x.id]) : byId[p.id]
  return out as StateOf<Q>
}

/** Runs a module's named probes in one round trip (each id once) and gives each result its name back. */
export async function runNamedProbes<Q extends Probes>(conn: Connection, named: Q, opts: ExecOptions): Promise<StateOf<Q>> {
  return nameResults(named, await runProbes(conn, probeList(named), opts))
}
