// Connecting early: the SSH set-up of the first play's hosts (TCP, key exchange, login, the shell:
// several round trips and the host's session start) starts as soon as the playbooks and the
// inventory are loaded and checked, and goes on while the engine loads. Only when that play
// gathers facts, which connects to every host of its first batch anyway: a host the run would
// not touch is never touched early. The variables are the inventory's, the play's and the extra
// vars; the engine adopts a connection only if its own variables make the same target
// (engine/connect.ts), so what was guessed never decides anything.
import { notFound } from '../playbook/expression.js'
import type { Inventory } from '../playbook/inventory.js'
import type { Playbook } from '../playbook/model.js'
import { matchHosts } from '../playbook/patterns.js'
import { VarScope } from '../playbook/vars.js'
import { isTemplated } from '../text/templated.js'
import type { RunOptions } from '../engine/options.js'

/** The hosts to connect to early: the first play's first batch, at most --forks of them (none if in doubt). */
export function earlyHosts(playbooks: Playbook[], opts: Pick<RunOptions, 'inventory' | 'limit' | 'forks' | 'step'>): string[] {
  const play = playbooks[0]?.plays[0]
  // --step asks before anything runs; a templated pattern, serial batches and the play's
  // remote_user / connection keywords are left to the engine.
  if (!play || opts.step || !play.gatherFacts || play.serial.length || play.remoteUser !== undefined || play.connection !== undefined) return []
  if (isTemplated(play.hosts)) return []
  let hosts = matchHosts(opts.inventory, play.hosts)
  if (opts.limit) {
    const limited = new Set(matchHosts(opts.inventory, opts.limit))
    hosts = hosts.filter((h) => limited.has(h))
  }
  return hosts.slice(0, opts.forks)
}

// A lookup acts when it runs (pipe runs a command, password writes a file): never before the run.
const LOOKUP = /\b(lookup|query|q)\s*\(/
const mentionsLookup = new WeakMap<object, boolean>()
function anyLookup(values: Record<string, unknown>): boolean {
  let found = mentionsLookup.get(values)
  if (found === undefined) mentionsLookup.set(values, (found = LOOKUP.test(JSON.stringify(values) ?? '')))
  return found
}

/**
 * A host's variables as far as known before the run (a value that does not render reads as
 * absent); undefined when any of them calls a lookup.
 */
function earlyVars(inventory: Inventory, host: string, pb: Playbook, extraVars: Record<string, unknown>): Record<string, unknown> | undefined {
  const play = pb.plays[0]!
  const magic: Record<string, unknown> = { inventory_hostname: host, inventory_hostname_short: host.split('.')[0] }
  const layers = [...inventory.varLayers(host, pb.dir), { name: 'play vars', values: play.vars }, { name: 'extra vars', values: extraVars }]
  if (layers.some((l) => anyLookup(l.values))) return undefined
  const scope = new VarScope(layers, { lookup: (name) => (Object.prototype.hasOwnProperty.call(magic, name) ? magic[name] : notFound) })
  return new Proxy({} as Record<string, unknown>, {
    get(_, k) {
      if (typeof k !== 'string' || !scope.has(k)) return undefined
      try {
        return scope.lookup(k)
      } catch {
        return undefined
      }
    },
  })
}

/** Starts connecting to the first play's hosts; undefined when there is none to connect to early. */
export async function preconnect(playbooks: Playbook[], opts: RunOptions): Promise<RunOptions['preconnected']> {
  const hosts = earlyHosts(playbooks, opts)
  if (!hosts.length) return undefined
  const { Preconnected } = await import('../engine/connect.js')
  const early = new Preconnected(opts)
  for (const h of hosts) {
    try {
      const vars = earlyVars(opts.inventory, h, playbooks[0]!, opts.extraVars)
      if (vars) early.start(h, vars)
    } catch {
      // a variable the engine will report properly at its turn
    }
  }
  return early
}
