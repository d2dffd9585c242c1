// An in-process ssh2 server that runs each exec with a local /bin/sh, and counts the TCP
// connections and authentication requests it saw (unit tests of the SSH connection).
import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import ssh2, { type ParsedKey } from 'ssh2'

// ssh2 is CommonJS: only some of its names can be imported by name
const { Server, utils } = ssh2

export interface FakeServer {
  port: number
  connections: number
  /** Each authentication request: its method; for a public key, whether it is the allowed one and signed. */
  auths: string[]
  close(): void
  /** Ends every client connection (as a restarted sshd would). */
  dropAll(): void
}

export function publicOf(privateKey: string): ParsedKey {
  const k = utils.parseKey(privateKey)
  if (k instanceof Error || Array.isArray(k)) throw new Error('test key does not parse')
  return k
}

/** `maxSessions`: channels a connection may have open at once (sshd's MaxSessions); more are refused. */
export async function fakeServer(allowed: ParsedKey, opts: { maxSessions?: number } = {}): Promise<FakeServer> {
  const hostKey = utils.generateKeyPairSync('ed25519').private
  const state = { connections: 0, auths: [] as string[] }
  const clients = new Set<{ end(): void }>()
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    state.connections++
    clients.add(client)
    client.on('close', () => clients.delete(client))
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
    let sessions = 0
    client.on('session', (accept, reject) => {
      if (opts.maxSessions !== undefined && sessions >= opts.maxSessions) return reject()
      sessions++
      const session = accept()
      session.once('close', () => sessions--)
      session.once('exec', (acceptExec, _reject, info) => {
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
    dropAll: () => {
      for (const c of clients) c.end()
    },
  }
}
