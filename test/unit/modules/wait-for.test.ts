// wait_for's probe on this machine: a timeout of N waits at least N seconds wherever in a second
// the wait starts. It read whole seconds from `date`, so a wait started at 10.995 whose first look
// ended at 11.005 slept once and gave up at 12.005, after one second of a timeout of two.
import { expect } from 'chai'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalConnection } from '../../../src/connection/local.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { ProbeContext } from '../../../src/modules/types.js'
import { waitFor } from '../../../src/modules/wait-for.js'
import { code, sh } from '../../../src/shell/index.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: false }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('wait_for module', function () {
  this.timeout(20_000)
  const conn = new LocalConnection('local')
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-wait-for-'))
    // a `date` whose clock crosses a whole second at every look: each look ends a second after
    // the one before, as a look that straddles a second's boundary is read from whole seconds
    writeFileSync(join(dir, 'date'), `#!/bin/sh\nn=$(cat "${dir}/n" 2>/dev/null || echo 100)\necho $((n + 1)) > "${dir}/n"\necho "$n"\n`)
    chmodSync(join(dir, 'date'), 0o755)
  })
  after(async () => {
    await conn.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** The probe of a closed port (1) with a timeout of 1 s and a look every second. */
  function closedPort() {
    const a = checkArgs(waitFor.args, { port: 1, timeout: 1, sleep: 1, connect_timeout: 1 }, false).args as never
    return waitFor.probes(a, ctx).wait
  }

  async function timedRun(script: string) {
    const probe = closedPort()
    const t0 = Date.now()
    const out = await conn.exec(code(script))
    return { ms: Date.now() - t0, r: probe.parse({ stdout: out.stdout, code: out.code }) }
  }

  it('with whole seconds (no /proc/uptime), a look that crosses a second does not shorten the timeout', async () => {
    const script = closedPort().script.text.replace('</proc/uptime', '</nonexistent/uptime')
    const { ms, r } = await timedRun(sh`PATH=${dir}:$PATH`.text + '\n' + script)
    expect(r.met).to.equal(false)
    expect(ms, 'gave up before the timeout').to.be.at.least(1000)
  })

  it('with the kernel clock, a wait started at .9 of a second waits at least the timeout', async () => {
    await conn.exec(code('true')) // the shell is started before the clock is watched
    while (Date.now() % 1000 < 900) await sleep(2)
    const { ms, r } = await timedRun(closedPort().script.text)
    expect(r.met).to.equal(false)
    expect(ms).to.be.at.least(1000)
    // whole seconds, cut as Ansible's elapsed.seconds cuts them: 1 for a wait of 1.0x s (bounded by
    // the time seen here, which a loaded machine may stretch past 2 s)
    expect(Number.isInteger(r.elapsed), String(r.elapsed)).to.equal(true)
    expect(r.elapsed).to.be.within(1, Math.floor(ms / 1000))
  })

  it("a timeout of 0 fails without a look, and a timeout says Ansible's words (recorded from ansible-core 2.14)", async () => {
    const a = checkArgs(waitFor.args, { path: '/', timeout: 0 }, false).args as never
    const probe = waitFor.probes(a, ctx).wait
    const out = await conn.exec(probe.script)
    const r = probe.parse({ stdout: out.stdout, code: out.code })
    expect(r).to.deep.equal({ met: false, elapsed: 0, looked: false })
    // `ansible localhost -m wait_for -a "path=/ timeout=0"`: FAILED, elapsed 0, this message
    const failure = (args: Record<string, unknown>) => {
      try {
        waitFor.plan(checkArgs(waitFor.args, args, false).args as never, { wait: { met: false, elapsed: 0, looked: false } }, ctx)
      } catch (e) {
        return (e as Error).message
      }
      return 'no failure'
    }
    expect(failure({ path: '/' })).to.equal('Timeout when waiting for file /')
    expect(failure({ port: 1 })).to.equal('Timeout when waiting for 127.0.0.1:1')
    expect(failure({ port: 1, state: 'stopped' })).to.equal('Timeout when waiting for 127.0.0.1:1 to stop.')
    expect(failure({ path: '/x', state: 'absent' })).to.equal('Timeout when waiting for /x to be absent.')
    expect(failure({ path: '/x', search_regex: 'a+' })).to.equal('Timeout when waiting for search string a+ in /x')
    expect(failure({ path: '/x', msg: 'mine' })).to.equal('mine')
  })

  it('check mode looks once: met or not, at once', async () => {
    for (const [path, met] of [
      ['/', true],
      ['/rmp-never-there', false],
    ] as const) {
      const a = checkArgs(waitFor.args, { path, timeout: 60 }, false).args as never
      const probe = waitFor.probes(a, { ...ctx, check: true }).wait
      const out = await conn.exec(probe.script)
      expect(probe.parse({ stdout: out.stdout, code: out.code })).to.deep.equal({ met, elapsed: 0, looked: true })
    }
  })

  it('an open condition is met at once with elapsed 0', async () => {
    const a = checkArgs(waitFor.args, { path: '/', timeout: 5 }, false).args as never
    const probe = waitFor.probes(a, ctx).wait
    const out = await conn.exec(probe.script)
    expect(probe.parse({ stdout: out.stdout, code: out.code })).to.deep.equal({ met: true, elapsed: 0, looked: false })
  })
})
