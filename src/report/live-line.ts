// The live line under a slow task (terminal only): how many hosts are done, which are running,
// and how many wait for a fork. The engine queues a task's hosts in order (first in, first out),
// so the first `forks` hosts not yet done are the ones running; the rest have not started.
export interface LiveState {
  /** Hosts of the task not done yet, in the order they were queued. */
  pending: string[]
  total: number
  forks: number
  elapsedMs: number
}

export function liveLine(s: LiveState): string {
  const running = s.pending.slice(0, s.forks)
  const waiting = s.pending.length - running.length
  const names = running.slice(0, 6).join(', ') + (running.length > 6 ? ` and ${running.length - 6} more` : '')
  const done = `${s.total - s.pending.length}/${s.total} host${s.total === 1 ? '' : 's'} done`
  return `  … still running on ${names} (${Math.round(s.elapsedMs / 1000)}s); ${done}${waiting ? `; ${waiting} waiting for a fork` : ''}`
}
