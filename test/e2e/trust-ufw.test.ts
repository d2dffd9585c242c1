// Trust 20 on a lab host: ufw must not lock rm-play out of the host it manages. A policy already
// set runs no command; `changed` is right while ufw is inactive; enabling a deny-incoming firewall
// without a rule for the SSH port is refused (and --check says so); the rule may come from an
// earlier task of the same run; `allow_lockout: true` really does cut off new SSH connections.
import { expect } from 'chai'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { play, type PlayOutcome } from '../helpers/run-playbook.js'
import { knock } from '../helpers/knock.js'

describe('trust 20: ufw on a lab host', function () {
  let lab: TestLab
  let host: string
  let address: string
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
  const run = (tasks: string, check = false) => play(pb(tasks), { inventory: [lab.inventory], limit: host, check })
  const out = async (script: string) => (await sh(lab.inventory, host, script)).stdout.trim()
  const summaries = (r: PlayOutcome, task: string) => r.results(task).flatMap((e) => e.changes.map((c) => c.summary))

  before(async function () {
    lab = await testLab(4)
    host = lab.names[3]!
    address = lab.hosts[3]!.address
    await resetHosts(lab, [host])
    const r = await run('    - apt: { name: ufw, update_cache: true, install_recommends: false }\n')
    expect(r.exitCode, r.text).to.equal(0)
  })
  after(async function () {
    if (lab) await resetHosts(lab, [host])
  })

  it('trust 20: a default policy already set runs no command; changed is right while ufw is inactive', async () => {
    expect(await out('ufw status')).to.equal('Status: inactive')
    const tasks = `    - name: policy
      ufw: { default: deny, direction: incoming }
    - name: routed
      ufw: { default: reject, direction: routed }
    - name: web
      ufw: { rule: allow, port: "80", proto: tcp }
    - name: off
      ufw: { state: disabled }
    - name: reload
      ufw: { state: reloaded }
`
    const check = await run(tasks, true)
    const real = await run(tasks)
    const again = await run(tasks)
    expect(real.exitCode, real.text).to.equal(0)
    // Ansible's ufw reports a policy change on an inactive ufw as unchanged (it compares
    // `ufw status verbose`, which says only "Status: inactive"); rm-play reads /etc/default/ufw.
    expect(real.changedTasks()).to.deep.equal(['routed', 'web'])
    expect(check.changedTasks()).to.deep.equal(real.changedTasks())
    expect(again.changedTasks()).to.deep.equal([])
    expect(summaries(real, 'policy')).to.deep.equal([])
    expect(await out("grep -c '^### tuple ### allow tcp 80 ' /etc/ufw/user.rules")).to.equal('1')
    expect(await out('grep ^DEFAULT_FORWARD_POLICY= /etc/default/ufw')).to.equal('DEFAULT_FORWARD_POLICY="REJECT"')
    expect(await out('ufw status')).to.equal('Status: inactive')
  })

  it('trust 20: enabling deny-incoming with no rule for the SSH port is refused, and --check says so; the host stays reachable', async () => {
    const tasks = '    - name: enable\n      ufw: { state: enabled }\n'
    const check = await run(tasks, true)
    expect(check.exitCode, check.text).to.equal(0)
    const [c] = check.results('enable')[0]!.changes
    expect(c).to.include({ uncertain: true })
    expect(c!.summary).to.match(
      /^enable ufw — a real run refuses this unless an earlier task allows 22\/tcp: no rule allows the port of this SSH connection \(22\/tcp from 10\.231\.\d+\.1\)/,
    )
    const real = await run(tasks)
    expect(real.exitCode).to.equal(2)
    expect(real.results('enable')[0]!.msg).to.match(/refusing to enable ufw: .*allow_lockout: true/)
    expect(await out('ufw status')).to.equal('Status: inactive')
    expect(await knock(address, 22)).to.equal('open')
  })

  it('trust 20: the SSH rule may come from an earlier task of the same run; then the firewall is on and SSH still answers', async () => {
    const tasks = `    - name: ssh
      ufw: { rule: limit, port: "22", proto: tcp }
    - name: enable
      ufw: { state: enabled }
`
    const real = await run(tasks)
    expect(real.exitCode, real.text).to.equal(0)
    expect(real.changedTasks()).to.deep.equal(['ssh', 'enable'])
    expect(await out('ufw status | head -1')).to.equal('Status: active')
    expect(await knock(address, 22)).to.equal('open')
    expect(await knock(address, 8081)).to.equal('silent')
    // Deleting the only SSH rule of an active deny firewall is refused the same way.
    const del = await run('    - name: drop ssh\n      ufw: { rule: limit, port: "22", proto: tcp, delete: true }\n')
    expect(del.exitCode).to.equal(2)
    expect(del.results('drop ssh')[0]!.msg).to.match(/refusing to delete rule: limit in tcp from any to any port 22: no rule allows the port/)
    expect(await knock(address, 22)).to.equal('open')
  })

  it('trust 20: allow_lockout: true is obeyed, and the guard was right: new SSH connections are then dropped', async () => {
    const r = await run('    - name: cut\n      ufw: { rule: limit, port: "22", proto: tcp, delete: true, allow_lockout: true }\n')
    expect(r.exitCode, r.text).to.equal(0)
    expect(await knock(address, 22)).to.equal('silent')
  })
})
