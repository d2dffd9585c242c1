// The human reporter's extras: the live line on a terminal, colours only when asked.
import { expect } from 'chai'
import type { HostResultEvent } from '../../src/engine/events.js'
import { colours, noColours } from '../../src/report/paint.js'
import { PrettyReporter } from '../../src/report/pretty.js'

describe('pretty reporter', () => {
  it('names the hosts a slow task is still running on, and clears the line for the next output', async function () {
    this.timeout(10000)
    let out = ''
    const r = new PrettyReporter({ paint: noColours, write: (s) => (out += s), verbosity: 0, timings: true, live: true })
    r.handle({ type: 'task-start', task: 'slow one', taskIndex: 1, handler: false, hosts: ['web1', 'web2'] })
    r.handle({ type: 'host-result', task: 'slow one', taskIndex: 1, handler: false, host: 'web1', status: 'ok', check: false, changes: [], diffs: [], durationMs: 10 })
    await new Promise((res) => setTimeout(res, 2700))
    expect(out).to.match(/still running on web2 \(\ds\)/).and.not.match(/still running on web1/)
    r.handle({ type: 'host-result', task: 'slow one', taskIndex: 1, handler: false, host: 'web2', status: 'changed', check: false, changes: [{ summary: 'did it' }], diffs: [], durationMs: 2700 })
    expect(out).to.match(/\r\x1b\[2Kchanged: \[web2\] did it \(2\.70s\)\n$/)
    r.handle({ type: 'recap', stats: {}, durationMs: 1, check: false })
  })
  it('colours only with the colour paint', () => {
    let plain = ''
    let coloured = ''
    const ev: HostResultEvent = { type: 'host-result', task: 't', taskIndex: 1, handler: false, host: 'h', status: 'failed', check: false, msg: 'boom', changes: [], diffs: [], durationMs: 0 }
    new PrettyReporter({ paint: noColours, write: (s) => (plain += s), verbosity: 0, timings: false, live: false }).handle(ev)
    new PrettyReporter({ paint: colours, write: (s) => (coloured += s), verbosity: 0, timings: false, live: false }).handle(ev)
    expect(plain).to.equal('fatal: [h]: FAILED! => boom\n')
    expect(coloured).to.include('\x1b[31m')
  })
})
