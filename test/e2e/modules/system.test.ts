// Packages, services and accounts on real lab hosts (Debian, sysv-init, over SSH): apt, service,
// systemd, supervisor, user, group and cron. Each playbook goes through the same protocol:
// a --check --diff run that changes nothing on the host (snapshot before = after), a real run
// that changes exactly the tasks check mode predicted and leaves the host in the wanted state,
// and a second run that changes nothing.
//
// The four groups are independent, so each runs on its own host, all at once (package installs
// and supervisorctl's start-up dominate the time): a "lane" is a sequence of steps on one host;
// each step is reported as its own test, in order, and a failed step skips the rest of its lane.
import { expect } from 'chai'
import type { ExecResult } from '../../../src/connection/connection.js'
import { errorList, formatError } from '../../../src/playbook/errors.js'
import { ansiblePlay, hasAnsible } from '../../helpers/ansible.js'
import { converge, type Converged } from '../../helpers/converge.js'
import { sh, snapshot, snapshotDiff } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOptions, type PlayOutcome } from '../../helpers/run-playbook.js'

// sha512-crypt of "rmp-e2e" (the module takes hashes only).
const HASH = '$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'
const SECRET = 'Sup3r-s3cret-pw'

const pb = (tasks: string, vars = '') => `- hosts: runmaster\n  gather_facts: false\n${vars}  tasks:\n${tasks}`
/** What a task said it changes (or would change), uncertain ones marked. */
const said = (r: PlayOutcome, task: string) => r.results(task).flatMap((e) => e.changes.map((c) => `${c.summary}${c.uncertain ? ' [uncertain]' : ''}`))

/** One lab host and what the tests do on it. */
class Host {
  constructor(
    readonly lab: TestLab,
    readonly name: string,
  ) {}

  run(script: string, allowFail = false): Promise<ExecResult> {
    return sh(this.lab.inventory, this.name, script, allowFail)
  }

  async out(script: string): Promise<string> {
    return (await this.run(script)).stdout.trim()
  }

  play(yaml: string, o: PlayOptions = {}): Promise<PlayOutcome> {
    return play(yaml, { inventory: [this.lab.inventory], limit: this.name, ...o })
  }

  /** check (nothing changes) → real (what check predicted) → again (nothing to do). */
  converge(yaml: string): Promise<Converged> {
    return converge(this.lab.inventory, this.name, (o) => this.play(yaml, o))
  }

  /** The load-time errors of a playbook, formatted as the CLI prints them. */
  async loadErrors(yaml: string): Promise<string[]> {
    try {
      await this.play(yaml)
    } catch (e) {
      return errorList(e).map(formatError)
    }
    return []
  }
}

type Outcome = Error | undefined

/** Steps that run in order on one host, concurrently with the other lanes. */
class Lane {
  private readonly steps: { title: string; fn: (h: Host) => Promise<void> }[] = []
  private outcomes: Promise<Outcome>[] = []

  constructor(readonly hostIndex: number) {
    lanes.push(this)
  }

  step(title: string, fn: (h: Host) => Promise<void>): void {
    const i = this.steps.push({ title, fn }) - 1
    it(title, async () => {
      // A lane that never started has no outcomes: that is a failure, not a pass.
      if (i >= this.outcomes.length) throw new Error(`lane ${this.hostIndex} never started '${title}'`)
      const e = await this.outcomes[i]
      if (e) throw e
    })
  }

  start(h: Host): void {
    const settle: ((o: Outcome) => void)[] = []
    this.outcomes = this.steps.map(() => new Promise<Outcome>((r) => settle.push(r)))
    void (async () => {
      let failed: string | undefined
      for (const [i, s] of this.steps.entries()) {
        if (failed) {
          settle[i]!(new Error(`not run: '${failed}' failed before it on ${h.name}`))
          continue
        }
        try {
          await s.fn(h)
          settle[i]!(undefined)
        } catch (e) {
          failed = s.title
          settle[i]!(e instanceof Error ? e : new Error(String(e)))
        }
      }
    })()
  }
}

const lanes: Lane[] = []

describe('modules on lab hosts: apt, service, systemd, supervisor, user, group, cron', function () {
  let lab: TestLab
  let hosts: string[] = []

  before(async function () {
    lab = await testLab(4)
    hosts = lanes.map((l) => lab.names[l.hostIndex]!)
    // Package and service state from earlier tests would change what check mode predicts.
    await resetHosts(lab, hosts)
    for (const [i, l] of lanes.entries()) l.start(new Host(lab, hosts[i]!))
  })

  after(async function () {
    if (lab && hosts.length) await resetHosts(lab, hosts)
  })

  describe('apt', () => {
    const lane = new Lane(0)

    lane.step('update + one transaction for a list with pinned versions; check mode predicts it on a fresh host', async (h) => {
      const yaml = pb(`    - name: packages
      apt:
        name: [tree, "jq=1.6-2.1+deb12u2", "libjq1=1.6-2.1+deb12u2"]
        update_cache: true
        cache_valid_time: 3600
        install_recommends: false
`)
      const { check, real } = await h.converge(yaml)
      // The refresh beside packages is not a change of its own (Ansible reports the task by its
      // packages): it runs, but only the install is said.
      expect(said(check, 'packages')).to.deep.equal(['install tree jq libjq1 (not in the apt cache yet; known after the update) [uncertain]'])
      expect(check.text).to.include('+jq: 1.6-2.1+deb12u2')
      expect(real.text).to.include(
        '-tree: (absent)\n-jq: (absent)\n-libjq1: (absent)\n+tree: (from the updated cache)\n+jq: 1.6-2.1+deb12u2\n+libjq1: 1.6-2.1+deb12u2',
      )
      expect(await h.out(`dpkg-query -W -f '\${Version} \${db:Status-Abbrev}\\n' jq libjq1 tree`)).to.equal(
        '1.6-2.1+deb12u2 ii \n1.6-2.1+deb12u2 ii \n2.1.0-1 ii',
      )
      // One apt-get install for the three packages.
      expect(await h.out(`grep -c '^Commandline: apt-get .* install -- tree jq=1.6-2.1+deb12u2 libjq1=1.6-2.1+deb12u2$' /var/log/apt/history.log`)).to.equal(
        '1',
      )
    })

    lane.step('latest upgrades, absent + purge removes; the diff shows the versions', async (h) => {
      const yaml = pb(`    - name: newest jq
      apt: { name: [jq, libjq1], state: latest }
    - name: no tree
      apt: { name: tree, state: absent, purge: true }
`)
      const { check } = await h.converge(yaml)
      expect(said(check, 'newest jq')).to.deep.equal(['upgrade jq (1.6-2.1+deb12u2 → 1.6-2.1+deb12u3) libjq1 (1.6-2.1+deb12u2 → 1.6-2.1+deb12u3)'])
      expect(check.text).to.include('-jq: 1.6-2.1+deb12u2\n-libjq1: 1.6-2.1+deb12u2\n+jq: 1.6-2.1+deb12u3\n+libjq1: 1.6-2.1+deb12u3')
      expect(check.text).to.include('-tree: 2.1.0-1\n+tree: (absent)')
      expect(await h.out(`dpkg-query -W -f '\${Version}\\n' jq`)).to.equal('1.6-2.1+deb12u3')
      expect((await h.run('dpkg -s tree', true)).code).to.not.equal(0)
    })

    lane.step('a package that does not exist fails clearly; a bad name fails at load time with its position', async (h) => {
      const r = await h.play(
        pb(`    - name: ghost
      apt: { name: rmp-no-such-package }
`),
      )
      expect(r.exitCode).to.equal(2)
      expect(r.results('ghost')[0]!.msg).to.equal(
        "No package matching 'rmp-no-such-package' is available (maybe the package lists are out of date: add update_cache: true)",
      )
      const errs = await h.loadErrors(
        pb(`    - name: bad
      apt: { name: "Bad Name" }
`),
      )
      expect(errs).to.have.length(1)
      expect(errs[0]).to.match(/site\.yml:5:\d+: apt: 'Bad Name' is not a Debian package name/)
    })
  })

  describe('service and systemd (sysv-init host)', () => {
    const lane = new Lane(1)

    lane.step('installs cron and supervisor, then stops and disables cron; check mode: "not installed yet"', async (h) => {
      const yaml = pb(`    - name: daemons
      apt: { name: [cron, supervisor], install_recommends: false, update_cache: true, cache_valid_time: 3600 }
    - name: cron off
      service: { name: cron, state: stopped, enabled: false }
`)
      const { check, real } = await h.converge(yaml)
      expect(said(check, 'cron off')).to.deep.equal(['stop and disable cron (not installed yet) [uncertain]'])
      expect(check.text).to.include(`would run: [${h.name}] stop and disable cron (not installed yet)`)
      expect(real.text).to.include('-cron: running, enabled\n+cron: stopped, disabled')
      expect((await h.run('/etc/init.d/cron status', true)).code).to.equal(3)
      expect(await h.out('ls /etc/rc2.d /etc/rc5.d | grep cron')).to.equal('K01cron\nK01cron')
    })

    lane.step('starts and enables it (diff before/after); restarted acts every time', async (h) => {
      const { check } = await h.converge(
        pb(`    - name: cron on
      service: { name: cron, state: started, enabled: true }
`),
      )
      expect(said(check, 'cron on')).to.deep.equal(['enable cron, start cron'])
      expect(check.text).to.include('-cron: stopped, disabled\n+cron: running, enabled')
      expect((await h.run('/etc/init.d/cron status')).code).to.equal(0)
      expect(await h.out('ls /etc/rc2.d /etc/rc5.d | grep cron')).to.equal('S01cron\nS01cron')
      const pid = await h.out('pidof cron')
      const restart = pb(`    - name: bounce
      service: { name: cron, state: restarted }
`)
      const r1 = await h.play(restart)
      expect(r1.changed(h.name), r1.text).to.equal(1)
      const pid2 = await h.out('pidof cron')
      expect(pid2).to.match(/^\d+$/)
      expect(pid2).to.not.equal(pid)
      const r2 = await h.play(restart)
      expect(r2.changed(h.name)).to.equal(1)
    })

    lane.step('a service that does not exist: uncertain in check mode, a clear error for real; systemd refuses sysv', async (h) => {
      const yaml = pb(`    - name: ghost
      service: { name: rmp-no-such-svc, state: started }
`)
      const c = await h.play(yaml, { check: true })
      expect(said(c, 'ghost')).to.deep.equal(['start rmp-no-such-svc (not installed yet) [uncertain]'])
      const r = await h.play(yaml)
      expect(r.results('ghost')[0]!.status).to.equal('failed')
      expect(r.results('ghost')[0]!.msg).to.equal(
        'service: could not find the requested service rmp-no-such-svc (no /etc/init.d/rmp-no-such-svc on this sysvinit host; is its package installed?)',
      )
      const s = await h.play(
        pb(`    - name: unit
      systemd: { name: cron, state: started, daemon_reload: true }
`),
        { check: true },
      )
      expect(s.results('unit')[0]!.status).to.equal('failed')
      expect(s.results('unit')[0]!.msg).to.equal('systemd module needs systemd; this host uses sysvinit — use service')
    })

    lane.step('restarted and reloaded in check mode are predicted changes that touch nothing: the pid stays', async (h) => {
      const pid = await h.out('pidof cron')
      expect(pid).to.match(/^\d+$/)
      const before = await snapshot(h.lab.inventory, h.name)
      const c = await h.play(
        pb(`    - name: bounce
      service: { name: cron, state: restarted }
    - name: refresh
      service: { name: cron, state: reloaded }
`),
        { check: true },
      )
      expect(c.exitCode, c.text).to.equal(0)
      expect(c.changedTasks()).to.deep.equal(['bounce', 'refresh'])
      expect(await h.out('pidof cron')).to.equal(pid)
      expect(snapshotDiff(before, await snapshot(h.lab.inventory, h.name)), 'check mode changed the host').to.deep.equal([])
    })
  })

  describe('supervisor', () => {
    const lane = new Lane(2)
    const status = (h: Host) => h.out("supervisorctl status | grep rmp-e2e | awk '{print $1, $2}'")
    const worker = (stopwait: number, state = 'started') => `    - name: worker
      supervisor:
        name: rmp-e2e-worker
        command: /bin/sleep 1000
        numprocs: 2
        startsecs: 0
        autorestart: true
        stopwaitsecs: ${stopwait}
        environment: { APP_MODE: "e2e 100%", DB_PASSWORD: "{{ db_password }}" }
        state: ${state}
`
    const vars = `  vars: { db_password: ${SECRET} }\n`

    lane.step('defines a numprocs 2 program with a secret environment and an idle one; secrets never shown', async (h) => {
      const setup = await h.play(pb(`    - apt: { name: supervisor, install_recommends: false, update_cache: true, cache_valid_time: 3600 }\n`))
      expect(setup.exitCode, setup.text).to.equal(0)
      const { check, real } = await h.converge(
        pb(
          `${worker(5)}    - name: idle
      supervisor: { name: rmp-e2e-idle, command: /bin/sleep 999, autostart: false, startsecs: 0 }
`,
          vars,
        ),
      )
      expect(said(check, 'worker')).to.deep.equal([
        'write /etc/supervisor/conf.d/rmp-e2e-worker.conf (mode 0600); reread and update rmp-e2e-worker; start rmp-e2e-worker',
      ])
      expect(check.text).to.include('+[program:rmp-e2e-worker]\n+command=/bin/sleep 1000\n+process_name=%(program_name)s_%(process_num)02d\n+numprocs=2\n')
      // The diff shows the file as written (supervisor's %% for a %), the secret masked by the run.
      expect(check.text).to.include('+environment=APP_MODE="e2e 100%%",DB_PASSWORD="********"')
      for (const r of [check, real]) expect(r.text).to.not.include(SECRET)
      expect(await status(h)).to.equal('rmp-e2e-idle STOPPED\nrmp-e2e-worker:rmp-e2e-worker_00 RUNNING\nrmp-e2e-worker:rmp-e2e-worker_01 RUNNING')
      expect(await h.out('stat -c "%a %U" /etc/supervisor/conf.d/rmp-e2e-worker.conf /etc/supervisor/conf.d/rmp-e2e-idle.conf')).to.equal('600 root\n644 root')
      expect(await h.out('grep ^environment= /etc/supervisor/conf.d/rmp-e2e-worker.conf')).to.equal(`environment=APP_MODE="e2e 100%%",DB_PASSWORD="${SECRET}"`)
      const pid = await h.out("supervisorctl pid 'rmp-e2e-worker:rmp-e2e-worker_00'")
      expect(await h.out(`tr '\\0' '\\n' < /proc/${pid}/environ | grep -E '^(APP_MODE|DB_PASSWORD)='`)).to.equal(`APP_MODE=e2e 100%\nDB_PASSWORD=${SECRET}`)
    })

    lane.step('a changed definition is reread and updated (its processes restart), others are untouched; supervisorctl-style stop', async (h) => {
      const pids = await h.out('supervisorctl pid all')
      const { check } = await h.converge(
        pb(
          `${worker(6)}    - name: idle up
      supervisorctl: { name: rmp-e2e-idle, state: started }
`,
          vars,
        ),
      )
      expect(check.changedTasks()).to.deep.equal(['worker', 'idle up'])
      expect(check.text).to.include('-stopwaitsecs=5\n+stopwaitsecs=6')
      expect(await status(h)).to.equal('rmp-e2e-idle RUNNING\nrmp-e2e-worker:rmp-e2e-worker_00 RUNNING\nrmp-e2e-worker:rmp-e2e-worker_01 RUNNING')
      expect(await h.out('supervisorctl pid all')).to.not.equal(pids)
      const { real } = await h.converge(
        pb(`    - name: all stopped
      supervisorctl: { name: rmp-e2e-worker, state: stopped }
    - name: idle stopped
      supervisorctl: { name: "rmp-e2e-idle:", state: stopped }
`),
      )
      expect(real.text).to.include('-rmp-e2e-worker: 2/2 running\n+rmp-e2e-worker: 0/2 running')
      expect(await status(h)).to.equal('rmp-e2e-idle STOPPED\nrmp-e2e-worker:rmp-e2e-worker_00 STOPPED\nrmp-e2e-worker:rmp-e2e-worker_01 STOPPED')
    })

    lane.step('starts supervisord when it is down (check mode leaves it down)', async (h) => {
      // The init script returns before supervisord and its children are gone.
      await h.run(
        'service supervisor stop; i=0; while supervisorctl pid >/dev/null 2>&1 || pgrep -x sleep >/dev/null; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done',
      )
      const { check } = await h.converge(pb(worker(6), vars))
      expect(said(check, 'worker')).to.deep.equal(['start supervisord; start rmp-e2e-worker'])
      expect(await status(h)).to.equal('rmp-e2e-idle STOPPED\nrmp-e2e-worker:rmp-e2e-worker_00 RUNNING\nrmp-e2e-worker:rmp-e2e-worker_01 RUNNING')
    })

    lane.step('a definition supervisor rejects never replaces the file; bad values fail at load time', async (h) => {
      const r = await h.play(
        pb(`    - name: bad user
      supervisor: { name: rmp-e2e-bad, command: /bin/true, user: rmp-no-such-user }
`),
      )
      expect(r.exitCode).to.equal(2)
      expect(r.results('bad user')[0]!.msg).to.include(
        "supervisor rejects the definition: Invalid user name rmp-no-such-user in section 'program:rmp-e2e-bad' (file: '/etc/supervisor/conf.d/rmp-e2e-bad.conf')",
      )
      expect(await h.out('ls -A /etc/supervisor/conf.d')).to.equal('rmp-e2e-idle.conf\nrmp-e2e-worker.conf')
      const errs = await h.loadErrors(
        pb(`    - name: comment
      supervisor: { name: rmp-e2e-x, command: "run ; echo" }
`),
      )
      expect(errs).to.have.length(1)
      expect(errs[0]).to.match(/site\.yml:5:\d+: supervisor: command: supervisor reads a space followed by ';' or '#' as the start of a comment/)
    })

    lane.step("supervisorctl agrees with Ansible's community.general.supervisorctl: the same changed flags and end state", async (h) => {
      if (!hasAnsible()) return
      const tasks = `    - name: idle stopped
      community.general.supervisorctl: { name: rmp-e2e-idle, state: stopped }
    - name: idle started
      community.general.supervisorctl: { name: rmp-e2e-idle, state: started }
    - name: idle started again
      community.general.supervisorctl: { name: rmp-e2e-idle, state: started }
    - name: worker group restarted
      community.general.supervisorctl: { name: "rmp-e2e-worker:", state: restarted }
    - name: worker group stopped
      community.general.supervisorctl: { name: "rmp-e2e-worker:", state: stopped }
    - name: idle present
      community.general.supervisorctl: { name: rmp-e2e-idle, state: present }
`
      const start = 'supervisorctl stop rmp-e2e-idle >/dev/null; supervisorctl start "rmp-e2e-worker:*" >/dev/null; true'
      await h.run(start)
      const ours = await h.play(pb(tasks))
      expect(ours.exitCode, ours.text).to.equal(0)
      const ourEnd = await status(h)
      await h.run(start)
      const theirs = await ansiblePlay(pb(tasks), { inventory: h.lab.inventory, limit: h.name })
      expect(theirs.code, theirs.stderr).to.equal(0)
      expect(ours.changedTasks()).to.deep.equal(theirs.changedTasks())
      expect(ours.changedTasks()).to.deep.equal(['idle started', 'worker group restarted', 'worker group stopped'])
      expect(await status(h)).to.equal(ourEnd)
      expect(ourEnd).to.equal('rmp-e2e-idle RUNNING\nrmp-e2e-worker:rmp-e2e-worker_00 STOPPED\nrmp-e2e-worker:rmp-e2e-worker_01 STOPPED')
    })

    lane.step('absent stops, removes and deletes both programs', async (h) => {
      const { check } = await h.converge(
        pb(`    - name: worker gone
      supervisor: { name: rmp-e2e-worker, state: absent }
    - name: idle gone
      supervisor: { name: rmp-e2e-idle, state: absent }
`),
      )
      expect(said(check, 'worker gone')).to.deep.equal(['remove rmp-e2e-worker and /etc/supervisor/conf.d/rmp-e2e-worker.conf'])
      expect(await status(h)).to.equal('')
      expect(await h.out('ls -A /etc/supervisor/conf.d')).to.equal('')
      expect((await h.run('pgrep -x sleep', true)).code).to.equal(1)
    })
  })

  describe('group, user and cron', () => {
    const lane = new Lane(3)

    lane.step('creates groups and a user with ids, groups and a hashed password; the diff never shows the hash', async (h) => {
      const { check, real } = await h.converge(
        pb(`    - name: app group
      group: { name: rmp-e2e-app, gid: 4321 }
    - name: sys group
      group: { name: rmp-e2e-sys, system: true }
    - name: account
      user:
        name: rmp-e2e
        uid: 4321
        group: rmp-e2e-app
        groups: [rmp-e2e-sys]
        shell: /bin/bash
        home: /home/rmp-e2e
        comment: RMP e2e
        password: "${HASH}"
`),
      )
      // The groups come from the tasks before: in check mode the account can only be uncertain.
      expect(said(check, 'account')).to.deep.equal(['create user rmp-e2e (groups rmp-e2e-app, rmp-e2e-sys do not exist yet) [uncertain]'])
      expect(check.text).to.include('-group rmp-e2e-app: (absent)\n+group rmp-e2e-app: present (gid 4321)')
      expect(real.text).to.include(
        '+  uid: 4321\n+  group: rmp-e2e-app\n+  groups: rmp-e2e-sys\n+  shell: /bin/bash\n+  home: /home/rmp-e2e\n+  comment: RMP e2e\n+  password: (set)',
      )
      for (const r of [check, real]) expect(r.text).to.not.include('qFmFH')
      expect(await h.out('getent passwd rmp-e2e')).to.equal('rmp-e2e:x:4321:4321:RMP e2e:/home/rmp-e2e:/bin/bash')
      expect(await h.out('id -Gn rmp-e2e')).to.equal('rmp-e2e-app rmp-e2e-sys')
      expect(await h.out('getent shadow rmp-e2e | cut -d: -f2')).to.equal(HASH)
      expect(await h.out('stat -c %U /home/rmp-e2e')).to.equal('rmp-e2e')
      expect(Number(await h.out('getent group rmp-e2e-sys | cut -d: -f3'))).to.be.lessThan(1000)
    })

    lane.step('changes a shell and appends a group; then removes the user (with its home) and the groups', async (h) => {
      const { real } = await h.converge(
        pb(`    - name: account
      user: { name: rmp-e2e, shell: /bin/sh, groups: [users], append: true }
`),
      )
      expect(said(real, 'account')).to.deep.equal(['update user rmp-e2e: groups, shell'])
      expect(await h.out('getent passwd rmp-e2e | cut -d: -f7')).to.equal('/bin/sh')
      expect(await h.out('id -Gn rmp-e2e')).to.equal('rmp-e2e-app users rmp-e2e-sys')
      await h.converge(
        pb(`    - name: no account
      user: { name: rmp-e2e, state: absent, remove: true }
    - name: no groups
      group: { name: "{{ item }}", state: absent }
      loop: [rmp-e2e-app, rmp-e2e-sys]
`),
      )
      expect((await h.run('getent passwd rmp-e2e', true)).code).to.equal(2)
      expect((await h.run('getent group rmp-e2e-app rmp-e2e-sys', true)).code).to.equal(2)
      expect((await h.run('test -e /home/rmp-e2e', true)).code).to.equal(1)
    })

    lane.step('cron: recognises an entry Ansible wrote; adds a job, a variable and a cron.d file; removes them', async (h) => {
      const setup = await h.play(pb(`    - apt: { name: cron, install_recommends: false, update_cache: true, cache_valid_time: 3600 }\n`))
      expect(setup.exitCode, setup.text).to.equal(0)
      const crontab = () => h.out('crontab -u rmp-e2e-cron -l')
      await h.run(
        `useradd -m rmp-e2e-cron && printf '#Ansible: legacy job\\n15 1 * * * /usr/bin/legacy\\n# written by hand\\n0 0 * * 0 /bin/true weekly\\n' | crontab -u rmp-e2e-cron -`,
      )
      const { check, real } = await h.converge(
        pb(`    - name: legacy
      cron: { name: legacy job, minute: "15", hour: "1", job: /usr/bin/legacy, user: rmp-e2e-cron }
    - name: new job
      cron: { name: rmp e2e job, minute: "*/10", job: /bin/true e2e, user: rmp-e2e-cron }
    - name: path
      cron: { name: PATH, env: true, job: "/usr/local/bin:/usr/bin:/bin", user: rmp-e2e-cron }
    - name: cron.d
      cron: { name: rmp e2e daily, special_time: daily, job: /bin/true daily, user: rmp-e2e-cron, cron_file: rmp-e2e }
`),
      )
      expect(check.changedTasks()).to.deep.equal(['new job', 'path', 'cron.d'])
      expect(real.text).to.include(' 0 0 * * 0 /bin/true weekly\n+#Ansible: rmp e2e job\n+*/10 * * * * /bin/true e2e')
      expect(await crontab()).to.equal(
        'PATH="/usr/local/bin:/usr/bin:/bin"\n#Ansible: legacy job\n15 1 * * * /usr/bin/legacy\n# written by hand\n0 0 * * 0 /bin/true weekly\n#Ansible: rmp e2e job\n*/10 * * * * /bin/true e2e',
      )
      expect(await h.out('stat -c "%a %U" /etc/cron.d/rmp-e2e && cat /etc/cron.d/rmp-e2e')).to.equal(
        '644 root\n#Ansible: rmp e2e daily\n@daily rmp-e2e-cron /bin/true daily',
      )

      const { check: c2 } = await h.converge(
        pb(`    - name: drop jobs
      cron: { name: "{{ item }}", state: absent, user: rmp-e2e-cron }
      loop: [legacy job, rmp e2e job]
    - name: drop file
      cron: { cron_file: rmp-e2e, state: absent }
`),
      )
      expect(c2.text).to.include('-#Ansible: legacy job\n-15 1 * * * /usr/bin/legacy')
      expect(await crontab()).to.equal('PATH="/usr/local/bin:/usr/bin:/bin"\n# written by hand\n0 0 * * 0 /bin/true weekly')
      expect((await h.run('test -e /etc/cron.d/rmp-e2e', true)).code).to.equal(1)
      await h.run('crontab -u rmp-e2e-cron -r; userdel -r rmp-e2e-cron')
    })

    lane.step('cron: a crontab for a user an earlier task creates is uncertain in check mode; cron.d names cron would ignore fail at load time', async (h) => {
      const { check } = await h.converge(
        pb(`    - name: user
      user: { name: rmp-e2e-cron2, create_home: false }
    - name: job
      cron: { name: tick, job: /bin/true, user: rmp-e2e-cron2 }
`),
      )
      expect(said(check, 'job')).to.deep.equal(["add job 'tick' in crontab of rmp-e2e-cron2 (user rmp-e2e-cron2 does not exist yet) [uncertain]"])
      expect(await h.out('crontab -u rmp-e2e-cron2 -l')).to.equal('#Ansible: tick\n* * * * * /bin/true')
      await h.run('crontab -u rmp-e2e-cron2 -r; userdel rmp-e2e-cron2')
      const errs = await h.loadErrors(
        pb(`    - name: dotted
      cron: { name: x, job: /bin/true, cron_file: my.cron }
`),
      )
      expect(errs[0]).to.match(/site\.yml:5:\d+: cron: cron ignores \/etc\/cron\.d files whose names are not only letters, digits, _ and - \(got 'my\.cron'\)/)
    })
  })
})
