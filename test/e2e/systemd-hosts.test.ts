// The service and systemd modules on systemd lab hosts (systemd as pid 1, booted by nspawn), with
// the real ansible-playbook as the judge: each playbook converges on one host with rm-play (check
// changes nothing → real run → a second run with changed=0) and runs twice with Ansible on another
// host; both must report the same tasks changed and leave the same unit state (is-enabled,
// is-active, NeedDaemonReload).
import { expect } from 'chai'
import { ansiblePlay } from '../helpers/ansible.js'
import { converge, type Converged } from '../helpers/converge.js'
import { eventually } from '../helpers/eventually.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { play, type PlayOutcome } from '../helpers/run-playbook.js'

const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
const said = (r: PlayOutcome, task: string) => r.results(task).flatMap((e) => e.changes.map((c) => `${c.summary}${c.uncertain ? ' [uncertain]' : ''}`))

// In /lib/systemd/system, as a package ships it: a unit file in /etc/systemd/system cannot be masked.
const UNIT = '/lib/systemd/system/rmp-demo.service'
const unitFile = (description: string) =>
  `[Unit]\\nDescription=${description}\\n[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n`

describe('service and systemd modules on systemd lab hosts, against ansible-playbook', function () {
  this.timeout(10 * 60 * 1000)
  let lab: TestLab
  let ours: string
  let theirs: string

  const out = async (host: string, script: string) => (await sh(lab.inventory, host, script, true)).stdout.trim()
  /** What systemd says of units, the same words on both hosts when they agree. */
  const unitState = (host: string, units: string[]) =>
    out(
      host,
      units
        .map(
          (u) =>
            `printf '%s %s %s %s\\n' ${u} "$(systemctl is-enabled ${u} 2>/dev/null)" "$(systemctl is-active ${u} 2>/dev/null)" "$(systemctl show -p NeedDaemonReload --value ${u})"`,
        )
        .join('; '),
    )

  /** rm-play converges on one host, Ansible runs twice on the other; the changed tasks and the end state agree. */
  async function agree(yaml: string, units: string[]): Promise<Converged> {
    const c = await converge(lab.inventory, ours, (o) => play(yaml, { inventory: [lab.inventory], limit: ours, ...o }))
    const first = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(first.code, `${first.stderr}\n${JSON.stringify(first.tasks)}`).to.equal(0)
    const second = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(second.code, second.stderr).to.equal(0)
    expect(c.real.changedTasks(), 'changed tasks: rm-play vs ansible-playbook').to.deep.equal(first.changedTasks())
    expect(c.again.changedTasks()).to.deep.equal(second.changedTasks())
    expect(second.changedTasks()).to.deep.equal([])
    // A unit that was just started may still be activating: compare once both settled.
    await eventually(
      async () => {
        expect((await unitState(ours, units)).replaceAll(ours, 'HOST')).to.equal((await unitState(theirs, units)).replaceAll(theirs, 'HOST'))
      },
      { timeoutMs: 20_000 },
    )
    return c
  }

  before(async function () {
    lab = await testLab(2, { init: 'systemd' })
    ;[ours, theirs] = lab.names as [string, string]
    await resetHosts(lab, [ours, theirs])
  })

  after(async function () {
    if (lab) await resetHosts(lab, [ours, theirs])
  })

  it('the hosts boot systemd as pid 1 and are running (no failed units)', async () => {
    for (const h of [ours, theirs]) {
      expect(await out(h, 'ps -p 1 -o comm=')).to.equal('systemd')
      await eventually(async () => expect(await out(h, 'systemctl is-system-running')).to.equal('running'), { timeoutMs: 30_000 })
    }
  })

  it('a unit file written, then daemon_reload, enabled and started: changed as Ansible, then changed=0', async () => {
    const c = await agree(
      pb(`    - name: unit file
      copy: { dest: ${UNIT}, content: "${unitFile('rm-play demo')}" }
    - name: reload
      systemd: { name: rmp-demo, daemon_reload: true }
    - name: start it
      systemd: { name: rmp-demo, state: started, enabled: true }
`),
      ['rmp-demo'],
    )
    expect(c.real.changedTasks()).to.deep.equal(['unit file', 'start it'])
    expect(said(c.check, 'start it')).to.deep.equal(['start and enable rmp-demo (not installed yet) [uncertain]'])
    expect(await unitState(ours, ['rmp-demo'])).to.equal('rmp-demo enabled active no')
    // the service module reads the same state: nothing to do
    const s = await agree(
      pb(`    - name: service agrees
      service: { name: rmp-demo, state: started, enabled: true }
`),
      ['rmp-demo'],
    )
    expect(s.real.changedTasks()).to.deep.equal([])
  })

  it('an edited unit file: daemon_reload reloads (NeedDaemonReload goes), reported ok as Ansible does', async () => {
    const c = await agree(
      pb(`    - name: unit file
      copy: { dest: ${UNIT}, content: "${unitFile('rm-play demo, edited')}" }
    - name: reload
      systemd: { name: rmp-demo, daemon_reload: true }
`),
      ['rmp-demo'],
    )
    expect(c.real.changedTasks()).to.deep.equal(['unit file'])
    expect(await out(ours, 'systemctl show -p Description --value rmp-demo')).to.equal('rm-play demo, edited')
  })

  it('daemon_reload without a name runs every time and is not a change (as Ansible)', async () => {
    await sh(lab.inventory, ours, `sed -i 's/edited/edited again/' ${UNIT}`)
    await sh(lab.inventory, theirs, `sed -i 's/edited/edited again/' ${UNIT}`)
    await agree(
      pb(`    - name: reload all
      systemd: { daemon_reload: true }
`),
      ['rmp-demo'],
    )
    expect(await out(ours, 'systemctl show -p Description --value rmp-demo')).to.equal('rm-play demo, edited again')
  })

  it('stopped and disabled, with service and with systemd', async () => {
    const c = await agree(
      pb(`    - name: stop it
      service: { name: rmp-demo, state: stopped, enabled: false }
`),
      ['rmp-demo'],
    )
    expect(c.real.changedTasks()).to.deep.equal(['stop it'])
    const again = await agree(
      pb(`    - name: still stopped
      systemd: { name: rmp-demo.service, state: stopped, enabled: false }
`),
      ['rmp-demo'],
    )
    expect(again.real.changedTasks()).to.deep.equal([])
    expect(await unitState(ours, ['rmp-demo'])).to.equal('rmp-demo disabled inactive no')
  })

  it('masked, then unmasked, enabled and started again', async () => {
    const masked = await agree(
      pb(`    - name: mask
      systemd: { name: rmp-demo, masked: true }
`),
      ['rmp-demo'],
    )
    expect(masked.real.changedTasks()).to.deep.equal(['mask'])
    expect(await out(ours, 'systemctl is-enabled rmp-demo')).to.equal('masked')
    const back = await agree(
      pb(`    - name: unmask and start
      systemd: { name: rmp-demo, masked: false, enabled: true, state: started }
`),
      ['rmp-demo'],
    )
    expect(back.real.changedTasks()).to.deep.equal(['unmask and start'])
    expect(await unitState(ours, ['rmp-demo'])).to.equal('rmp-demo enabled active no')
  })

  it('a packaged service (cron, with its init script too) through service and systemd', async () => {
    const c = await agree(
      pb(`    - name: cron
      apt: { name: cron, install_recommends: false, update_cache: true, cache_valid_time: 3600 }
    - name: stop cron
      service: { name: cron, state: stopped, enabled: false }
`),
      ['cron'],
    )
    // under systemd the package's postinst enabled and started it
    expect(c.real.changedTasks()).to.deep.equal(['cron', 'stop cron'])
    expect(await unitState(ours, ['cron'])).to.equal('cron disabled inactive no')
    const unit = await agree(
      pb(`    - name: cron unit stopped
      systemd: { name: cron, state: stopped, enabled: false }
`),
      ['cron'],
    )
    expect(unit.real.changedTasks()).to.deep.equal([])
    const on = await agree(
      pb(`    - name: start cron
      service: { name: cron, state: started, enabled: true }
`),
      ['cron'],
    )
    expect(on.real.changedTasks()).to.deep.equal(['start cron'])
    expect(await unitState(ours, ['cron'])).to.equal('cron enabled active no')
  })

  it('restarted acts every time (a new main pid), as in Ansible', async () => {
    const yaml = pb(`    - name: bounce
      systemd: { name: rmp-demo, state: restarted }
`)
    const pid = await out(ours, 'systemctl show -p MainPID --value rmp-demo')
    const r = await play(yaml, { inventory: [lab.inventory], limit: ours })
    expect(r.changedTasks(), r.text).to.deep.equal(['bounce'])
    const a = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(a.changedTasks()).to.deep.equal(['bounce'])
    const pid2 = await out(ours, 'systemctl show -p MainPID --value rmp-demo')
    expect(pid2).to.match(/^[1-9]\d*$/)
    expect(pid2).to.not.equal(pid)
  })

  it('a unit that does not exist: the same failure as Ansible', async () => {
    const yaml = pb(`    - name: ghost
      systemd: { name: rmp-no-such-unit, state: started }
`)
    const r = await play(yaml, { inventory: [lab.inventory], limit: ours })
    expect(r.results('ghost')[0]!.status).to.equal('failed')
    const a = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(a.tasks[0]!.failed).to.equal(true)
    expect(r.results('ghost')[0]!.msg).to.match(/could not find the requested service rmp-no-such-unit/i)
    expect(a.tasks[0]!.msg).to.match(/could not find the requested service rmp-no-such-unit/i)
  })
})
