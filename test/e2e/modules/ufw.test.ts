// ufw on a real lab host (a network namespace: its netfilter tables are its own). Rules, policies
// and logging first with the firewall off; then enabling it, which must keep SSH working and
// really filter (an allowed port answers "refused", a denied one never answers); then changes,
// disabling and reset. Each converging playbook: a --check --diff run that changes nothing on the
// host (its files and its iptables-save), a real run that changes what check mode predicted, and
// a second run that changes nothing. The controller's own firewall is the same after the tests.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readState } from '../../../src/lab/index.js'
import { errorList, formatError } from '../../../src/playbook/errors.js'
import { converge as convergeOn, type Converged } from '../../helpers/converge.js'
import { sh } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'
import { knock } from '../../helpers/knock.js'

describe('ufw on a lab host', function () {
  let lab: TestLab
  let host: string
  let address: string
  let controllerBefore: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const out = async (script: string) => (await run(script)).stdout.trim()
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
  const summaries = (r: PlayOutcome, task: string) => r.results(task).flatMap((e) => e.changes.map((c) => c.summary))

  /**
   * The controller's netfilter state and the sysctls ufw sets. The controller has no iptables of
   * its own: the host's iptables-save is run chrooted into the host's root but in the
   * controller's network namespace (chroot does not change namespaces).
   */
  function controllerFirewall(): string {
    const pid = readState(lab.name)!.hosts.find((h) => h.name === host)!.init!.pid
    const root = `/proc/${pid}/root`
    const parts: string[] = []
    for (const tool of ['iptables-save', 'ip6tables-save', 'iptables-legacy-save', 'ip6tables-legacy-save']) {
      const bin = `${root}/usr/sbin/${tool}`
      if (!existsSync(bin)) continue
      parts.push(
        `## ${tool}`,
        execFileSync('chroot', [root, `/usr/sbin/${tool}`])
          .toString()
          .replace(/^#.*\n/gm, '')
          .replace(/\[\d+:\d+\]/g, ''),
      )
    }
    // The sysctls of /etc/ufw/sysctl.conf, as the controller has them.
    for (const line of readFileSync(`${root}/etc/ufw/sysctl.conf`, 'utf8').split('\n')) {
      const m = /^\s*([a-z0-9_/.-]+)\s*=/.exec(line)
      if (m && existsSync(`/proc/sys/${m[1]}`)) parts.push(`${m[1]}=${readFileSync(`/proc/sys/${m[1]}`, 'utf8').trim()}`)
    }
    return parts.join('\n')
  }

  /** check (nothing changes, not even the host's netfilter tables) → real (as predicted) → again (nothing). */
  const converge = (yaml: string): Promise<Converged> => convergeOn(lab.inventory, host, (o) => play(yaml, { inventory: [lab.inventory], limit: host, ...o }))

  before(async function () {
    lab = await testLab(4)
    host = lab.names[1]!
    address = lab.hosts.find((h) => h.name === host)!.address
    await resetHosts(lab, [host])
  })

  after(async function () {
    if (!lab) return
    // Whatever happened, the host leaves with its firewall off and the controller's untouched.
    if (controllerBefore !== undefined) expect(controllerFirewall(), "the controller's firewall changed").to.equal(controllerBefore)
    await resetHosts(lab, [host])
  })

  it('installs ufw and sets rules, policy and logging with the firewall off; check mode: "not installed yet"', async () => {
    const yaml = pb(`    - name: package
      apt: { name: ufw, update_cache: true, cache_valid_time: 3600, install_recommends: false }
    - name: ssh
      ufw: { rule: allow, port: "22", proto: tcp }
    - name: web
      ufw: { rule: allow, port: "{{ item }}", proto: tcp, comment: web }
      loop: ["80", "443"]
    - name: postgres from the lab
      ufw: { rule: allow, src: 10.231.1.7/16, port: "5432", proto: tcp }
    - name: no smtp out
      ufw: { rule: deny, direction: out, port: "25" }
    - name: incoming policy and logging
      ufw: { default: deny, direction: incoming }
    - name: logging
      ufw: { logging: medium }
`)
    const { check, real } = await converge(yaml)
    expect(summaries(check, 'ssh')).to.deep.equal(['add rule: allow in tcp from any to any port 22 — ufw is not installed yet'])
    expect(summaries(check, 'incoming policy and logging')).to.deep.equal([])
    expect(summaries(real, 'postgres from the lab')).to.deep.equal(['add rule: allow in tcp from 10.231.0.0/16 to any port 5432'])
    expect(real.text).to.include('+allow in tcp from any to any port 80 # web\n')
    expect(real.text).to.include('+allow in tcp from any to any port 80 (v6) # web\n')
    expect(real.text).to.include('-logging: low\n+logging: medium')
    expect(await out("grep '^### tuple' /etc/ufw/user.rules")).to.equal(
      [
        '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in',
        '### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in comment=776562',
        '### tuple ### allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in comment=776562',
        '### tuple ### allow tcp 5432 0.0.0.0/0 any 10.231.0.0/16 in',
        '### tuple ### deny any 25 0.0.0.0/0 any 0.0.0.0/0 out',
      ].join('\n'),
    )
    expect(await out('ufw status verbose | head -2')).to.equal('Status: inactive')
    controllerBefore = controllerFirewall()
  })

  it('enables the firewall: SSH keeps working, allowed ports answer, others are dropped', async () => {
    expect(await knock(address, 80)).to.equal('refused') // nothing listens yet, nothing filters
    expect(await knock(address, 8081)).to.equal('refused')
    const { check, real } = await converge(
      pb(`    - name: ssh first
      ufw: { rule: allow, port: "22", proto: tcp }
    - name: enable
      ufw: { state: enabled }
`),
    )
    expect(summaries(check, 'enable')).to.deep.equal(['enable ufw'])
    expect(real.text).to.include('-status: inactive\n+status: active')
    expect(await out('ufw status verbose | head -3')).to.equal(
      'Status: active\nLogging: on (medium)\nDefault: deny (incoming), allow (outgoing), disabled (routed)',
    )
    expect(await out('iptables-save | grep -- "-A ufw-user-input" | grep -c -- "--dport 22 -j ACCEPT"')).to.equal('1')
    expect(await out('echo still here')).to.equal('still here') // a fresh command over the same SSH connection
    expect(await knock(address, 22)).to.equal('open')
    expect(await knock(address, 80)).to.equal('refused')
    expect(await knock(address, 8081)).to.equal('silent')
  })

  it('changes: delete a rule, insert one first, update a comment', async () => {
    const { check, real } = await converge(
      pb(`    - name: drop 443
      ufw: { rule: allow, port: "443", proto: tcp, delete: true }
    - name: block one address first
      ufw: { rule: deny, from: 10.231.99.9, insert: 1 }
    - name: comment
      ufw: { rule: allow, port: "80", proto: tcp, comment: "web server" }
`),
    )
    expect(summaries(check, 'drop 443')).to.deep.equal(['delete rule: allow in tcp from any to any port 443'])
    expect(summaries(check, 'block one address first')).to.deep.equal(['add rule: deny in from 10.231.99.9 to any (at 1)'])
    expect(real.text).to.include('-allow in tcp from any to any port 443 # web\n')
    expect(await out("ufw status numbered | grep '^\\[ 1\\]'")).to.match(/^\[ 1\] Anywhere +DENY IN +10\.231\.99\.9$/)
    expect(await out("ufw status | grep -c '443/tcp' || true")).to.equal('0')
    expect(await out("ufw status | grep '^80/tcp ' | head -1")).to.match(/ALLOW +Anywhere +# web server$/)
  })

  it('reload runs only on an enabled firewall; disable, then reset, then nothing', async () => {
    const reload = await play(
      pb(`    - name: reload
      ufw: { state: reloaded }
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(reload.exitCode, reload.text).to.equal(0)
    expect(summaries(reload, 'reload')).to.deep.equal(['reload ufw'])
    const { real } = await converge(
      pb(`    - name: off
      ufw: { state: disabled }
    - name: reset
      ufw: { state: reset }
`),
    )
    expect(summaries(real, 'reset')).to.deep.equal(['reset ufw (8 rules)'])
    expect(await out('ufw status')).to.equal('Status: inactive')
    expect(await out("grep -c '^### tuple' /etc/ufw/user.rules /etc/ufw/user6.rules || true")).to.equal('/etc/ufw/user.rules:0\n/etc/ufw/user6.rules:0')
    expect(await out('iptables-save | grep -c ufw-user-input || true')).to.equal('0')
    expect(await knock(address, 8081)).to.equal('refused')
    const idle = await play(
      pb(`    - name: reload
      ufw: { state: reloaded }
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(idle.totalChanged(), idle.text).to.equal(0)
  })

  it('bad arguments are refused at load time with file:line:col', async () => {
    let errs: string[] = []
    try {
      await play(
        pb(`    - ufw: { rule: allow, port: "80,443" }
    - ufw: { rule: allow, from: 10.0.0.300 }
    - ufw: { state: started }
`),
        { inventory: [lab.inventory], limit: host },
      )
    } catch (e) {
      errs = errorList(e).map(formatError)
    }
    expect(errs).to.have.length(3)
    expect(errs[0]).to.match(/site\.yml:4:\d+: ufw: to_port '80,443' is a range or list: ufw needs proto tcp or udp with it/)
    expect(errs[1]).to.match(/site\.yml:5:\d+: ufw: from_ip '10\.0\.0\.300' is not an IPv4\/IPv6 address or network/)
    expect(errs[2]).to.match(/site\.yml:6:\d+: ufw: argument 'state' must be one of "enabled", "disabled", "reloaded", "reset", got "started"/)
  })
})
