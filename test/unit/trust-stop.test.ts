// Runs that must stop, without lab hosts: Ctrl-C through the engine and the local connection
// (the same framed shell as SSH), the pending-handler list, --force-handlers, and the guard that
// keeps the group kill from ever becoming `kill -1`.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from '../../src/cli/args.js'
import { InterruptedError } from '../../src/connection/connection.js'
import { stopGroupScript } from '../../src/connection/framed-shell.js'
import { LocalConnection } from '../../src/connection/local.js'
import type { RunEvent } from '../../src/engine/events.js'
import { pendingHandlers } from '../../src/engine/play.js'
import { exitCodeFor, runPlaybook } from '../../src/engine/run.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import { code } from '../../src/shell/index.js'

/** Processes on this machine whose command line is exactly `cmd` (a sleep with an unusual length). */
function running(cmd: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '-x', cmd], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !cond();) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('trust 8: exit codes', () => {
  const st = (failed: number, unreachable: number) => ({ ok: 1, changed: 0, failed, unreachable, skipped: 0, rescued: 0, ignored: 0 })
  it("trust 8: any unreachable host makes the exit code 4, even beside a failed one (Ansible's order); a failure alone 2", () => {
    expect(exitCodeFor({ a: st(1, 0), b: st(0, 1) })).to.equal(4)
    expect(exitCodeFor({ a: st(1, 0), b: st(0, 0) })).to.equal(2)
    expect(exitCodeFor({ a: st(0, 0) })).to.equal(0)
  })
})

describe('trust: runs that must stop (local)', () => {
  it('trust 18: interrupt() stops the running command with everything it started, and nothing starts after', async () => {
    const c = new LocalConnection('localhost')
    await c.exec(code('true'))
    // a grandchild in the background and one in the foreground: both are in the shell's group
    const p = c.exec(code(`sleep 317.25 & sh -c 'sleep 317.5'; wait`)).then(
      () => undefined,
      (e: unknown) => e,
    )
    await until(() => running('sleep 317.25').length === 1 && running('sleep 317.5').length === 1)
    const outcome = await c.interrupt(code('echo followed-up'))
    expect(outcome).to.deep.equal({ stopped: true, followUp: 'followed-up\n' })
    expect(await p).to.be.instanceOf(InterruptedError)
    await until(() => running('sleep 317.25').length === 0 && running('sleep 317.5').length === 0)
    let later: unknown
    await c.exec(code('true')).catch((e: unknown) => (later = e))
    expect(later).to.be.instanceOf(InterruptedError)
    await c.close()
  })

  it('trust 18: a command interrupted as the shell starts is stopped too (its process group is awaited)', async () => {
    const c = new LocalConnection('localhost')
    const p = c.exec(code('sleep 319.25')).then(
      () => undefined,
      (e: unknown) => e,
    )
    for (let i = 0; i < 5; i++) await Promise.resolve() // the command is written; the shell has not said its group yet
    expect(await c.interrupt()).to.deep.equal({ stopped: true, followUp: '' })
    expect(await p).to.be.instanceOf(InterruptedError)
    await until(() => running('sleep 319.25').length === 0)
    await c.close()
  })

  it('trust 18: interrupt() on an idle connection stops nothing and runs no follow-up', async () => {
    const c = new LocalConnection('localhost')
    await c.exec(code('true'))
    expect(await c.interrupt(code('echo followed-up'))).to.deep.equal({ stopped: false })
    await c.close()
  })

  it('trust 18: the group kill refuses anything that is not a process group of its own (never kill -1, -0)', () => {
    for (const pg of [0, 1, -5, 2.5, NaN]) expect(() => stopGroupScript(pg), String(pg)).to.throw(/not a process group/)
    expect(stopGroupScript(4242)).to.match(/^pg=4242\n/)
  })

  it('trust 18: an aborted run starts nothing new, stops the running task, lists the pending handlers, recaps "interrupted", exits 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-stop-'))
    const marker = join(dir, 'never')
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: localhost
  gather_facts: false
  tasks:
    - name: notify
      command: "true"
      notify: handler
    - name: long
      command: sleep 318.75
    - name: never
      command: touch ${marker}
  handlers:
    - name: handler
      command: "true"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`,
    )
    const events: RunEvent[] = []
    const abort = new AbortController()
    const run = runPlaybook(loadPlaybook(join(dir, 'site.yml'), { rolesPath: [] }), {
      check: false,
      diff: false,
      forks: 5,
      tags: [],
      skipTags: [],
      extraVars: {},
      verbosity: 0,
      hostKeyChecking: 'yes',
      connectTimeoutMs: 10000,
      inventory: loadInventory([]),
      signal: abort.signal,
      emit: (e) => events.push(e),
    })
    await until(() => running('sleep 318.75').length === 1)
    abort.abort('SIGINT')
    const r = await run
    expect(r.exitCode).to.equal(130)
    expect(running('sleep 318.75')).to.deep.equal([])
    const results = events.filter((e) => e.type === 'host-result').map((e) => `${e.task}:${e.status}`)
    expect(results).to.deep.equal(['notify:changed', 'long:failed'])
    expect(events.find((e) => e.type === 'handlers-pending')).to.deep.include({ host: 'localhost', handlers: ['handler'], why: 'interrupted' })
    expect(events.at(-1)).to.deep.include({ type: 'recap', interrupted: true })
    expect(events.filter((e) => e.type === 'play-start')).to.have.length(1)
  })

  it('trust 15: pending handlers are named in the order the play defines them, once each, listen topics resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-stop-'))
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: localhost
  tasks: []
  handlers:
    - name: first
      command: "true"
    - name: second
      command: "true"
      listen: restart things
    - name: third
      command: "true"
      listen: restart things
`,
    )
    const play = loadPlaybook(join(dir, 'site.yml'), { rolesPath: [] }).plays[0]!
    expect(pendingHandlers(play, new Set(['restart things', 'first']))).to.deep.equal(['first', 'second', 'third'])
    expect(pendingHandlers(play, new Set(['third', 'second']))).to.deep.equal(['second', 'third'])
    expect(pendingHandlers(play, new Set())).to.deep.equal([])
  })

  it('trust 15: --force-handlers is a known flag (it was an unknown option)', () => {
    expect(parseArgs(['site.yml', '--force-handlers']).forceHandlers).to.equal(true)
    expect(parseArgs(['site.yml']).forceHandlers).to.equal(false)
  })
})
