// A whole run: every play in order over one connection per host, then the recap and exit code
// (Ansible's: 0 ok, 2 a host failed, 4 a host unreachable).
import type { Playbook } from '../playbook/model.js'
import { secretValues } from '../playbook/vars-files.js'
import { ConnectionPool } from './connect.js'
import type { HostStats } from './events.js'
import { HostState } from './host-state.js'
import type { RunOptions } from './options.js'
import { runPlay } from './play.js'
import { maskDeep } from '../report/mask.js'

export interface RunSummary {
  stats: Record<string, HostStats>
  exitCode: number
  durationMs: number
}

export function exitCodeFor(stats: Record<string, HostStats>): number {
  const v = Object.values(stats)
  if (v.some((s) => s.failed > 0)) return 2
  if (v.some((s) => s.unreachable > 0)) return 4
  return 0
}

export async function runPlaybook(pb: Playbook, opts: RunOptions): Promise<RunSummary> {
  const t0 = Date.now()
  const secrets = new Set<string>(secretValues)
  // Every event passes through the mask: no reporter can show a vault value or a no_log argument.
  const outer = opts.emit
  // group_vars/host_vars (and so their vault values) are read lazily, after this point: pick up
  // the values the vault has given since, before each event.
  let seen = secretValues.size
  opts = {
    ...opts,
    emit: (e) => {
      if (secretValues.size !== seen) {
        for (const v of secretValues) secrets.add(v)
        seen = secretValues.size
      }
      outer(maskDeep(e, secrets))
    },
  }
  opts.emit({ type: 'run-start', playbook: pb.file, check: opts.check, diff: opts.diff, forks: opts.forks })
  const hosts = new Map<string, HostState>()
  const pool = new ConnectionPool(opts)
  const startFound = { done: !opts.startAtTask }
  try {
    for (const play of pb.plays) await runPlay(play, { opts, playbookDir: pb.dir, hosts, pool, secrets, startFound })
  } finally {
    await pool.closeAll()
  }
  const stats: Record<string, HostStats> = {}
  for (const [h, s] of hosts) stats[h] = s.stats
  const durationMs = Date.now() - t0
  opts.emit({ type: 'recap', stats, durationMs, check: opts.check })
  return { stats, exitCode: exitCodeFor(stats), durationMs }
}
