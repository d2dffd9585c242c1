// The engine over real SSH on lab hosts: one connection per host, parallel hosts, handlers,
// serial batches, failure isolation, unreachable hosts, become, host key checking, check mode
// that changes nothing, and a second run that changes nothing.
import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { play } from '../helpers/run-playbook.js'
import { closeHostConnections, sh, snapshot, snapshotDiff } from '../helpers/host-shell.js'
import { labSshArgs, sshLogins, testLab, type TestLab } from '../helpers/lab.js'
import { main } from '../../src/cli/main.js'

describe('engine over SSH on lab hosts', function () {
  let lab: TestLab
  let inv: string[]
  let hosts: string[]
  const dir = `/root/rmp-engine-test`

  before(async function () {
    lab = await testLab(4)
    inv = [lab.inventory]
    hosts = lab.names.slice(0, 3)
    for (const h of lab.names) await sh(lab.inventory, h, `rm -rf ${dir}; mkdir -p ${dir}`)
  })

  // the assertion connections would keep mocha alive when this file runs alone
  after(closeHostConnections)

  const limit = () => hosts.join(',')

  it('converges three hosts in parallel, then a second run changes nothing', async () => {
    const pb = `- hosts: runmaster
  tasks:
    - shell: echo "{{ inventory_hostname }} {{ ansible_distribution }}" > ${dir}/a
      args: { creates: ${dir}/a }
      notify: note
    - shell: echo "$(date +%s%N) $(sleep 1; date +%s%N)" > ${dir}/stay
      args: { creates: ${dir}/slept }
    - shell: touch ${dir}/slept
      args: { creates: ${dir}/slept }
  handlers:
    - name: note
      shell: echo handled >> ${dir}/handled
`
    const first = await play(pb, { inventory: inv, limit: limit() })
    expect(first.exitCode, first.text).to.equal(0)
    // The hosts share this machine's clock: in parallel, every 1 s stay overlaps the others.
    const stays = await Promise.all(hosts.map(async (h) => (await sh(lab.inventory, h, `cat ${dir}/stay`)).stdout.trim().split(' ').map(Number)))
    expect(Math.max(...stays.map((x) => x[0]!))).to.be.lessThan(Math.min(...stays.map((x) => x[1]!)))
    for (const h of hosts) {
      expect(first.changed(h)).to.equal(4)
      expect((await sh(lab.inventory, h, `cat ${dir}/a`)).stdout.trim()).to.equal(`${h} Debian`)
      expect((await sh(lab.inventory, h, `cat ${dir}/handled`)).stdout.trim()).to.equal('handled')
    }
    const second = await play(pb, { inventory: inv, limit: limit() })
    expect(second.exitCode).to.equal(0)
    expect(second.totalChanged(), second.text).to.equal(0)
    expect(second.results('note')).to.have.length(0)
  })

  it('check mode predicts the real run and changes nothing on the hosts', async () => {
    const pb = `- hosts: runmaster
  tasks:
    - shell: echo one > ${dir}/check-a
      args: { creates: ${dir}/check-a }
    - command: rm -f ${dir}/never
      args: { removes: ${dir}/never }
`
    const before = await Promise.all(hosts.map((h) => snapshot(lab.inventory, h)))
    const check = await play(pb, { inventory: inv, limit: limit(), check: true })
    const after = await Promise.all(hosts.map((h) => snapshot(lab.inventory, h)))
    hosts.forEach((h, i) => expect(snapshotDiff(before[i]!, after[i]!), h).to.deep.equal([]))
    const real = await play(pb, { inventory: inv, limit: limit() })
    const changed = (r: typeof check) =>
      r
        .results()
        .filter((e) => e.status === 'changed')
        .map((e) => `${e.host}:${e.task}`)
        .sort()
    expect(changed(check)).to.deep.equal(changed(real))
    expect(changed(real)).to.have.length(3)
  })

  it('serial batches run one after another, and a failing host does not stop the others', async () => {
    const r = await play(
      `- hosts: runmaster
  gather_facts: false
  serial: 2
  tasks:
    - shell: date +%s%N > ${dir}/serial-start; sleep 0.3
    - command: /bin/false
      when: inventory_hostname == '${hosts[0]}'
    - shell: echo done > ${dir}/serial-done
`,
      { inventory: inv, limit: limit() },
    )
    expect(r.exitCode).to.equal(2)
    const batches = r.events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts)
    expect(batches).to.deep.equal([hosts.slice(0, 2), hosts.slice(2)])
    const starts = await Promise.all(hosts.map(async (h) => Number((await sh(lab.inventory, h, `cat ${dir}/serial-start`)).stdout)))
    expect(starts[2]).to.be.greaterThan(starts[1]! + 0.3e9)
    expect((await sh(lab.inventory, hosts[0]!, `test -e ${dir}/serial-done`, true)).code).to.not.equal(0)
    for (const h of hosts.slice(1)) expect((await sh(lab.inventory, h, `cat ${dir}/serial-done`)).stdout.trim()).to.equal('done')
  })

  it('an unreachable host is reported as such (exit 4) and the others carry on', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'rmp-unreach-'))
    const doc = parse(readFileSync(lab.inventory, 'utf8')) as { all: { children: { runmaster: { hosts: Record<string, unknown> } } } }
    doc.all.children.runmaster.hosts['ghost'] = { ansible_host: lab.bridgeAddress.replace(/\.1$/, '.250') }
    writeFileSync(join(scratch, 'hosts.yml'), stringify(doc))
    const r = await play(`- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - command: hostname\n      changed_when: false\n`, {
      inventory: [join(scratch, 'hosts.yml')],
      limit: `${hosts[0]},ghost`,
    })
    expect(r.exitCode).to.equal(4)
    expect(r.stats.ghost!.unreachable).to.equal(1)
    expect(r.stats[hosts[0]!]!.ok).to.equal(1)
    expect(r.text).to.match(/fatal: \[ghost\]: UNREACHABLE!/)
  })

  it('refuses a host whose key is not known, and names the fix', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'rmp-hostkey-'))
    const empty = join(scratch, 'known_hosts')
    writeFileSync(empty, '')
    const doc = parse(readFileSync(lab.inventory, 'utf8')) as { all: { vars: Record<string, string> } }
    doc.all.vars.ansible_ssh_common_args = `-o UserKnownHostsFile=${empty}`
    writeFileSync(join(scratch, 'hosts.yml'), stringify(doc))
    const r = await play(`- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - ping:\n`, { inventory: [join(scratch, 'hosts.yml')], limit: hosts[0] })
    expect(r.exitCode).to.equal(4)
    expect(r.text).to.match(/not in .*known_hosts.*accept-new/)
    // a forged entry for the address: refused as a mismatch
    writeFileSync(empty, `${lab.hosts[0]!.address} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`)
    const r2 = await play(`- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - ping:\n`, { inventory: [join(scratch, 'hosts.yml')], limit: hosts[0] })
    expect(r2.text).to.match(/HOST KEY MISMATCH/)
  })

  it('become switches user with sudo, per task', async () => {
    const r = await play(
      `- hosts: runmaster
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_user: nobody
      register: who
      changed_when: false
    - assert: { that: ["who.stdout == 'nobody'"] }
`,
      { inventory: inv, limit: hosts[0] },
    )
    expect(r.exitCode, r.text).to.equal(0)
  })

  it('logs in as another user and becomes root with a sudo password (ansible_become_password)', async () => {
    const h = hosts[1]!
    // a user with our key, allowed sudo only with its password
    await sh(
      lab.inventory,
      h,
      `id rmpdeploy >/dev/null 2>&1 || useradd -m -s /bin/sh rmpdeploy
       echo 'rmpdeploy:s3cret-pw' | chpasswd
       mkdir -p ~rmpdeploy/.ssh && cp /root/.ssh/authorized_keys ~rmpdeploy/.ssh/ && chown -R rmpdeploy: ~rmpdeploy/.ssh
       echo 'rmpdeploy ALL=(ALL) ALL' > /etc/sudoers.d/rmpdeploy && chmod 440 /etc/sudoers.d/rmpdeploy`,
    )
    const pb = `- hosts: runmaster
  gather_facts: false
  vars: { ansible_user: rmpdeploy }
  tasks:
    - command: id -un
      become: true
      register: who
      changed_when: false
    - assert: { that: ["who.stdout == 'root'"] }
`
    const ok = await play(pb, { inventory: inv, limit: h, extraVars: { ansible_become_password: 's3cret-pw' } })
    expect(ok.exitCode, ok.text).to.equal(0)
    expect(ok.text).to.not.include('s3cret-pw')
    const bad = await play(pb, { inventory: inv, limit: h, extraVars: { ansible_become_password: 'wrong' } })
    expect(bad.exitCode).to.equal(2)
  })

  it('check mode: a task that runs as a user an earlier task would create is "may change", not a failure', async () => {
    const r = await play(
      `- hosts: runmaster
  gather_facts: false
  tasks:
    - user: { name: rmp-not-yet }
    - file: { path: /tmp/rmp-not-yet, state: directory }
      become: true
      become_user: rmp-not-yet
`,
      { inventory: inv, limit: hosts[2], check: true },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.text).to.match(/may change: \[\S+\] runs as rmp-not-yet, a user that does not exist yet/)
    // and check mode made neither the user nor the directory
    const left = await sh(lab.inventory, hosts[2]!, 'getent passwd rmp-not-yet; test -e /tmp/rmp-not-yet && echo dir', true)
    expect(left.stdout.trim()).to.equal('')
  })

  it('scripts never show in the host process list, as root or under sudo', async () => {
    const h = hosts[0]!
    const run = play(
      `- hosts: runmaster
  gather_facts: false
  tasks:
    - shell: "sleep 1.5 # MARK-ROOT-x9"
    - shell: "sleep 1.5 # MARK-SUDO-x9"
      become: true
      become_user: nobody
`,
      { inventory: inv, limit: h },
    )
    const seen: string[] = []
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 250))
      seen.push((await sh(lab.inventory, h, 'ps -eo args')).stdout)
    }
    const r = await run
    expect(r.exitCode, r.text).to.equal(0)
    expect(seen.join('\n')).to.include('sleep 1.5').and.not.include('MARK-')
  })

  const logins = (host: string) => () => sshLogins(lab, host)
  const sshArgs = (more: string) => labSshArgs(lab, more)

  it('uses one SSH connection per host for the whole run', async () => {
    const accepted = logins(hosts[0]!)
    await sh(lab.inventory, hosts[0]!, 'true') // the test's own connection is open before counting
    const before = accepted()
    const r = await play(
      `- hosts: runmaster
  tasks:
    - command: "true"
    - command: "true"
    - command: "true"
    - command: "true"
    - command: "true"
    - shell: ls /proc | grep -c '^[0-9]' > ${dir}/procs
`,
      // not kept: a kept connection from an earlier run would make this run log in zero times
      { inventory: inv, limit: hosts[0], extraVars: { ansible_ssh_common_args: sshArgs('-o ControlPersist=no') } },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results().filter((e) => e.host === hosts[0])).to.have.length(7) // facts + 6 tasks
    expect(accepted() - before).to.equal(1)
  })

  it('the command line connects while the engine loads, and the run uses that connection (still one per host)', async () => {
    const accepted = logins(hosts[0]!)
    await sh(lab.inventory, hosts[0]!, 'true')
    const before = accepted()
    const file = join(mkdtempSync(join(tmpdir(), 'rmp-early-')), 'early.yml')
    writeFileSync(file, '- hosts: runmaster\n  tasks:\n    - command: "true"\n    - stat: { path: /etc/hostname }\n')
    let out = ''
    const extra = JSON.stringify({ ansible_ssh_common_args: sshArgs('-o ControlPersist=no') })
    const code = await main([file, '-i', lab.inventory, '-l', hosts[0]!, '-e', extra, '-vvv'], { out: (s) => (out += s), err: (s) => (out += s), tty: false })
    expect(code, out).to.equal(0)
    // the early connection's -vvv lines are shown (through the run's mask) once the run takes it
    expect(out.match(new RegExp(`^<${hosts[0]}> ESTABLISH SSH CONNECTION`, 'gm')), out).to.have.length(1)
    expect(accepted() - before).to.equal(1)
  })

  it("sshd's announcement of its host keys is not answered with a request to prove them (rm-play never uses the proof)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rmp-hostkeys-')), 'one.yml')
    writeFileSync(file, '- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - command: "true"\n')
    let out = ''
    const code = await main([file, '-i', lab.inventory, '-l', hosts[0]!, '-vvvv'], { out: (s) => (out += s), err: (s) => (out += s), tty: false })
    expect(code, out).to.equal(0)
    // ssh2's own trace: the announcement comes in; without the fix the client sends hostkeys-prove-00
    expect(out).to.match(new RegExp(`^<${hosts[0]}> ssh2: Inbound: GLOBAL_REQUEST \\(hostkeys-00@openssh.com\\)`, 'm'))
    expect(out).not.to.contain('hostkeys-prove-00@openssh.com')
  })
})
