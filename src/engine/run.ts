// A whole run: every play in order over one connection per host, then the recap and exit code
// (Ansible's: 0 ok, 2 a host failed, 4 a host unreachable; 130 interrupted). A play that ends the
// run (any_errors_fatal, max_fail_percentage, a batch whose hosts all failed) stops the plays
// after it too, as in Ansible; Ctrl-C stops the commands running on the hosts, starts nothing new
// and still prints the recap.
import type { Playbook } from '../playbook/model.js'
import { currentRun, withRun, type RunContext } from '../playbook/run-context.js'
import type { HostStats } from './events.js'
import { HostState } from './host-state.js'
import { DPKG_INTERRUPTED, RunPool } from './interrupt.js'
import type { RunOptions } from './options.js'
import { runPlay } from './play.js'
import { maskDeep, maskString } from '../report/mask.js'

export interface RunSummary {
  stats: Record<string, HostStats>
  exitCode: number
  durationMs: number
  interrupted?: boolean
}

/** The exit code of an interrupted run, as a shell reports a process ended by SIGINT. */
export const INTERRUPTED_EXIT = 130

/** `forgiven`: hosts whose failures meta: clear_host_errors cleared (the recap still counts them, the exit code does not). */
export function exitCodeFor(stats: Record<string, HostStats>, forgiven: ReadonlySet<string> = new Set()): number {
  // Ansible's order (strategy/__init__.py): any unreachable host makes it 4, even beside a failed one.
  const v = Object.values(stats)
  if (v.some((s) => s.unreachable > 0)) return 4
  if (Object.entries(stats).some(([h, s]) => s.failed > 0 && !forgiven.has(h))) return 2
  return 0
}

/**
 * Runs a loaded playbook as part of `run` (the CLI's; by default the run the caller is part of):
 * its vault password, secrets and per-run caches, shared with no other run.
 */
export function runPlaybook(pb: Playbook, opts: RunOptions, run: RunContext = currentRun()): Promise<RunSummary> {
  return withRun(run, () => runInContext(pb, opts, run))
}

async function runInContext(pb: Playbook, opts: RunOptions, run: RunContext): Promise<RunSummary> {
  const t0 = Date.now()
  const vaultSecrets = run.secrets
  const secrets = new Set<string>(vaultSecrets)
  // Every event passes through the mask: no reporter can show a vault value or a no_log argument.
  const outer = opts.emit
  // group_vars/host_vars (and so their vault values) are read lazily, after this point: pick up
  // the values the vault has given since, before each event.
  let seen = vaultSecrets.size
  opts = {
    ...opts,
    emit: (e) => {
      if (vaultSecrets.size !== seen) {
        for (const v of vaultSecrets) secrets.add(v)
        seen = vaultSecrets.size
      }
      outer(maskDeep(e, secrets))
    },
    // -vvv lines pass the same mask (module options that are secrets, vault values)
    ...(opts.trace
      ? {
          trace: (
            (t) => (host: string, line: string) =>
              t(host, maskString(line, secrets))
          )(opts.trace),
        }
      : {}),
  }
  opts.emit({ type: 'run-start', playbook: pb.file, check: opts.check, diff: opts.diff, forks: opts.forks })
  for (const w of pb.warnings ?? [])
    opts.emit({ type: 'warning', msg: `${w.message} (reached only through a conditional include: an error on a host that runs it)`, pos: w.pos })
  const hosts = new Map<string, HostState>()
  const pool = new RunPool(opts)
  const startFound = { done: !opts.startAtTask }
  const signal = opts.signal
  let interrupted = false
  let exitOnInterrupt = INTERRUPTED_EXIT
  let stopping: Promise<void> | undefined
  const onAbort = () => {
    if (interrupted) return
    interrupted = true
    const name = typeof signal?.reason === 'string' ? signal.reason : 'SIGINT'
    if (name === 'SIGTERM') exitOnInterrupt = 143
    opts.emit({ type: 'interrupt', signal: name })
    stopping = pool.interruptAll().then((stopped) => {
      for (const { host, outcome } of stopped) {
        if (outcome.error) opts.emit({ type: 'warning', host, msg: `interrupt: ${outcome.error}` })
        if (outcome.followUp?.includes(DPKG_INTERRUPTED))
          opts.emit({
            type: 'warning',
            host,
            msg: "dpkg was interrupted: packages are left half-installed or half-configured; run 'dpkg --configure -a' as root on this host",
          })
      }
    })
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  if (signal?.aborted) onAbort()
  try {
    for (const play of pb.plays) {
      if (interrupted) break
      const end = await runPlay(play, { opts, playbookDir: pb.dir, hosts, pool, secrets, startFound })
      if (end.stopRun) break
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await stopping
    await pool.closeAll()
  }
  const stats: Record<string, HostStats> = {}
  // As Ansible's recap: the hosts that something happened to (a batch never started is not listed).
  for (const [h, s] of hosts) if (Object.values(s.stats).some((n) => n > 0)) stats[h] = s.stats
  const durationMs = Date.now() - t0
  opts.emit({ type: 'recap', stats, durationMs, check: opts.check, ...(interrupted ? { interrupted } : {}) })
  const forgiven = new Set([...hosts].filter(([, s]) => s.errorsCleared && !s.failed).map(([h]) => h))
  return { stats, exitCode: interrupted ? exitOnInterrupt : exitCodeFor(stats, forgiven), durationMs, ...(interrupted ? { interrupted } : {}) }
}
