// The slowest tasks of a run (Ansible's profile_tasks): each task's wall time, summed over the
// batches it ran in, with the host it waited for longest. Pure: fed the run's events, printed
// after the recap (-v, or profile_tasks in ansible.cfg's callbacks_enabled).
import type { RunEvent } from '../engine/events.js'

interface TaskTime {
  task: string
  ms: number
  slowestHost?: string
  slowestMs: number
}

/** Ansible's profile_tasks shows 20 tasks. */
const SHOWN = 20

export class TaskProfile {
  private readonly tasks = new Map<string, TaskTime>()

  add(e: RunEvent): void {
    if (e.type !== 'task-end' && e.type !== 'host-result') return
    const key = `${e.taskIndex}\0${e.task}`
    const t = this.tasks.get(key) ?? { task: e.task, ms: 0, slowestMs: -1 }
    this.tasks.set(key, t)
    if (e.type === 'task-end') t.ms += e.durationMs
    else if (e.durationMs > t.slowestMs) Object.assign(t, { slowestHost: e.host, slowestMs: e.durationMs })
  }

  /** The lines to print: the slowest tasks first, each with its slowest host. */
  lines(secs: (ms: number) => string): string[] {
    const top = [...this.tasks.values()].sort((a, b) => b.ms - a.ms).slice(0, SHOWN)
    const width = Math.max(0, ...top.map((t) => secs(t.ms).length))
    return top.map((t) => `${secs(t.ms).padStart(width)}  ${t.task}${t.slowestHost ? ` (slowest: ${t.slowestHost} ${secs(t.slowestMs)})` : ''}`)
  }
}
