// The human reporter: Ansible's layout (PLAY / TASK headers, a line per host, PLAY RECAP), with
// what would change in check mode said plainly, diffs, task times, and on a terminal a live
// line naming the hosts a slow task is still running on.
import { VERBOSE_ALWAYS } from '../contract/types.js'
import { formatPos } from '../playbook/errors.js'
import type { HostResultEvent, RunEvent } from '../engine/events.js'
import { paintDiff, unifiedDiff } from './diff.js'
import { liveLine } from './live-line.js'
import { TaskProfile } from './profile.js'
import type { Paint } from './paint.js'

export interface PrettyOptions {
  paint: Paint
  write(s: string): void
  verbosity: number
  /** Task and run times (off for deterministic output in tests). */
  timings: boolean
  /** Rewrite a live status line (TTY only). */
  live: boolean
  /** Time for the live line; tests give a fake one. */
  clock?: Clock
  /** The slowest tasks after the recap (profile.ts). */
  profile?: boolean
}

/** The reporter's time: now, and a repeating tick that does not keep the process alive. */
export interface Clock {
  now(): number
  every(ms: number, fn: () => void): { stop(): void }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms)
    t.unref()
    return { stop: () => clearInterval(t) }
  },
}

function header(kind: string, title: string, width = 79): string {
  const text = `${kind} [${title}] `
  return text + '*'.repeat(Math.max(3, width - text.length))
}

/** A duration for people: 2 decimals under 10 s, 1 above. */
export function secs(ms: number): string {
  return ms < 10000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`
}

export class PrettyReporter {
  private pending = new Set<string>()
  private taskStart = 0
  private liveShown = false
  private timer?: { stop(): void }
  private readonly clock: Clock
  private check = false
  private lastTask = ''
  private taskHosts = 0
  private forks = Infinity
  private readonly profile = new TaskProfile()

  constructor(private readonly o: PrettyOptions) {
    this.clock = o.clock ?? systemClock
  }

  private out(s: string): void {
    this.clearLive()
    this.o.write(s + '\n')
  }

  private clearLive(): void {
    if (this.liveShown) {
      this.o.write('\r\x1b[2K')
      this.liveShown = false
    }
  }

  private startLive(): void {
    if (!this.o.live) return
    this.timer?.stop()
    this.timer = this.clock.every(500, () => {
      const t = this.clock.now() - this.taskStart
      if (t < 2000 || this.pending.size === 0) return
      this.o.write(`\r\x1b[2K${this.o.paint.dim(liveLine({ pending: [...this.pending], total: this.taskHosts, forks: this.forks, elapsedMs: t }))}`)
      this.liveShown = true
    })
  }

  handle(e: RunEvent): void {
    if (this.o.profile) this.profile.add(e, this.clock.now())
    const p = this.o.paint
    switch (e.type) {
      case 'run-start':
        this.check = e.check
        this.forks = e.forks
        if (e.check) this.out(p.magenta('CHECK MODE: nothing will be changed; what would change is shown.'))
        break
      case 'play-start':
        this.out(`\n${p.bold(header('PLAY', e.name))}`)
        if (e.hosts.length === 0) this.out(p.yellow('skipping: no hosts matched'))
        break
      case 'batch-start':
        this.out(p.dim(`\nbatch ${e.batch}/${e.batches}: ${e.hosts.join(', ')}`))
        break
      case 'task-start':
        this.lastTask = e.task
        this.out(`\n${p.bold(header(e.handler ? 'RUNNING HANDLER' : 'TASK', e.task))}`)
        if (this.o.verbosity >= 2 && e.pos) this.out(p.dim(`task path: ${formatPos(e.pos)}`))
        this.pending = new Set(e.hosts)
        this.taskHosts = e.hosts.length
        this.taskStart = this.clock.now()
        this.startLive()
        break
      case 'host-result':
        this.result(e)
        break
      case 'task-end':
        break
      case 'warning':
        this.out(p.magenta(`[WARNING]: ${e.host ? `[${e.host}] ` : ''}${e.msg}${e.pos ? ` (${formatPos(e.pos)})` : ''}`))
        break
      case 'play-end':
        if (e.stopped) this.out(p.red(`\nNO MORE HOSTS LEFT: play stopped (${e.stopped})`))
        break
      case 'interrupt':
        this.out(p.red(`\nINTERRUPTED (${e.signal}): no new task starts; stopping the commands running on the hosts`))
        break
      case 'handlers-pending':
        this.out(p.yellow(`pending handlers on [${e.host}] (not run: ${e.why}): ${e.handlers.join(', ')}`))
        break
      case 'recap': {
        this.timer?.stop()
        this.out(`\n${p.bold(e.interrupted ? 'PLAY RECAP (INTERRUPTED) ' + '*'.repeat(54) : 'PLAY RECAP ' + '*'.repeat(68))}`)
        const width = Math.max(0, ...Object.keys(e.stats).map((h) => h.length))
        for (const [h, s] of Object.entries(e.stats)) {
          const colour = s.failed || s.unreachable ? p.red : s.changed ? p.yellow : p.green
          const f = (k: string, v: number, c: (x: string) => string) => (v ? c(`${k}=${v}`) : `${k}=${v}`)
          this.out(
            `${colour(h.padEnd(width))} : ${f('ok', s.ok, p.green)}  ${f('changed', s.changed, p.yellow)}  ${f('unreachable', s.unreachable, p.red)}  ${f('failed', s.failed, p.red)}  ${f('skipped', s.skipped, p.cyan)}  ${f('rescued', s.rescued, p.green)}  ${f('ignored', s.ignored, p.yellow)}`,
          )
        }
        const hosts = Object.keys(e.stats).length
        const changed = Object.values(e.stats).reduce((a, s) => a + s.changed, 0)
        const tail = e.check
          ? `check mode: ${changed} change${changed === 1 ? '' : 's'} would be made, nothing was changed`
          : `${changed} change${changed === 1 ? '' : 's'}`
        this.out(`\n${this.o.timings ? `${hosts} host${hosts === 1 ? '' : 's'} in ${secs(e.durationMs)}; ` : ''}${tail}`)
        if (e.interrupted) this.out(p.red('interrupted: the run was stopped before it finished'))
        if (this.o.profile) {
          const lines = this.profile.lines(secs)
          if (lines.length) this.out(`\n${p.bold(header('TASKS BY TIME', 'slowest first'))}\n${lines.join('\n')}`)
        }
        break
      }
    }
  }

  private result(e: HostResultEvent): void {
    const p = this.o.paint
    if (!e.item) this.pending.delete(e.host)
    const host = e.delegatedTo ? `${e.host} -> ${e.delegatedTo}` : e.host
    const item = e.item !== undefined ? ` => (item=${e.item})` : ''
    const time = this.o.timings && e.durationMs >= 50 ? p.dim(` (${secs(e.durationMs)})`) : ''
    const uncertain = e.changes.length > 0 && e.changes.every((c) => c.uncertain)
    let line: string
    switch (e.status) {
      case 'ok':
        line = p.green(`ok: [${host}]${item}`)
        break
      case 'skipped':
        line = p.cyan(`skipping: [${host}]${item}`)
        break
      case 'changed': {
        const word = e.mayChange ? 'may change' : e.check ? (uncertain ? 'would run' : 'would change') : 'changed'
        const what = e.changes.map((c) => c.summary).join('; ')
        line = p.yellow(`${word}: [${host}]${item}${what ? ` ${what}` : ''}`)
        break
      }
      case 'unreachable':
        line = p.red(`fatal: [${host}]: UNREACHABLE! => ${e.msg ?? ''}`)
        break
      case 'failed':
        line = p.red(`fatal: [${host}]${item}: FAILED! => ${e.msg ?? ''}`) + (e.ignored ? p.cyan('\n...ignoring') : '')
        break
    }
    const out = e.output ?? {}
    if (out[VERBOSE_ALWAYS] && e.status === 'ok') {
      // As Ansible: `ok: [h] => {` and the value, lists and dicts as themselves.
      const shown = Object.fromEntries(Object.entries(out).filter(([k]) => k !== VERBOSE_ALWAYS && k !== 'changed' && k !== 'failed'))
      if (e.msg !== undefined) shown.msg = e.msg
      this.out(`${line} => ${JSON.stringify(shown, null, 4)}${time}`)
      for (const d of e.diffs) this.out(paintDiff(unifiedDiff(d), p))
      return
    }
    // Check mode: what it cannot know is said here too, not only in --json.
    if (e.check && e.status === 'ok' && e.msg) line += p.dim(` ${e.msg}`)
    this.out(line + time)
    if (this.o.verbosity >= 1 && e.status !== 'skipped' && Object.keys(out).length) {
      this.out(p.dim(JSON.stringify(out, null, 4)))
    } else if (e.status === 'failed' && out.stdout && this.o.verbosity === 0 && !e.msg?.includes(String(out.stdout).slice(0, 40))) {
      this.out(p.dim(`stdout: ${String(out.stdout).split('\n').slice(-5).join('\n        ')}`))
    }
    for (const d of e.diffs) this.out(paintDiff(unifiedDiff(d), p))
  }
}
