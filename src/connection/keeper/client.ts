// The run's side of the connection keeper: a channel on a kept SSH connection, through the
// keeper's socket, with the shape of an ssh2 channel (a duplex for stdin/stdout, `stderr`, a
// 'close' event with the exit code, close()). The keeper is started on first need; when it cannot
// be (no private directory, no program, it died), the caller connects by itself.
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { Duplex, PassThrough } from 'node:stream'
import { UnreachableError } from '../connection.js'
import { type ChannelAnswer, type ChannelRequest, encodeFrame, FrameReader, FrameType, PROTOCOL, REUSE_TIMEOUT_MS } from './protocol.js'
import { KEEPER_MAIN, keeperDir, keeperSocket } from './paths.js'

/** The keeper could not be asked (as opposed to: it asked the host, and the host said no). */
export class KeeperUnavailable extends Error {}

export class KeptChannel extends Duplex {
  readonly stderr = new PassThrough()
  private ended = false

  constructor(private readonly sock: Socket) {
    super({ emitClose: false, autoDestroy: false, allowHalfOpen: true })
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.sock.destroyed) return cb()
    this.sock.write(encodeFrame(FrameType.Stdin, chunk), () => cb())
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (!this.sock.destroyed) this.sock.write(encodeFrame(FrameType.StdinEnd))
    cb()
  }

  override _read(): void {}

  /** Closes the channel (the keeper closes it on the host). */
  close(): void {
    this.sock.destroy()
  }

  /** The channel ended: its exit code if the host said one. */
  finish(code: number | undefined): void {
    if (this.ended) return
    this.ended = true
    this.push(null)
    this.stderr.end()
    this.emit('close', code)
  }
}

export interface KeptOpen {
  channel: KeptChannel
  answer: Extract<ChannelAnswer, { ok: true }>
  /** Called with why, when the SSH connection under the channel dropped (before 'close'). */
  onLost(f: (why: string) => void): void
}

let socketPath: string | undefined | null
let starting: Promise<void> | undefined

function pathOfSocket(): string {
  if (socketPath === undefined) {
    const dir = keeperDir()
    socketPath = dir ? keeperSocket(dir) : null
  }
  if (!socketPath) throw new KeeperUnavailable('no private directory for the keeper socket')
  return socketPath
}

/** Starts the keeper and waits for its "ready" (it says so also when another keeper already listens). */
function startKeeper(path: string): Promise<void> {
  return (starting ??= new Promise<void>((resolve, reject) => {
    // what the keeper says on stderr (nothing, unless it fails) goes to a log beside its socket
    let log: number | 'ignore' = 'ignore'
    try {
      log = openSync(`${path}.log`, 'a', 0o600)
    } catch {
      // no log then
    }
    const child = spawn(process.execPath, [KEEPER_MAIN, path], { detached: true, stdio: ['ignore', 'pipe', log] })
    if (typeof log === 'number') closeSync(log)
    let said = ''
    child.on('error', (e) => reject(new KeeperUnavailable(`cannot start the keeper: ${e.message}`)))
    child.stdout!.on('data', (d: Buffer) => (said += d.toString()))
    child.stdout!.on('close', () => (said.startsWith('ready') ? resolve() : reject(new KeeperUnavailable('the keeper did not start'))))
    child.unref()
  }).finally(() => (starting = undefined)))
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path)
    s.once('connect', () => {
      s.removeAllListeners('error')
      resolve(s)
    })
    s.once('error', reject)
  })
}

async function keeperConnection(): Promise<Socket> {
  const path = pathOfSocket()
  try {
    return await dial(path)
  } catch {
    await startKeeper(path)
    try {
      return await dial(path)
    } catch (e) {
      throw new KeeperUnavailable(`cannot reach the keeper: ${(e as Error).message}`)
    }
  }
}

/**
 * A channel on the kept connection `req` names: reused, or made by the keeper (one attempt).
 * Rejects with KeeperUnavailable when the keeper could not be asked, with an UnreachableError
 * (code, final as a direct attempt's) when the host could not be reached or refused.
 */
export async function openKeptChannel(req: Omit<ChannelRequest, 'protocol'>): Promise<KeptOpen> {
  const answerWithinMs = req.timeoutMs + REUSE_TIMEOUT_MS + 2000
  const sock = await keeperConnection()
  sock.setNoDelay(true)
  const channel = new KeptChannel(sock)
  let lost: ((why: string) => void) | undefined
  return new Promise((resolve, reject) => {
    let answered = false
    let exitCode: number | undefined
    // The keeper answers within the set-up time (its own attempt is bounded by it, after at most
    // REUSE_TIMEOUT_MS on a kept connection); a keeper that does not is stuck: connect without it.
    const silence = setTimeout(() => {
      sock.destroy()
      reject(new KeeperUnavailable(`the keeper did not answer in ${Math.round(answerWithinMs / 1000)} s`))
    }, answerWithinMs)
    const reader = new FrameReader((type, payload) => {
      if (!answered) {
        if (type !== FrameType.Answer) return
        answered = true
        clearTimeout(silence)
        let a: ChannelAnswer
        try {
          a = JSON.parse(payload.toString()) as ChannelAnswer
        } catch {
          sock.destroy()
          return reject(new KeeperUnavailable('the keeper answered something unreadable'))
        }
        if (!a.ok) {
          sock.destroy()
          if (a.code === 'PROTOCOL') return reject(new KeeperUnavailable(a.message))
          return reject(Object.assign(new UnreachableError(a.message), { code: a.code, final: a.final }))
        }
        return resolve({ channel, answer: a, onLost: (f) => (lost = f) })
      }
      if (type === FrameType.Stdout) channel.push(payload)
      else if (type === FrameType.Stderr) channel.stderr.write(payload)
      else if (type === FrameType.Exit) exitCode = (JSON.parse(payload.toString()) as { code?: number }).code ?? undefined
      else if (type === FrameType.Lost) lost?.(payload.toString())
    })
    sock.on('data', (d: Buffer) => reader.push(d))
    sock.on('error', () => undefined) // 'close' follows
    sock.on('close', () => {
      clearTimeout(silence)
      if (!answered) return reject(new KeeperUnavailable('the keeper closed the socket before answering'))
      channel.finish(exitCode)
    })
    sock.write(encodeFrame(FrameType.Request, JSON.stringify({ protocol: PROTOCOL, ...req } satisfies ChannelRequest)))
  })
}
