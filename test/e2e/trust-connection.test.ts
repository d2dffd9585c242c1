// Trust cases of the SSH connection on real lab hosts: hosts that refuse or never answer (8), a
// host black-holed while a command runs (9), an sshd that comes up late and a session lost after
// a command was sent (10), host keys (25), the algorithms offered (26). Playbooks run through the
// CLI's main(), so the flags (-T, --host-key-checking) are the ones a user types.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import { SshConnection } from '../../src/connection/ssh.js'
import { SAFE_ALGORITHMS } from '../../src/connection/ssh-algorithms.js'
import { main } from '../../src/cli/main.js'
import { sshTargetFor } from '../../src/engine/connect.js'
import { STATE_ROOT } from '../../src/lab/index.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { code } from '../../src/shell/index.js'
import { knock } from '../helpers/knock.js'

interface Event {
  type: string
  host?: string
  task?: string
  status?: string
  msg?: string
  stats?: Record<string, { ok: number; changed: number; unreachable: number; failed: number }>
}

interface Run {
  code: number
  events: Event[]
  err: string
  results(host: string): Event[]
}

describe('trust: SSH connections on lab hosts', function () {
  let lab: TestLab
  const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-conn-'))
  const addr = (i: number) => lab.hosts[i]!.address
  const name = (i: number) => lab.names[i]!
  /** The bridge side of host i's veth: down, the host is silent (a pulled cable). */
  const veth = (i: number) => `rmp-${lab.name}-${i + 1}`
  const link = (i: number, state: 'up' | 'down') => execFileSync('ip', ['link', 'set', veth(i), state])

  /** An inventory of some lab hosts with per-host vars; `common` are the ssh args of all. */
  function inventory(file: string, hosts: { i: number; vars?: Record<string, string | number> }[], common: string): string {
    const key = join(STATE_ROOT, lab.name, 'id_ed25519')
    const lines = [
      'all:',
      '  vars:',
      '    ansible_user: root',
      `    ansible_ssh_private_key_file: ${key}`,
      `    ansible_ssh_common_args: ${JSON.stringify(common)}`,
      '  hosts:',
    ]
    for (const h of hosts) {
      lines.push(`    ${name(h.i)}:`, `      ansible_host: ${addr(h.i)}`)
      for (const [k, v] of Object.entries(h.vars ?? {})) lines.push(`      ${k}: ${JSON.stringify(v)}`)
    }
    const path = join(dir, file)
    writeFileSync(path, lines.join('\n') + '\n')
    return path
  }
  const labKnownHosts = () => join(STATE_ROOT, lab.name, 'known_hosts')
  const strictLab = () => `-o UserKnownHostsFile=${labKnownHosts()} -o StrictHostKeyChecking=yes`

  function playbook(file: string, tasks: string): string {
    const path = join(dir, file)
    writeFileSync(path, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`)
    return path
  }

  /** Runs rm-play as a user would (--json); `onEvent` sees each event as it comes. */
  async function rmPlay(args: string[], onEvent?: (e: Event) => void): Promise<Run> {
    let buf = ''
    let err = ''
    const events: Event[] = []
    const out = (s: string) => {
      buf += s
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as Event
        buf = buf.slice(nl + 1)
        events.push(e)
        onEvent?.(e)
      }
    }
    const code = await main([...args, '--json'], { out, err: (s) => (err += s), tty: false })
    return { code, events, err, results: (host) => events.filter((e) => e.type === 'host-result' && e.host === host) }
  }
  const recap = (r: Run) => r.events.find((e) => e.type === 'recap')!.stats!

  before(async function () {
    lab = await testLab(4)
    await resetHosts(lab, lab.names.slice(0, 4))
  })
  after(async function () {
    if (!lab) return
    for (let i = 0; i < 4; i++) execFileSync('ip', ['link', 'set', veth(i), 'up'])
    await resetHosts(lab, lab.names.slice(0, 4))
  })

  it('trust 8: a host that refuses and a host that never answers are UNREACHABLE, the others finish, exit 4', async function () {
    const inv = inventory('t8.yml', [{ i: 0, vars: { ansible_port: 1 } }, { i: 1 }, { i: 2 }], strictLab())
    const pb = playbook('t8-site.yml', '    - command: echo one\n    - command: echo two\n')
    expect(await knock(addr(0), 1)).to.equal('refused')
    link(1, 'down')
    let r: Run
    try {
      r = await rmPlay([pb, '-i', inv, '-T', '3'])
    } finally {
      link(1, 'up')
    }
    expect(r.code, r.err).to.equal(4)
    const s = recap(r)
    expect(s[name(0)]).to.include({ unreachable: 1, ok: 0 })
    expect(s[name(1)]).to.include({ unreachable: 1, ok: 0 })
    expect(s[name(2)]).to.include({ unreachable: 0, failed: 0, changed: 2 })
    expect(r.results(name(0))[0]!.msg).to.match(/ECONNREFUSED/)
    expect(r.results(name(1))[0]!.msg).to.match(/Timed out while waiting for handshake|ETIMEDOUT|EHOSTUNREACH/)
    // Dropped after the first task: one result each, none for the second task.
    expect(r.results(name(0))).to.have.length(1)
    expect(r.results(name(1))).to.have.length(1)
  })

  it('trust 9: a host black-holed while its command runs is UNREACHABLE within the keepalive limit; the others finish', async function () {
    this.timeout(90000) // bounds a hang: without keepalives the run would wait forever
    const inv = inventory('t9.yml', [{ i: 1 }, { i: 2 }], `${strictLab()} -o ServerAliveInterval=1 -o ServerAliveCountMax=3`)
    const pb = playbook('t9-site.yml', '    - shell: sleep 6\n    - command: echo after\n')
    let cut: NodeJS.Timeout | undefined
    let r: Run
    try {
      r = await rmPlay([pb, '-i', inv], (e) => {
        // Both hosts are in `sleep 6` a moment after the task starts: pull host 1's cable then.
        if (e.type === 'task-start' && e.task === 'shell sleep 6') cut = setTimeout(() => link(1, 'down'), 1500)
      })
    } finally {
      clearTimeout(cut)
      link(1, 'up')
    }
    expect(r.code, r.err).to.equal(4)
    const s = recap(r)
    expect(s[name(1)]).to.include({ unreachable: 1 })
    expect(r.results(name(1))).to.have.length(1)
    expect(r.results(name(1))[0]!.msg).to.match(/no answer for 3 s/)
    expect(s[name(2)]).to.include({ unreachable: 0, failed: 0, changed: 2 })
  })

  it('trust 10: an sshd that comes up 4 s late is reached by retrying within --timeout', async function () {
    const host = name(3)
    // A second sshd on port 2222, started 4 s from now, outside this session.
    const pid = (await sh(lab.inventory, host, "setsid sh -c 'sleep 4; exec /usr/sbin/sshd -D -p 2222' </dev/null >/dev/null 2>&1 & echo $!")).stdout.trim()
    expect(await knock(addr(3), 2222)).to.equal('refused')
    const inv = inventory(
      't10.yml',
      [{ i: 3, vars: { ansible_port: 2222 } }],
      `-o UserKnownHostsFile=${join(dir, 'kh-2222')} -o StrictHostKeyChecking=accept-new`,
    )
    const r = await rmPlay([playbook('t10-site.yml', '    - command: echo late\n'), '-i', inv, '-T', '15'])
    expect(r.code, r.err).to.equal(0)
    expect(recap(r)[host]).to.include({ unreachable: 0, changed: 1 })
    await sh(lab.inventory, host, `kill ${pid}`)
  })

  it('trust 10: a session lost after its command was sent makes the host UNREACHABLE; the command is never sent again', async function () {
    const host = name(2)
    await sh(lab.inventory, host, 'rm -f /root/runs')
    const inv = inventory(
      't10b.yml',
      [
        { i: 2, vars: { lose: 'yes' } },
        { i: 0, vars: { lose: 'no' } },
      ],
      strictLab(),
    )
    // The command records that it ran, then (on `host`) kills the sshd process serving this very session.
    const pb = playbook(
      't10b-site.yml',
      `    - shell: |
        echo run >> /root/runs
        if [ {{ lose }} = yes ]; then
          p=$$
          while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(awk '/^PPid:/ {print $2}' /proc/$p/status); done
          kill -9 "$p"
        fi
        sleep 2
    - command: echo next
`,
    )
    const r = await rmPlay([pb, '-i', inv])
    expect(r.code, r.err).to.equal(4)
    expect(recap(r)[host]).to.include({ unreachable: 1 })
    expect(r.results(host)).to.have.length(1)
    expect(recap(r)[name(0)]).to.include({ unreachable: 0, changed: 2 })
    expect((await sh(lab.inventory, host, 'cat /root/runs')).stdout).to.equal('run\n')
  })

  describe('trust 25: host keys', () => {
    const i = 2
    const pb = () => playbook('t25-site.yml', '    - command: echo hi\n')
    /** The host's key as the lab's known_hosts has it ("name,address type key"). */
    const labKey = () =>
      readFileSync(labKnownHosts(), 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[0]!.split(',').includes(addr(i)))!
        .split(' ')
        .slice(1)
        .join(' ')

    it('trust 25: an unknown host key is refused by default and nothing is written to known_hosts', async () => {
      const kh = join(dir, 'kh-empty')
      writeFileSync(kh, '')
      const r = await rmPlay([pb(), '-i', inventory('t25a.yml', [{ i }], `-o UserKnownHostsFile=${kh}`)])
      expect(r.code).to.equal(4)
      expect(r.results(name(i))[0]!.msg).to.match(/is not in .*kh-empty.*--host-key-checking accept-new/)
      expect(readFileSync(kh, 'utf8')).to.equal('')
    })

    it("trust 25: --host-key-checking accept-new wins over the inventory's StrictHostKeyChecking=yes and records the key", async () => {
      const kh = join(dir, 'kh-new')
      writeFileSync(kh, '')
      const inv = inventory('t25b.yml', [{ i }], `-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes`)
      expect((await rmPlay([pb(), '-i', inv])).code).to.equal(4)
      const r = await rmPlay([pb(), '-i', inv, '--host-key-checking', 'accept-new'])
      expect(r.code, r.err).to.equal(0)
      expect(readFileSync(kh, 'utf8')).to.equal(`${addr(i)} ${labKey()}\n`)
    })

    it('trust 25: a changed host key is refused, also with accept-new (the hostVerifier is wired)', async () => {
      const kh = join(dir, 'kh-changed')
      const other = ssh2.utils.parseKey(ssh2.utils.generateKeyPairSync('ed25519').public)
      if (other instanceof Error || Array.isArray(other)) throw new Error('test key')
      writeFileSync(kh, `${addr(i)} ssh-ed25519 ${other.getPublicSSH().toString('base64')}\n`)
      const inv = inventory('t25c.yml', [{ i }], `-o UserKnownHostsFile=${kh}`)
      for (const flags of [[], ['--host-key-checking', 'accept-new']]) {
        const r = await rmPlay([pb(), '-i', inv, ...flags])
        expect(r.code).to.equal(4)
        expect(r.results(name(i))[0]!.msg).to.match(/HOST KEY MISMATCH for 10\.231\.\d+\.\d+: .*refusing to connect/)
      }
      // `no` connects, but says so loudly, for this host.
      const r = await rmPlay([pb(), '-i', inv, '--host-key-checking', 'no'])
      expect(r.code, r.err).to.equal(0)
      const warnings = r.events.filter((e) => e.type === 'warning')
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.include({ host: name(i) })
      expect(warnings[0]!.msg).to.match(/HOST KEY MISMATCH .*connecting anyway because --host-key-checking is no/)
    })
  })

  describe('trust 26: algorithms', () => {
    const connectWith = async (common: string) => {
      const c = new SshConnection(
        sshTargetFor(
          name(0),
          {
            ansible_host: addr(0),
            ansible_user: 'root',
            ansible_ssh_private_key_file: join(STATE_ROOT, lab.name, 'id_ed25519'),
            ansible_ssh_common_args: `${strictLab()} ${common}`,
          },
          {},
        ),
      )
      try {
        expect((await c.exec(code('echo ok'))).stdout).to.equal('ok\n')
        return c.negotiated!
      } finally {
        await c.close()
      }
    }

    it('trust 26: a lab host (OpenSSH of Debian 12) is reached with the safe algorithms only, in strict key exchange', async () => {
      const n = await connectWith('')
      expect(SAFE_ALGORITHMS.kex).to.include(n.kex)
      expect(SAFE_ALGORITHMS.serverHostKey).to.include(n.serverHostKey)
      expect(SAFE_ALGORITHMS.cipher).to.include(n.cipher)
      expect(n.strictKex).to.equal(true)
    })

    it('trust 26: -o Ciphers/MACs in ansible_ssh_common_args choose what is offered', async () => {
      const n = await connectWith('-o Ciphers=aes256-ctr -o MACs=hmac-sha2-512-etm@openssh.com')
      expect(n).to.include({ cipher: 'aes256-ctr', mac: 'hmac-sha2-512-etm@openssh.com' })
    })
  })
})
