// Runs that must stop (trust cases 11-16 and 18), on lab hosts. Where Ansible does the same thing,
// the same playbook goes through ansible-playbook too and both must reach the same hosts with the
// same tasks and handlers, in the same order, with the same recap counts.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { main } from '../../src/cli/main.js'
import { InterruptedError } from '../../src/connection/connection.js'
import { runStep } from '../../src/engine/apply.js'
import type { RunEvent } from '../../src/engine/events.js'
import { ansiblePlaybook, hasAnsible, reachedByEvents, type Reached } from '../helpers/ansible-reached.js'
import { SshConnection } from '../../src/connection/ssh.js'
import { sshTargetFor } from '../../src/engine/connect.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { VarScope } from '../../src/playbook/vars.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { code } from '../../src/shell/index.js'
import { testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOutcome } from '../helpers/run-playbook.js'

const BIN = fileURLToPath(new URL('../../../bin/rm-play.js', import.meta.url))

describe('trust: runs that must stop (lab hosts; Ansible as the judge where it does the same)', function () {
  let lab: TestLab
  let inv: string
  let H: string[]

  before(async function () {
    lab = await testLab(4)
    inv = lab.inventory
    H = lab.names.slice(0, 4)
  })

  after(closeHostConnections)

  function write(yaml: string, name = 'site.yml'): string {
    const file = join(mkdtempSync(join(tmpdir(), 'rmp-trust-stop-')), name)
    writeFileSync(file, yaml)
    return file
  }

  /** The playbook through rm-play (the engine) and through ansible-playbook, on the first four lab hosts. */
  async function both(
    yaml: string,
    o: { inventory?: string; ansibleArgs?: string[] } = {},
  ): Promise<{ rm: PlayOutcome; rmReached: Reached; ans: Reached & { exitCode: number } }> {
    const file = write(yaml)
    const inventory = o.inventory ?? inv
    const rm = await playFile(file, { inventory: [inventory], limit: H.join(',') })
    const ans = ansiblePlaybook(file, inventory, ['--limit', H.join(','), ...(o.ansibleArgs ?? [])])
    return { rm, rmReached: reachedByEvents(rm.events), ans }
  }

  function expectSame(r: { rmReached: Reached; ans: Reached & { exitCode: number }; rm: PlayOutcome }): void {
    expect(r.rmReached.seq, `tasks reached per host\n${r.rm.text}`).to.deep.equal(r.ans.seq)
    expect(r.rmReached.stats, 'recap').to.deep.equal(r.ans.stats)
    expect(r.rm.exitCode, 'exit code').to.equal(r.ans.exitCode)
  }

  const pending = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: 'handlers-pending' }> => e.type === 'handlers-pending')

  describe('Ansible as the judge', function () {
    before(function () {
      if (!hasAnsible()) this.skip()
    })

    it('trust 11: a remote command that exits 255 is a failed task on a live connection, not an unreachable host', async () => {
      const r = await both(`- hosts: ${H[0]}
  gather_facts: false
  tasks:
    - block:
        - name: exits 255
          command: sh -c 'exit 255'
      rescue:
        - name: same connection still works
          command: "true"
- hosts: ${H[0]}
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`)
      expectSame(r)
      expect(r.rmReached.seq[H[0]!]).to.deep.equal(['exits 255:failed', 'same connection still works:changed', 'next play:changed'])
      expect(r.rm.stats[H[0]!]).to.include({ unreachable: 0, rescued: 1 })
      expect(r.rm.results('exits 255')[0]!.msg).to.match(/exit 255/)
    })

    it('trust 12: any_errors_fatal lets the current task finish on the batch, then nothing else runs: no later task, handler or play', async () => {
      const r = await both(`- hosts: runmaster
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: notify
      command: "true"
      notify: handler
    - name: fails on one host, slowly on the others
      shell: "test {{ inventory_hostname }} = ${H[1]} || sleep 1; test {{ inventory_hostname }} != ${H[1]}"
    - name: after
      command: "true"
  handlers:
    - name: handler
      command: "true"
- hosts: runmaster
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`)
      expectSame(r)
      for (const h of H) expect(r.rmReached.seq[h]).to.have.length(2)
      expect(r.rmReached.seq[H[0]!]).to.deep.equal(['notify:changed', 'fails on one host, slowly on the others:changed'])
      expect(r.rmReached.seq[H[1]!]).to.deep.equal(['notify:changed', 'fails on one host, slowly on the others:failed'])
      expect(r.rm.exitCode).to.equal(2)
      expect(r.ans.exitCode).to.equal(2)
      // the handler each host was notified of is listed as not run
      expect(
        pending(r.rm.events)
          .map((e) => `${e.host}:${e.handlers.join(',')}`)
          .sort(),
      ).to.deep.equal(H.map((h) => `${h}:handler`).sort())
    })

    it('trust 13: serial [1, "25%", "100%"] whose first batch fails: the run stops, later batches and plays untouched', async () => {
      const r = await both(`- hosts: runmaster
  gather_facts: false
  serial: [1, "25%", "100%"]
  tasks:
    - name: first
      command: "true"
    - name: fails on the first host
      shell: "test {{ inventory_hostname }} != ${H[0]}"
- hosts: runmaster
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`)
      expectSame(r)
      expect(Object.keys(r.rm.stats)).to.deep.equal([H[0]])
      expect(r.rm.events.filter((e) => e.type === 'batch-start')).to.have.length(1)
    })

    it('trust 13: a play whose hosts all fail stops the run even without serial: the next play (other hosts) does not start', async () => {
      const r = await both(`- hosts: ${H[0]}
  gather_facts: false
  tasks:
    - name: fails
      command: "false"
- hosts: ${H[1]}
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`)
      expectSame(r)
      expect(r.rmReached.seq[H[1]!]).to.equal(undefined)
    })

    for (const [pct, goesOn] of [
      [50, true],
      [49, false],
    ] as const) {
      it(`trust 14: serial 4 with 2 failures: max_fail_percentage ${pct} ${goesOn ? 'goes on' : 'stops the run'} (the share must be exceeded)`, async () => {
        const r = await both(`- hosts: runmaster
  gather_facts: false
  serial: 4
  max_fail_percentage: ${pct}
  tasks:
    - name: fails on two hosts
      shell: "test {{ inventory_hostname }} != ${H[0]} -a {{ inventory_hostname }} != ${H[1]}"
    - name: next
      command: "true"
- hosts: runmaster
  gather_facts: false
  tasks:
    - name: next play
      command: "true"
`)
        expectSame(r)
        expect(r.rmReached.seq[H[2]!]).to.deep.equal(
          goesOn ? ['fails on two hosts:changed', 'next:changed', 'next play:changed'] : ['fails on two hosts:changed'],
        )
      })
    }

    it('trust 15: a handler notified before a failure does not run on that host, and the pending handlers are listed', async () => {
      const r = await both(`- hosts: runmaster
  gather_facts: false
  tasks:
    - name: notify
      command: "true"
      notify: [h1, h2]
    - name: fails on one host
      shell: "test {{ inventory_hostname }} != ${H[0]}"
  handlers:
    - name: h2
      command: "true"
    - name: h1
      command: "true"
`)
      expectSame(r)
      expect(r.rmReached.seq[H[0]!]).to.deep.equal(['notify:changed', 'fails on one host:failed'])
      expect(r.rmReached.seq[H[1]!]).to.deep.equal(['notify:changed', 'fails on one host:changed', 'h2:changed', 'h1:changed'])
      const p = pending(r.rm.events)
      expect(p.map((e) => [e.host, e.handlers, e.why])).to.deep.equal([[H[0], ['h2', 'h1'], 'failed']])
      expect(r.rm.text).to.include(`pending handlers on [${H[0]}] (not run: failed): h2, h1`)
    })

    const forced = (force: string) => `- hosts: runmaster
  gather_facts: false
  ${force}
  tasks:
    - name: notify
      command: "true"
      notify: h1
    - name: drops its connection on one host
      shell: "pkill -KILL -f 'sshd: root'"
      when: inventory_hostname == '${H[1]}'
    - name: fails on one host
      shell: "test {{ inventory_hostname }} != ${H[0]}"
  handlers:
    - name: h1
      command: "true"
`

    it('trust 15: force_handlers (play keyword): handlers run on the failed host, never on the unreachable one', async () => {
      const r = await both(forced('force_handlers: true'))
      expectSame(r)
      expect(r.rmReached.seq[H[0]!]).to.deep.equal(['notify:changed', 'drops its connection on one host:skipped', 'fails on one host:failed', 'h1:changed'])
      expect(r.rmReached.seq[H[1]!]).to.deep.equal(['notify:changed', 'drops its connection on one host:unreachable'])
      expect(pending(r.rm.events).map((e) => [e.host, e.why])).to.deep.equal([[H[1], 'unreachable']])
    })

    it('trust 15: --force-handlers (command line) does the same', async () => {
      const file = write(forced('vars: {}'))
      let out = ''
      const code = await main([file, '-i', inv, '--limit', H.join(','), '--force-handlers', '--json'], {
        out: (s) => (out += s),
        err: () => undefined,
        tty: false,
      })
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RunEvent)
      const ans = ansiblePlaybook(file, inv, ['--limit', H.join(','), '--force-handlers'])
      const rm = reachedByEvents(events)
      expect(rm.seq).to.deep.equal(ans.seq)
      expect(rm.stats).to.deep.equal(ans.stats)
      expect(rm.seq[H[0]!]).to.include('h1:changed')
      expect(code).to.equal(ans.exitCode)
    })

    it('trust 16: a handler notified many times runs once per flush, at the flush or the end, in definition order (a listen topic runs every listener)', async () => {
      const f = '/root/rmp-trust16'
      await Promise.all(H.slice(0, 2).map((h) => sh(inv, h, `rm -f ${f}`)))
      const r = await both(`- hosts: ${H[0]},${H[1]}
  gather_facts: false
  tasks:
    - name: t1
      command: "true"
      notify: [second, first]
    - name: t2
      command: "true"
      notify: second
    - meta: flush_handlers
    - name: t3
      command: "true"
      notify: [topic, second, second]
    - name: t4
      command: "true"
      notify: second
  handlers:
    - name: first
      shell: echo first >> ${f}
    - name: second
      shell: echo second >> ${f}
    - name: third
      shell: echo third >> ${f}
      listen: topic
    - name: fourth
      shell: echo fourth >> ${f}
      listen: topic
`)
      const seq = (r: Reached) => Object.fromEntries(Object.entries(r.seq).map(([h, s]) => [h, s.filter((x) => !x.startsWith('meta'))]))
      expect(seq(r.rmReached)).to.deep.equal(seq(r.ans))
      expect(r.rmReached.stats).to.deep.equal(r.ans.stats)
      expect(seq(r.rmReached)[H[0]!]).to.deep.equal([
        't1:changed',
        't2:changed',
        'first:changed',
        'second:changed',
        't3:changed',
        't4:changed',
        'second:changed',
        'third:changed',
        'fourth:changed',
      ])
      // both runs appended: rm-play's lines, then Ansible's same ones
      const want = 'first second second third fourth '.repeat(2).trim().split(' ')
      for (const h of H.slice(0, 2)) expect((await sh(inv, h, `cat ${f}`)).stdout.trim().split('\n')).to.deep.equal(want)
    })
  })

  it('trust 14: an unreachable host counts as failed for max_fail_percentage (Ansible leaves it out: ansible#56265)', async () => {
    const doc = parse(readFileSync(inv, 'utf8')) as { all: { children: { runmaster: { hosts: Record<string, Record<string, unknown>> } } } }
    doc.all.children.runmaster.hosts[H[1]!]!.ansible_port = 1
    const broken = write(stringify(doc), 'hosts.yml')
    const file = write(`- hosts: runmaster
  gather_facts: false
  serial: 4
  max_fail_percentage: 49
  tasks:
    - name: fails on one host
      shell: "test {{ inventory_hostname }} != ${H[0]}"
    - name: next
      command: "true"
`)
    const r = await playFile(file, { inventory: [broken], limit: H.join(',') })
    expect(r.stats[H[1]!]).to.include({ unreachable: 1 })
    expect(r.results('next')).to.deep.equal([])
    expect(r.text).to.include('max_fail_percentage 49% exceeded (2 of 4 hosts failed)')
  })

  describe('trust 18: Ctrl-C', function () {
    const F = '/root/rmp-trust18-never'
    const pb = (hosts: string, long = 'sleep 300') => `- hosts: ${hosts}
  gather_facts: false
  tasks:
    - name: long
      command: ${long}
    - name: never
      command: touch ${F}
`

    async function sleepers(h: string): Promise<string> {
      return (await sh(inv, h, 'pgrep -a -x sleep || true')).stdout.trim()
    }

    /**
     * Starts rm-play, waits until every host runs the sleep, sends SIGINT, and a second one once
     * the first is being handled if `twice`; returns what it printed.
     */
    async function interrupted(
      hosts: string[],
      args: string[],
      o: { twice?: boolean; long?: string } = {},
    ): Promise<{ code: number | null; out: string; err: string }> {
      await Promise.all(hosts.map((h) => sh(inv, h, `pkill -KILL -x sleep; rm -f ${F}; true`)))
      const child = spawn(process.execPath, [BIN, write(pb(hosts.join(','), o.long)), '-i', inv, '--no-color', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d))
      child.stderr.on('data', (d: Buffer) => {
        err += d
        if (o.twice && err.includes('stopping the commands')) child.kill('SIGINT')
      })
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
      for (let i = 0; i < 100; i++) {
        const running = await Promise.all(hosts.map(sleepers))
        if (running.every((s) => s.includes('sleep 300'))) break
        await new Promise((r) => setTimeout(r, 200))
      }
      child.kill('SIGINT')
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000))])
      if (code === null) child.kill('SIGKILL')
      return { code, out, err }
    }

    it('trust 18: stops the remote commands (no sleep left), starts nothing new, prints the recap marked interrupted, exits 130', async () => {
      const hosts = H.slice(0, 2)
      const r = await interrupted(hosts, [])
      expect(r.code, r.out + r.err).to.equal(130)
      expect(r.out).to.include('PLAY RECAP (INTERRUPTED)')
      for (const h of hosts) expect(r.out).to.match(new RegExp(`^${h} : ok=0 +changed=0 +unreachable=0 +failed=1`, 'm'))
      expect(r.out).not.to.include('TASK [never]')
      for (const h of hosts) {
        expect(await sleepers(h), h).to.equal('')
        expect((await sh(inv, h, `test -e ${F}`, true)).code, `${h}: the next task ran`).to.equal(1)
      }
    })

    it('trust 18: with --json the interrupt and the recap (interrupted: true) are events', async () => {
      const r = await interrupted([H[2]!], ['--json'])
      expect(r.code).to.equal(130)
      const events = r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RunEvent)
      expect(events.some((e) => e.type === 'interrupt')).to.equal(true)
      const recap = events.at(-1)!
      expect(recap).to.include({ type: 'recap', interrupted: true })
      expect(await sleepers(H[2]!)).to.equal('')
    })

    it('trust 18: an interrupted dpkg is reported, not left to be found by the next apt run', async () => {
      // what a dpkg killed between unpack and configure leaves behind
      await sh(inv, H[3]!, 'mkdir -p /var/lib/dpkg/updates && echo x > /var/lib/dpkg/updates/0000')
      try {
        const r = await interrupted([H[3]!], [])
        expect(r.code).to.equal(130)
        expect(r.out).to.include(`[WARNING]: [${H[3]}] dpkg was interrupted`)
      } finally {
        await sh(inv, H[3]!, 'rm -f /var/lib/dpkg/updates/0000')
      }
      const clean = await interrupted([H[3]!], [])
      expect(clean.out).not.to.include('dpkg was interrupted')
    })

    it('trust 18: a second Ctrl-C exits at once, without waiting for a command that ignores TERM', async () => {
      // the sleep ignores TERM: the first Ctrl-C gives it 3 s before KILL, the second does not wait
      const r = await interrupted([H[0]!], [], { twice: true, long: `sh -c 'trap "" TERM; sleep 300'` })
      expect(r.code).to.equal(130)
      expect(r.err).to.include('SIGINT again: exiting now')
      expect(await sleepers(H[0]!), 'rm-play waited for the KILL').to.include('sleep 300')
      await sh(inv, H[0]!, 'pkill -KILL -x sleep; true')
    })

    it('trust 18: a command that ignores TERM is killed after a grace period', async () => {
      const r = await interrupted([H[1]!], [], { long: `sh -c 'trap "" TERM; sleep 300'` })
      expect(r.code).to.equal(130)
      expect(await sleepers(H[1]!)).to.equal('')
    })

    it('trust 18: as a login user under sudo, the root-owned command is stopped too', async () => {
      const h = H[1]!
      await sh(
        inv,
        h,
        `id rmpstop >/dev/null 2>&1 || useradd -m -s /bin/sh rmpstop
         mkdir -p ~rmpstop/.ssh && cp /root/.ssh/authorized_keys ~rmpstop/.ssh/ && chown -R rmpstop: ~rmpstop/.ssh
         echo 'rmpstop ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/rmpstop && chmod 440 /etc/sudoers.d/rmpstop`,
      )
      const r = await interrupted([h], ['-u', 'rmpstop', '-e', 'ansible_user=rmpstop', '-b'])
      expect(r.code, r.out + r.err).to.equal(130)
      expect(await sleepers(h)).to.equal('')
    })

    it('trust 18: an upload stopped half-way leaves no temp file and the destination as it was', async () => {
      const h = H[0]!
      const dir = '/root/rmp-trust18-put'
      await sh(inv, h, `rm -rf ${dir}; mkdir ${dir}; echo old > ${dir}/dest; mkfifo ${dir}/fifo`)
      // a FIFO nobody writes to: the upload blocks with its temp file created, as on a slow link
      // its own connection: the helper's one answers the checks meanwhile
      const conn = new SshConnection(
        sshTargetFor(h, new VarScope(loadInventory([inv]).varLayers(h)).toObject(), { hostKeyChecking: 'yes', connectTimeoutMs: 10000 }),
      )
      try {
        await conn.exec(code('true'))
        const put = runStep(conn, { kind: 'put', path: `${dir}/dest`, content: '', from: `${dir}/fifo` }, {}).then(
          () => undefined,
          (e: unknown) => e,
        )
        for (let i = 0; i < 50 && !(await sh(inv, h, `ls -A ${dir}`)).stdout.includes('.rmp-tmp.'); i++) await new Promise((r) => setTimeout(r, 100))
        expect((await sh(inv, h, `ls -A ${dir}`)).stdout).to.include('.rmp-tmp.')
        const outcome = await conn.interrupt!()
        expect(outcome).to.include({ stopped: true })
        expect(await put).to.be.instanceOf(InterruptedError)
        expect((await sh(inv, h, `ls -A ${dir}`)).stdout.trim().split('\n').sort()).to.deep.equal(['dest', 'fifo'])
        expect((await sh(inv, h, `cat ${dir}/dest`)).stdout).to.equal('old\n')
      } finally {
        await conn.close()
      }
    })
  })
})
