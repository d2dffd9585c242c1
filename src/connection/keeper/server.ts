// The connection keeper: a background process that keeps each host's SSH connection open for a
// while after the run that made it (Ansible's ControlPersist=60s, its default), so the next run
// opens a channel on it instead of logging in again: no TCP and key exchange, no authentication,
// no new session on the host (sshd, PAM, logind and the user's systemd instance: about 60 ms of
// the host's CPU and 140 ms of waiting per host on the lab). A run asks for a channel per socket
// connection (protocol.ts); the keeper answers from a kept connection or makes one, the way the
// run would have (ssh-dial.ts), and relays the channel's bytes. A connection unused for its
// persist time is closed; the keeper exits when it keeps nothing.
import { createServer, type Server, type Socket } from 'node:net'
import type { Client, ClientChannel } from 'ssh2'
import { readKeys } from '../ssh-keys.js'
import { type DialError, dialOnce, type HandshakeInfo, type Ssh2 } from '../ssh-dial.js'
import { type ChannelAnswer, type ChannelRequest, encodeFrame, FrameReader, FrameType, PROTOCOL, REUSE_TIMEOUT_MS } from './protocol.js'

interface Kept {
  id: number
  key: string
  client: Client
  negotiated: HandshakeInfo
  hostKey: Buffer
  warnings: string[]
  /** Sockets with a channel on this connection now. */
  users: Set<Socket>
  persistMs: number
  idle?: NodeJS.Timeout
  /** No longer given out (reset, or it did not open a channel in time); closed once unused. */
  retired?: boolean
}

/** With nothing kept and nobody connected, the keeper waits this long for a run before it exits. */
const LINGER_MS = 2000

/**
 * Writes a frame to the run, gathered with the others of this tick: ssh2 hands over a command's
 * output in many small pieces (one per SSH packet), and a write to the socket per piece was half
 * of the keeper's CPU.
 */
function relay(sock: Socket, type: FrameType, payload: Buffer): void {
  if (sock.destroyed) return
  if (!sock.writableCorked) {
    sock.cork()
    process.nextTick(() => sock.uncork())
  }
  sock.write(encodeFrame(type, payload))
}

export class Keeper {
  private readonly byKey = new Map<string, Kept>()
  private readonly byId = new Map<number, Kept>()
  private readonly dialing = new Map<string, Promise<Kept>>()
  private readonly sockets = new Set<Socket>()
  private nextId = 1
  private exitTimer?: NodeJS.Timeout
  readonly server: Server

  /** ssh2 loads while the first run waits for its connection anyway: the keeper says ready sooner. */
  private ssh2?: Promise<Ssh2>

  constructor(
    private readonly loadSsh2: () => Promise<Ssh2>,
    private readonly onExit: () => void,
  ) {
    this.server = createServer((s) => this.accept(s))
    this.lingerThenExit()
  }

  private lingerThenExit(): void {
    clearTimeout(this.exitTimer)
    if (this.byKey.size || this.dialing.size || this.sockets.size) return
    this.exitTimer = setTimeout(() => {
      if (!this.byKey.size && !this.dialing.size && !this.sockets.size) this.onExit()
    }, LINGER_MS)
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock)
    clearTimeout(this.exitTimer)
    sock.setNoDelay(true)
    let channel: ClientChannel | undefined
    let asked = false
    const reader = new FrameReader((type, payload) => {
      if (!asked) {
        asked = true
        if (type !== FrameType.Request) return sock.destroy()
        this.serve(sock, JSON.parse(payload.toString()) as ChannelRequest, (c) => (channel = c)).catch(() => sock.destroy())
      } else if (type === FrameType.Stdin) channel?.write(payload)
      else if (type === FrameType.StdinEnd) channel?.end()
    })
    sock.on('data', (d: Buffer) => {
      try {
        reader.push(d)
      } catch {
        sock.destroy()
      }
    })
    sock.on('error', () => undefined)
    sock.on('close', () => {
      this.sockets.delete(sock)
      channel?.close()
      this.lingerThenExit()
    })
  }

  private answer(sock: Socket, a: ChannelAnswer): void {
    if (!sock.destroyed) sock.write(encodeFrame(FrameType.Answer, JSON.stringify(a)))
  }

  /** Answers the request and relays its channel (given to `use` before the run hears of it). */
  private async serve(sock: Socket, req: ChannelRequest, use: (c: ClientChannel) => void): Promise<void> {
    if (req.protocol !== PROTOCOL) {
      this.answer(sock, { ok: false, message: `keeper protocol ${PROTOCOL}, asked ${req.protocol}`, code: 'PROTOCOL' })
      sock.end()
      return
    }
    let got: { kept: Kept; channel: ClientChannel; reused: boolean }
    try {
      got = await this.channelFor(req)
    } catch (e) {
      const err = e as DialError
      this.answer(sock, { ok: false, message: err.message, code: err.code, final: err.final })
      sock.end()
      return
    }
    const { kept, channel, reused } = got
    kept.users.add(sock)
    if (sock.destroyed) {
      channel.close()
      this.release(kept, sock)
      return
    }
    use(channel)
    this.answer(sock, {
      ok: true,
      connection: kept.id,
      reused,
      negotiated: kept.negotiated,
      hostKey: kept.hostKey.toString('base64'),
      warnings: reused ? [] : kept.warnings,
    })
    channel.on('data', (d: Buffer) => relay(sock, FrameType.Stdout, d))
    channel.stderr.on('data', (d: Buffer) => relay(sock, FrameType.Stderr, d))
    channel.on('close', (code?: number) => {
      if (!sock.destroyed) sock.end(encodeFrame(FrameType.Exit, JSON.stringify({ code: typeof code === 'number' ? code : null })))
      this.release(kept, sock)
    })
    sock.on('close', () => this.release(kept, sock))
  }

  private async channelFor(req: ChannelRequest): Promise<{ kept: Kept; channel: ClientChannel; reused: boolean }> {
    if (req.connection !== undefined) {
      const kept = this.byId.get(req.connection)
      if (!kept) throw Object.assign(new Error('connection closed'), { final: true })
      return { kept, channel: await this.open(kept, req), reused: true }
    }
    const old = this.byKey.get(req.key)
    if (old && req.fresh) this.retire(old)
    else if (old) {
      try {
        return { kept: old, channel: await this.open(old, req, Math.min(REUSE_TIMEOUT_MS, req.timeoutMs)), reused: true }
      } catch {
        // dead, stuck, or out of sessions (sshd's MaxSessions): a new one below; the old one
        // still serves the runs that have channels on it
        this.retire(old)
      }
    }
    let making = this.dialing.get(req.key)
    const mine = !making
    if (!making) {
      making = this.dial(req).finally(() => this.dialing.delete(req.key))
      this.dialing.set(req.key, making)
    }
    const kept = await making
    // a run that joined another's set-up checks the host key itself (it may trust other files)
    return { kept, channel: await this.open(kept, req), reused: !mine }
  }

  private async dial(req: ChannelRequest): Promise<Kept> {
    const ssh2 = await (this.ssh2 ??= this.loadSsh2())
    const { keys, skipped } = readKeys(ssh2, req.target.privateKeyFiles)
    const warnings: string[] = []
    const d = await dialOnce(ssh2, req.target, req.timeoutMs, keys, skipped, { onWarning: (w) => warnings.push(w) })
    const kept: Kept = {
      id: this.nextId++,
      key: req.key,
      client: d.client,
      negotiated: d.negotiated,
      hostKey: d.hostKey,
      warnings,
      users: new Set(),
      persistMs: req.persistMs ?? Infinity,
    }
    const lost = (why: string) => {
      for (const s of kept.users) s.end(encodeFrame(FrameType.Lost, why))
      this.drop(kept)
    }
    d.client.on('error', (e: Error) => lost(e.message))
    d.client.on('close', () => lost('connection closed'))
    this.byKey.set(kept.key, kept)
    this.byId.set(kept.id, kept)
    return kept
  }

  private open(kept: Kept, req: ChannelRequest, timeoutMs = req.timeoutMs): Promise<ClientChannel> {
    clearTimeout(kept.idle)
    kept.persistMs = req.persistMs ?? Infinity
    return new Promise((resolve, reject) => {
      let done = false
      const timer = setTimeout(() => {
        done = true
        reject(new Error(`no channel in ${timeoutMs} ms`))
      }, timeoutMs)
      kept.client.exec(req.command, req.pty ? { pty: req.pty } : {}, (err, channel) => {
        clearTimeout(timer)
        if (done) return channel?.close()
        done = true
        if (err) return reject(err)
        resolve(channel)
      })
    })
  }

  /** Given out no more; closed now if unused, else when its last channel closes. */
  private retire(kept: Kept): void {
    kept.retired = true
    if (this.byKey.get(kept.key) === kept) this.byKey.delete(kept.key)
    if (!kept.users.size) this.drop(kept)
  }

  /** A socket is done with the connection; unused, it is kept for its persist time. */
  private release(kept: Kept, sock: Socket): void {
    kept.users.delete(sock)
    if (kept.users.size || !this.byId.has(kept.id)) return
    if (kept.retired) return this.drop(kept)
    clearTimeout(kept.idle)
    if (Number.isFinite(kept.persistMs)) kept.idle = setTimeout(() => this.drop(kept), kept.persistMs)
  }

  private drop(kept: Kept): void {
    clearTimeout(kept.idle)
    if (this.byId.get(kept.id) !== kept) return
    this.byId.delete(kept.id)
    if (this.byKey.get(kept.key) === kept) this.byKey.delete(kept.key)
    kept.client.removeAllListeners('close')
    kept.client.end()
    this.lingerThenExit()
  }
}
