// The connection keeper on lab hosts (ControlPersist): a run within the persist time of the last
// one logs in zero times and gets the same results; meta: reset_connection logs in again; a kept
// connection's host key is checked against the new run's known_hosts; the keeper closes an idle
// connection after ControlPersist; a keeper that dies mid-command makes the host unreachable
// (never a silent re-run); without a private socket directory the run connects by itself. Ansible
// with its own ControlPersist logs in as often around meta: reset_connection.
import { expect } from 'chai'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ansibleJson, hasAnsible } from '../helpers/ansible.js'
import { play, type PlayOutcome } from '../helpers/run-playbook.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { labSshArgs, sshLogins, testLab, type TestLab } from '../helpers/lab.js'
import { eventually } from '../helpers/eventually.js'
import { KEEPER_MAIN } from '../../src/connection/keeper/paths.js'

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'rm-play.js')

describe('connection keeper (ControlPersist) on lab hosts', function () {
  let lab: TestLab
  let host: string
  let address: string
  const tmp = mkdtempSync(join(tmpdir(), 'rmp-keeper-'))

  before(async function () {
    lab = await testLab(2)
    host = lab.names[0]!
    address = lab.hosts.find((h) => h.name === host)!.address
  })
  after(closeHostConnections)

  const logins = () => sshLogins(lab, host)
  // Each test asks for its own ServerAliveInterval: a connection of its own, kept for it alone.
  const run = (pb: string, more: string, extra: Record<string, unknown> = {}): Promise<PlayOutcome> =>
    play(pb, { inventory: [lab.inventory], limit: host, extraVars: { ansible_ssh_common_args: labSshArgs(lab, more), ...extra } })
  const stdout = (r: PlayOutcome, task: string) => String(r.results(task, host)[0]?.output?.stdout)

  const PB = `- hosts: all
  gather_facts: false
  tasks:
    - name: who
      command: id -un
    - name: session
      shell: echo "$$ $PPID"
`

  it('a run within ControlPersist of the last one logs in zero times and gets the same results', async () => {
    const before = logins()
    const first = await run(PB, '-o ServerAliveInterval=21')
    expect(first.exitCode, first.text).to.equal(0)
    expect(logins() - before).to.equal(1)
    const second = await run(PB, '-o ServerAliveInterval=21')
    expect(second.exitCode, second.text).to.equal(0)
    expect(logins() - before, 'the second run logged in again').to.equal(1)
    expect(stdout(second, 'who')).to.equal(stdout(first, 'who')).and.equal('root')
    // each run has a shell of its own ($$), started by the same sshd: the kept connection ($PPID)
    const [shell1, sshd1] = stdout(first, 'session').split(' ')
    const [shell2, sshd2] = stdout(second, 'session').split(' ')
    expect(shell2).to.not.equal(shell1)
    expect(sshd2).to.equal(sshd1)
  })

  it('ControlPersist=no: every run logs in', async () => {
    const before = logins()
    for (let i = 0; i < 2; i++) expect((await run(PB, '-o ControlPersist=no')).exitCode).to.equal(0)
    expect(logins() - before).to.equal(2)
  })

  it('meta: reset_connection closes the kept connection: the next task logs in again, in a new session', async () => {
    const pb = `- hosts: all
  gather_facts: false
  tasks:
    - name: before
      shell: echo "$PPID"
    - meta: reset_connection
    - name: after
      shell: echo "$PPID"
`
    await run(PB, '-o ServerAliveInterval=22')
    const before = logins()
    const r = await run(pb, '-o ServerAliveInterval=22')
    expect(r.exitCode, r.text).to.equal(0)
    expect(logins() - before).to.equal(1)
    expect(stdout(r, 'after')).to.not.equal(stdout(r, 'before'))
    // first thing in a run, before it connected: the kept connection is not used either (Ansible
    // stops its ControlMaster then too)
    const first = `- hosts: all\n  gather_facts: false\n  tasks:\n    - meta: reset_connection\n    - command: "true"\n`
    const again = logins()
    expect((await run(first, '-o ServerAliveInterval=22')).exitCode).to.equal(0)
    expect(logins() - again).to.equal(1)
  })

  it('Ansible is the judge: with its ControlPersist, meta: reset_connection logs in again as often as in rm-play', async function () {
    if (!hasAnsible()) this.skip()
    this.timeout(180_000)
    // Ansible's ssh masters for this test alone (its default ssh_args keep them 60 s), stopped after
    const cp = mkdtempSync(join(tmpdir(), 'rmp-ansible-cp-'))
    const dir = mkdtempSync(join(tmpdir(), 'rmp-ansible-reset-'))
    const ansible = (pb: string): number => {
      const file = join(dir, 'play.yml')
      writeFileSync(file, pb)
      const before = logins()
      const r = ansibleJson(['-i', lab.inventory, '--limit', host, file], { ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_HOST_KEY_CHECKING: 'True' })
      expect(r.code, r.stderr).to.equal(0)
      return logins() - before
    }
    const ours = async (pb: string): Promise<number> => {
      const before = logins()
      const r = await run(pb, '-o ServerAliveInterval=24')
      expect(r.exitCode, r.text).to.equal(0)
      return logins() - before
    }
    const middle = `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - meta: reset_connection\n    - command: "true"\n`
    const first = `- hosts: all\n  gather_facts: false\n  tasks:\n    - meta: reset_connection\n    - command: "true"\n`
    try {
      // a warm kept connection, then a run that resets in the middle, then one that resets first
      const theirs = [ansible(PB), ansible(PB), ansible(middle), ansible(first)]
      const mine = [await ours(PB), await ours(PB), await ours(middle), await ours(first)]
      expect(theirs, 'Ansible: a login, none, one after the reset, one').to.deep.equal([1, 0, 1, 1])
      expect(mine).to.deep.equal(theirs)
    } finally {
      spawnSync('pkill', ['-f', cp], { stdio: 'ignore' })
    }
  })

  it("a kept connection's host key is checked again against this run's known_hosts: another key there refuses it", async () => {
    expect((await run(PB, '-o ServerAliveInterval=23')).exitCode).to.equal(0)
    // a known_hosts that says the host has another key (the lab's key for the other host)
    const other = lab.names[1]!
    const otherAddress = lab.hosts.find((h) => h.name === other)!.address
    const otherKey = readFileSync(lab.knownHostsPath, 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[0]!.split(',').includes(otherAddress))
    expect(otherKey, 'the other host has a known_hosts line').to.be.a('string')
    const liar = join(tmp, 'known_hosts')
    writeFileSync(liar, `${address} ${otherKey!.split(' ').slice(1).join(' ')}\n`)
    const before = logins()
    const r = await play(PB, {
      inventory: [lab.inventory],
      limit: host,
      extraVars: { ansible_ssh_common_args: `-o UserKnownHostsFile=${liar} -o StrictHostKeyChecking=yes -o ServerAliveInterval=23` },
    })
    expect(r.exitCode).to.not.equal(0)
    expect(r.stats[host]?.unreachable, r.text).to.equal(1)
    expect(r.text).to.match(/host key/i)
    expect(logins() - before).to.equal(0)
  })

  it('the keeper closes a connection unused for ControlPersist; the next run logs in again', async () => {
    const args = '-o ServerAliveInterval=24 -o ControlPersist=1'
    expect((await run(PB, args)).exitCode).to.equal(0)
    // a run within the second reuses it (and starts the second again); one after it logs in
    await eventually(
      async () => {
        const before = logins()
        expect((await run(PB, args)).exitCode).to.equal(0)
        expect(logins() - before).to.equal(1)
      },
      { timeoutMs: 15_000, intervalMs: 1500 },
    )
  })

  it('a keeper that dies while a command runs makes the host unreachable; nothing is run again', async () => {
    const marker = `/root/rmp-keeper-${process.pid}`
    await sh(lab.inventory, host, `rm -f ${marker}`)
    const pb = `- hosts: all
  gather_facts: false
  tasks:
    - shell: echo x >> ${marker}; sleep 3
`
    const running = run(pb, '-o ServerAliveInterval=25')
    await eventually(async () => expect((await sh(lab.inventory, host, `cat ${marker} 2>/dev/null || true`)).stdout).to.equal('x\n'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    })
    execFileSync('pkill', ['-KILL', '-f', KEEPER_MAIN]) // this build's keeper only
    const r = await running
    expect(r.stats[host]?.unreachable, r.text).to.equal(1)
    expect((await sh(lab.inventory, host, `cat ${marker}`)).stdout).to.equal('x\n')
    // a new keeper serves the next run
    expect((await run(PB, '-o ServerAliveInterval=25')).exitCode).to.equal(0)
  })

  it('without a private directory for its socket, the run connects by itself', async () => {
    // a socket directory others may enter: refused (anyone who opens the socket runs commands)
    const open = mkdtempSync(join(tmpdir(), 'rmp-open-'))
    mkdirSync(join(open, 'rm-play'))
    chmodSync(join(open, 'rm-play'), 0o777)
    const pbFile = join(tmp, 'pb.yml')
    writeFileSync(pbFile, PB)
    const before = logins()
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [BIN, pbFile, '-i', lab.inventory, '-l', host, '-vvv'], {
        env: { ...process.env, XDG_RUNTIME_DIR: open },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      const code = await new Promise<number | null>((r) => child.on('close', r))
      expect(code, out).to.equal(0)
      expect(out).to.match(/connection keeper is not available \(no private directory/)
    }
    expect(logins() - before).to.equal(2)
  })
})
