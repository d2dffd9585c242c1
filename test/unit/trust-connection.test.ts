// The connection's trust logic without lab hosts: retries of connection set-up (trust 10), host
// key decisions and their precedence (trust 25), the algorithms offered (trust 26), and the same
// against an in-process ssh2 server (a changed key is refused before authentication; a server that
// starts late is reached).
import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import { UnreachableError } from '../../src/connection/connection.js'
import { backoffDelay, withRetries, type RetryPolicy } from '../../src/connection/connect-retry.js'
import { decideHostKey } from '../../src/connection/known-hosts.js'
import { algorithmsFor, SAFE_ALGORITHMS, terrapinProblem } from '../../src/connection/ssh-algorithms.js'
import { SshConnection, type SshTarget } from '../../src/connection/ssh.js'
import { hostKeyPolicyFor, sshTargetFor } from '../../src/engine/connect.js'
import { code } from '../../src/shell/index.js'

const { Server, utils } = ssh2

/** A fake clock: sleeping advances it. */
function clock(timeoutMs: number, random = () => 0.5): RetryPolicy & { slept: number[] } {
  let now = 0
  const slept: number[] = []
  return { timeoutMs, baseDelayMs: 250, maxDelayMs: 2000, random, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)), slept }
}
const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:22'), { code: 'ECONNREFUSED' })

describe('trust 10: connection set-up retries', () => {
  it('trust 10: retries refused connections with growing, jittered pauses until it succeeds', async () => {
    const p = clock(10000)
    let n = 0
    const got = await withRetries(async () => {
      if (++n < 4) throw refused()
      return 'connected'
    }, p)
    expect(got).to.equal('connected')
    expect(n).to.equal(4)
    expect(p.slept).to.deep.equal([187.5, 375, 750])
  })

  it('trust 10: gives up when the next pause would pass --timeout, saying how many attempts', async () => {
    const p = clock(3000)
    let n = 0
    const err = await withRetries(async () => {
      n++
      throw refused()
    }, p).catch((e: Error) => e)
    expect((err as Error).message).to.match(/ECONNREFUSED .*\(\d+ attempts in 3 s\)$/)
    expect(p.now()).to.be.at.most(3000)
    expect(n).to.equal(p.slept.length + 1)
  })

  it('trust 10: an authentication or host key refusal is not retried', async () => {
    const p = clock(10000)
    let n = 0
    await withRetries(async () => {
      n++
      throw new Error('All configured authentication methods failed')
    }, p).catch(() => undefined)
    expect(n).to.equal(1)
  })

  it('trust 10: each attempt is bounded by the time left', async () => {
    const p = clock(5000)
    const budgets: number[] = []
    await withRetries(async (left) => {
      budgets.push(left)
      throw refused()
    }, p).catch(() => undefined)
    expect(budgets[0]).to.equal(5000)
    for (let i = 1; i < budgets.length; i++) expect(budgets[i]).to.be.below(budgets[i - 1]!)
  })

  it('trust 10: jitter stays between half and all of the capped exponential delay', () => {
    for (let n = 1; n <= 8; n++) {
      const cap = Math.min(2000, 250 * 2 ** (n - 1))
      expect(backoffDelay(n, { baseDelayMs: 250, maxDelayMs: 2000, random: () => 0 })).to.equal(cap / 2)
      expect(backoffDelay(n, { baseDelayMs: 250, maxDelayMs: 2000, random: () => 0.999999 })).to.be.closeTo(cap, 0.01)
    }
  })
})

describe('trust 25: host key decisions', () => {
  const files = ['/k']
  const cases: [Parameters<typeof decideHostKey>[0], Parameters<typeof decideHostKey>[1], string][] = [
    ['match', 'yes', 'accept'],
    ['unknown', 'yes', 'refuse'],
    ['unknown', 'accept-new', 'accept+remember'],
    ['unknown', 'no', 'accept'],
    ['mismatch', 'yes', 'refuse'],
    ['mismatch', 'accept-new', 'refuse'],
    ['mismatch', 'no', 'accept+warn'],
    ['revoked', 'no', 'refuse'],
  ]
  for (const [verdict, policy, want] of cases) {
    it(`trust 25: ${verdict} key with ${policy}: ${want}`, () => {
      const d = decideHostKey(verdict, policy, 'h', files)
      const got = !d.accept ? 'refuse' : `accept${d.remember ? '+remember' : ''}${d.warning ? '+warn' : ''}`
      expect(got).to.equal(want)
    })
  }

  it('trust 25: --host-key-checking wins over the inventory; host_key_checking=false wins over the ssh args, as in Ansible', () => {
    expect(hostKeyPolicyFor('accept-new', 'yes', undefined)).to.equal('accept-new')
    expect(hostKeyPolicyFor('yes', 'no', 'false')).to.equal('yes')
    expect(hostKeyPolicyFor(undefined, 'yes', 'False')).to.equal('no')
    expect(hostKeyPolicyFor(undefined, 'accept-new', 'true')).to.equal('accept-new')
    expect(hostKeyPolicyFor(undefined, undefined, 'true')).to.equal('yes')
    expect(hostKeyPolicyFor(undefined, undefined, undefined)).to.equal('yes')
  })

  it('trust 25: sshTargetFor reads the policy, ServerAlive* and algorithms from ansible_ssh_common_args', () => {
    const t = sshTargetFor(
      'h',
      {
        ansible_ssh_common_args: '-o StrictHostKeyChecking=accept-new -o ServerAliveInterval=2 -o ServerAliveCountMax=5 -o Ciphers=+aes256-cbc',
        ansible_ssh_timeout: 7,
      },
      {},
    )
    expect(t).to.include({ hostKeyChecking: 'accept-new', keepaliveIntervalMs: 2000, keepaliveCountMax: 5, connectTimeoutMs: 7000 })
    expect(t.algorithms!.cipher).to.deep.equal([...SAFE_ALGORITHMS.cipher, 'aes256-cbc'])
    expect(sshTargetFor('h', { ansible_ssh_common_args: '-o StrictHostKeyChecking=yes' }, { hostKeyChecking: 'no' }).hostKeyChecking).to.equal('no')
  })
})

describe('trust 26: algorithms offered', () => {
  it('trust 26: the defaults hold no SHA-1 key exchange, no ssh-rsa/ssh-dss host keys, no CBC, no chacha20, no SHA-1/MD5 MAC', () => {
    const a = algorithmsFor({})
    expect(a.kex.filter((k) => /group1-|group14-sha1|exchange-sha1/.test(k))).to.deep.equal([])
    expect(a.serverHostKey).to.not.include.members(['ssh-rsa', 'ssh-dss'])
    expect(a.cipher.filter((c) => /cbc|arcfour|chacha20/.test(c))).to.deep.equal([])
    expect(a.hmac.filter((m) => /sha1|md5/.test(m))).to.deep.equal([])
  })

  it('trust 26: ssh_config syntax: replace, +append, -remove, ^first; unknown names are errors', () => {
    expect(algorithmsFor({ hostkeyalgorithms: '+ssh-rsa' }).serverHostKey).to.deep.equal([...SAFE_ALGORITHMS.serverHostKey, 'ssh-rsa'])
    expect(algorithmsFor({ ciphers: '-aes128-ctr' }).cipher).to.not.include('aes128-ctr')
    expect(algorithmsFor({ kexalgorithms: '^diffie-hellman-group14-sha256' }).kex[0]).to.equal('diffie-hellman-group14-sha256')
    expect(algorithmsFor({ macs: 'hmac-sha2-512' }).hmac).to.deep.equal(['hmac-sha2-512'])
    expect(() => algorithmsFor({ ciphers: 'rot13' })).to.throw(/-o ciphers: rot13 is not supported/)
    expect(() => algorithmsFor({ ciphers: '-' + SAFE_ALGORITHMS.cipher.join(',') })).to.throw(/leaves no algorithm/)
  })

  it('trust 26: Terrapin: chacha20 or CBC with an EtM MAC without strict key exchange is refused', () => {
    expect(terrapinProblem({ cipher: 'chacha20-poly1305@openssh.com', mac: '' }, false)).to.match(/chacha20/)
    expect(terrapinProblem({ cipher: 'aes128-cbc', mac: 'hmac-sha2-256-etm@openssh.com' }, false)).to.match(/cbc/)
    expect(terrapinProblem({ cipher: 'chacha20-poly1305@openssh.com', mac: '' }, true)).to.equal(undefined)
    expect(terrapinProblem({ cipher: 'aes128-gcm@openssh.com', mac: '' }, false)).to.equal(undefined)
    expect(terrapinProblem({ cipher: 'aes128-ctr', mac: 'hmac-sha2-256-etm@openssh.com' }, false)).to.equal(undefined)
  })
})

describe('trust 10/25: against an in-process ssh2 server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-conn-unit-'))
  const clientKey = utils.generateKeyPairSync('ed25519')
  writeFileSync(join(dir, 'id'), clientKey.private)
  const hostKey = utils.generateKeyPairSync('ed25519')
  const hostPub = (() => {
    const k = utils.parseKey(hostKey.public)
    if (k instanceof Error || Array.isArray(k)) throw new Error('key')
    return k.getPublicSSH().toString('base64')
  })()

  /** A server that accepts any public key and answers `exec` with "ok"; counts connections and auths. */
  function server(port = 0): Promise<{ port: number; connections: number; auths: number; close(): void }> {
    const st = { connections: 0, auths: 0 }
    const srv = new Server({ hostKeys: [hostKey.private] }, (client) => {
      st.connections++
      client.on('error', () => undefined)
      client.on('authentication', (ctx) => {
        st.auths++
        if (ctx.method === 'publickey') ctx.accept()
        else ctx.reject(['publickey'])
      })
      client.on('session', (accept) => {
        accept().once('exec', (acceptExec) => {
          const s = acceptExec()
          // the framed shell: report a process group once, answer every framed command with its end markers
          s.on('data', (d: Buffer) => {
            const g = /__RMP_PG_[0-9a-f]+/.exec(d.toString())
            if (g) s.write(`${g[0]}:4242\n`)
            const m = /__RMP_END_[0-9a-f]+/.exec(d.toString())
            if (m) {
              s.write(`ok\n${m[0]}:0:\n`)
              s.stderr.write(`${m[0]}\n`)
            }
          })
        })
      })
    })
    return new Promise((r) =>
      srv.listen(port, '127.0.0.1', () =>
        r({
          port: (srv.address() as AddressInfo).port,
          get connections() {
            return st.connections
          },
          get auths() {
            return st.auths
          },
          close: () => srv.close(),
        }),
      ),
    )
  }
  const target = (port: number, knownHosts: string, extra: Partial<SshTarget> = {}): SshTarget => ({
    host: 'fake',
    address: '127.0.0.1',
    port,
    user: 'u',
    privateKeyFiles: [join(dir, 'id')],
    knownHostsFiles: [knownHosts],
    hostKeyChecking: 'yes',
    connectTimeoutMs: 10000,
    ...extra,
  })

  it('trust 25: a changed key is refused before authentication and not retried (hostVerifier is wired)', async () => {
    const pair = utils.generateKeyPairSync('ed25519')
    const other = utils.parseKey(pair.public)
    if (other instanceof Error || Array.isArray(other)) throw new Error(`cannot read the generated key: ${String(other)}\n${pair.public}`)
    const s = await server()
    const kh = join(dir, 'kh-changed')
    writeFileSync(kh, `[127.0.0.1]:${s.port} ssh-ed25519 ${other.getPublicSSH().toString('base64')}\n`)
    const c = new SshConnection(target(s.port, kh, { hostKeyChecking: 'accept-new' }))
    try {
      const err = await c.exec(code('true')).catch((e: Error) => e)
      expect(err).to.be.instanceOf(UnreachableError)
      expect((err as Error).message).to.match(/HOST KEY MISMATCH/)
      expect(s.auths).to.equal(0)
      expect(s.connections).to.equal(1)
    } finally {
      await c.close()
      s.close()
    }
  })

  it('trust 25: the right key connects; accept-new records an unknown one', async () => {
    const s = await server()
    const kh = join(dir, 'kh-new')
    writeFileSync(kh, '')
    const c = new SshConnection(target(s.port, kh, { hostKeyChecking: 'accept-new' }))
    try {
      expect((await c.exec(code('x'))).stdout).to.equal('ok\n')
      expect(readFileSync(kh, 'utf8')).to.equal(`[127.0.0.1]:${s.port} ssh-ed25519 ${hostPub}\n`)
    } finally {
      await c.close()
      s.close()
    }
  })

  it('trust 10: a server that starts listening 1 s late is reached, after several attempts', async () => {
    // Reserve a free port, release it, start the server there a second later.
    const port = await new Promise<number>((r) => {
      const t = createServer().listen(0, '127.0.0.1', () => {
        const p = (t.address() as AddressInfo).port
        t.close(() => r(p))
      })
    })
    const kh = join(dir, 'kh-late')
    writeFileSync(kh, `[127.0.0.1]:${port} ssh-ed25519 ${hostPub}\n`)
    let s: Awaited<ReturnType<typeof server>> | undefined
    const later = setTimeout(() => void server(port).then((x) => (s = x)), 1000)
    const c = new SshConnection(target(port, kh, { connectTimeoutMs: 8000 }))
    try {
      expect((await c.exec(code('x'))).stdout).to.equal('ok\n')
      expect(c.attempts).to.be.above(1)
      expect(s!.connections).to.equal(1)
    } finally {
      clearTimeout(later)
      await c.close()
      s?.close()
    }
  })
})
