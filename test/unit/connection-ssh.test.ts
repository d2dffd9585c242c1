// The SSH connection against an in-process ssh2 server that runs commands with a local /bin/sh:
// which authentications are tried, in which order, and over how many TCP connections.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2, { type ParsedKey } from 'ssh2'
import { UnreachableError } from '../../src/connection/connection.js'
import { SshConnection, type SshTarget } from '../../src/connection/ssh.js'
import { code } from '../../src/shell/index.js'

// ssh2 is CommonJS: only some of its names can be imported by name
const { Server, utils } = ssh2

interface FakeServer {
  port: number
  connections: number
  /** Each authentication request: its method; for a public key, whether it is the allowed one and signed. */
  auths: string[]
  close(): void
}

function publicOf(privateKey: string): ParsedKey {
  const k = utils.parseKey(privateKey)
  if (k instanceof Error || Array.isArray(k)) throw new Error('test key does not parse')
  return k
}

async function fakeServer(allowed: ParsedKey): Promise<FakeServer> {
  const hostKey = utils.generateKeyPairSync('ed25519').private
  const state = { connections: 0, auths: [] as string[] }
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    state.connections++
    client.on('error', () => undefined)
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') {
        state.auths.push(ctx.method)
        return ctx.reject()
      }
      const right = ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())
      state.auths.push(`publickey ${right ? 'allowed' : 'other'}${ctx.signature ? ' signed' : ''}`)
      if (right && (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true)) return ctx.accept()
      ctx.reject()
    })
    client.on('session', (accept) => {
      accept().once('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec()
        const sh = spawn('/bin/sh', ['-c', info.command])
        stream.pipe(sh.stdin)
        sh.stdout.pipe(stream)
        sh.stderr.pipe(stream.stderr)
        sh.on('exit', (code) => {
          stream.exit(code ?? 1)
          stream.end()
        })
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections
    },
    auths: state.auths,
    close: () => server.close(),
  }
}

describe('ssh authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-sshauth-'))
  const other = join(dir, 'other')
  const right = join(dir, 'right')
  const garbage = join(dir, 'garbage')
  const rightKey = utils.generateKeyPairSync('ed25519').private
  writeFileSync(other, utils.generateKeyPairSync('ed25519').private)
  writeFileSync(right, rightKey)
  writeFileSync(garbage, 'not a key\n')
  let server: FakeServer
  const target = (privateKeyFiles: string[], password?: string): SshTarget => ({
    host: 'fake',
    address: '127.0.0.1',
    port: server.port,
    user: 'someone',
    privateKeyFiles,
    password,
    knownHostsFiles: [],
    hostKeyChecking: 'no',
    connectTimeoutMs: 10000,
  })

  beforeEach(async () => {
    server = await fakeServer(publicOf(rightKey))
  })
  afterEach(() => server.close())
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('tries every key in order on one connection, and runs commands once one is accepted', async () => {
    const c = new SshConnection(target([join(dir, 'missing'), other, right], 'pw'))
    try {
      expect(await c.exec(code('echo hello; echo oops >&2; exit 3'))).to.deep.equal({ code: 3, stdout: 'hello\n', stderr: 'oops\n' })
    } finally {
      await c.close()
    }
    expect(server.auths).to.deep.equal(['none', 'password', 'publickey other', 'publickey allowed', 'publickey allowed signed'])
    expect(server.connections).to.equal(1)
  })

  it('is unreachable when no key is accepted, says which files were not keys, and still used one connection', async () => {
    const c = new SshConnection(target([garbage, other]))
    try {
      const err = await c.exec(code('true')).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(UnreachableError)
      expect((err as Error).message).to.match(/^ssh someone@127\.0\.0\.1:\d+: All configured authentication methods failed \(keys left out: .*garbage: /)
    } finally {
      await c.close()
    }
    expect(server.auths).to.deep.equal(['none', 'publickey other'])
    expect(server.connections).to.equal(1)
  })
})
