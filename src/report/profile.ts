// The slowest tasks of a run (Ansible's profile_tasks): each task's wall time, from its start to
// its last host's result, summed over the batches it ran in, with the host it waited for longest.
// Fed the run's events and the reporter's clock; printed after the recap (-v, or profile_tasks in
// ansible.cfg's callbacks_enabled).
import type { RunEvent } from '../engine/events.js'

interface TaskTime {
  /** The title as the TASK header shows it (rendered, with the role). */
  task: string
  /** Wall time of the batches before the current one. */
  before: number
  startedAt: number
  ms: number
  slowestHost?: string
  slowestMs: number
}

/** Ansible's profile_tasks shows 20 tasks. */
const SHOWN = 20

export class TaskProfile {
  private readonly tasks = new Map<string, TaskTime>()

  add(e: RunEvent, now: number): void {
    if (e.type !== 'task-start' && e.type !== 'host-result') return
    const key = `${e.handler ? 'handler' : 'task'}\0${e.taskIndex}`
    let t = this.tasks.get(key)
    if (e.type === 'task-start') {
      if (!t) this.tasks.set(key, (t = { task: e.task, before: 0, startedAt: now, ms: 0, slowestMs: -1 }))
      Object.assign(t, { before: t.ms, startedAt: now })
      return
    }
    if (!t) return
    t.ms = t.before + (now - t.startedAt)
    if (e.durationMs > t.slowestMs) Object.assign(t, { slowestHost: e.host, slowestMs: e.durationMs })
  }

  /** The lines to print: the slowest tasks first, each with its slowest host. */
  lines(secs: (ms: number) => string): string[] {
    const top = [...this.tasks.values()].sort((a, b) => b.ms - a.ms).slice(0, SHOWN)
    const width = Math.max(0, ...top.map((t) => secs(t.ms).length))
    return top.map((t) => `${secs(t.ms).padStart(width)}  ${t.task}${t.slowestHost ? ` (slowest: ${t.slowestHost} ${secs(t.slowestMs)})` : ''}`)
  }
}
