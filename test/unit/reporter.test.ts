// The human reporter's extras: the live line on a terminal, colours only when asked.
import { expect } from 'chai'
import type { HostResultEvent } from '../../src/engine/events.js'
import { colours, noColours } from '../../src/report/paint.js'
import { PrettyReporter, type Clock } from '../../src/report/pretty.js'

/** Time that moves only when the test says so, running the ticks that fall due. */
class FakeClock implements Clock {
  private t = 0
  private readonly ticks = new Set<{ ms: number; next: number; fn: () => void }>()
  get ticking(): number {
    return this.ticks.size
  }
  now(): number {
    return this.t
  }
  every(ms: number, fn: () => void): { stop(): void } {
    const tick = { ms, next: this.t + ms, fn }
    this.ticks.add(tick)
    return { stop: () => this.ticks.delete(tick) }
  }
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = [...this.ticks].filter((k) => k.next <= end).sort((a, b) => a.next - b.next)[0]
      if (!due) break
      this.t = due.next
      due.next += due.ms
      due.fn()
    }
    this.t = end
  }
}

describe('pretty reporter', () => {
  it('after 2 s names only the hosts a slow task is still running on, and clears that line before the next result', () => {
    const clock = new FakeClock()
    let out = ''
    const r = new PrettyReporter({ paint: noColours, write: (s) => (out += s), verbosity: 0, timings: true, live: true, clock })
    r.handle({ type: 'task-start', task: 'slow one', taskIndex: 1, handler: false, hosts: ['web1', 'web2'] })
    r.handle({
      type: 'host-result',
      task: 'slow one',
      taskIndex: 1,
      handler: false,
      host: 'web1',
      status: 'ok',
      check: false,
      changes: [],
      diffs: [],
      durationMs: 10,
    })
    clock.advance(1500)
    expect(out, 'nothing before 2 s').not.to.match(/still running/)
    clock.advance(1200)
    expect(out)
      .to.match(/still running on web2 \(3s\); 1\/2 hosts done$/)
      .and.not.match(/still running on web1/)
    r.handle({
      type: 'host-result',
      task: 'slow one',
      taskIndex: 1,
      handler: false,
      host: 'web2',
      status: 'changed',
      check: false,
      changes: [{ summary: 'did it' }],
      diffs: [],
      durationMs: 2700,
    })
    expect(out).to.match(/\r\x1b\[2Kchanged: \[web2\] did it \(2\.70s\)\n$/)
    r.handle({ type: 'recap', stats: {}, durationMs: 1, check: false })
    expect(clock.ticking, 'the recap stops the tick').to.equal(0)
  })
  it('colours only with the colour paint', () => {
    let plain = ''
    let coloured = ''
    const ev: HostResultEvent = {
      type: 'host-result',
      task: 't',
      taskIndex: 1,
      handler: false,
      host: 'h',
      status: 'failed',
      check: false,
      msg: 'boom',
      changes: [],
      diffs: [],
      durationMs: 0,
    }
    new PrettyReporter({ paint: noColours, write: (s) => (plain += s), verbosity: 0, timings: false, live: false }).handle(ev)
    new PrettyReporter({ paint: colours, write: (s) => (coloured += s), verbosity: 0, timings: false, live: false }).handle(ev)
    expect(plain).to.equal('fatal: [h]: FAILED! => boom\n')
    expect(coloured).to.include('\x1b[31m')
  })
  it('with profile on, lists the slowest tasks after the recap (wall time from start to the last host, summed over batches), each with its slowest host; off, nothing', () => {
    const run = (profile: boolean) => {
      const clock = new FakeClock()
      let out = ''
      const r = new PrettyReporter({ paint: noColours, write: (s) => (out += s), verbosity: 0, timings: true, live: false, profile, clock })
      // Hosts work in parallel: each result arrives when its host is done. Results carry the
      // title as written; the header (task-start) has it rendered, which the profile shows.
      const task = (taskIndex: number, task: string, hosts: Record<string, number>) => {
        r.handle({ type: 'task-start', task, taskIndex, handler: false, hosts: Object.keys(hosts) })
        let elapsed = 0
        for (const [host, durationMs] of Object.entries(hosts).sort((x, y) => x[1] - y[1])) {
          clock.advance(durationMs - elapsed)
          elapsed = durationMs
          r.handle({ type: 'host-result', task: `{{ raw }}`, taskIndex, handler: false, host, status: 'ok', check: false, changes: [], diffs: [], durationMs })
        }
        clock.advance(7) // between tasks: not any task's time
      }
      task(1, 'quick', { a: 90, b: 80 })
      task(2, 'slow', { a: 1000, b: 2900 })
      task(1, 'quick', { c: 140 }) // the next batch
      task(3, 'middle', { a: 480 })
      r.handle({ type: 'recap', stats: {}, durationMs: 4000, check: false })
      return out
    }
    const text = run(true)
    const table = text.slice(text.indexOf('TASKS BY TIME'))
    expect(table.trimEnd().split('\n').slice(1)).to.deep.equal([
      '2.90s  slow (slowest: b 2.90s)',
      '0.48s  middle (slowest: a 0.48s)',
      '0.23s  quick (slowest: c 0.14s)',
    ])
    expect(run(false)).not.to.contain('TASKS BY TIME')
  })
})
