// A persistent remote (or local) `sh` that runs one framed command at a time. This is where the
// speed comes from: no channel or process start per command, just a few bytes each way.
import { randomBytes } from 'node:crypto'
import type { Readable, Writable } from 'node:stream'
import { type ExecOptions, type ExecResult, UnreachableError } from './connection.js'
import { frame, marker } from './shell.js'

interface Pending {
  token: string
  out: Buffer[]
  err: Buffer[]
  code?: number
  errDone: boolean
  resolve(r: ExecResult): void
  reject(e: Error): void
  timer?: NodeJS.Timeout
}

export class FramedShell {
  private queue: Promise<unknown> = Promise.resolve()
  private current?: Pending
  private closed?: Error
  private outBuf = Buffer.alloc(0)
  private errBuf = Buffer.alloc(0)

  constructor(
    private readonly stdin: Writable,
    stdout: Readable,
    stderr: Readable,
    private readonly loginUser: string | undefined,
    private readonly onTimeout: () => void,
  ) {
    stdout.on('data', (d: Buffer) => this.onOut(d))
    stderr.on('data', (d: Buffer) => this.onErr(d))
    stdin.on('error', (e: Error) => this.fail(e))
  }

  /** The shell ended (connection dropped, process died): fail what is running and what comes. */
  fail(e: Error): void {
    if (this.closed) return
    this.closed = e instanceof UnreachableError ? e : new UnreachableError(e.message)
    const c = this.current
    this.current = undefined
    if (c) {
      clearTimeout(c.timer)
      c.reject(this.closed)
    }
  }

  get isClosed(): boolean {
    return this.closed !== undefined
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const run = () => this.runOne(script, opts)
    const p = this.queue.then(run, run)
    this.queue = p.catch(() => undefined)
    return p
  }

  private runOne(script: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.closed) return Promise.reject(this.closed)
    const token = randomBytes(9).toString('hex')
    return new Promise<ExecResult>((resolve, reject) => {
      const pending: Pending = { token, out: [], err: [], errDone: false, resolve, reject }
      this.current = pending
      if (opts.timeoutMs) {
        pending.timer = setTimeout(() => {
          this.fail(new UnreachableError(`command timed out after ${opts.timeoutMs} ms`))
          this.onTimeout()
        }, opts.timeoutMs)
      }
      this.stdin.write(frame(token, script, opts, this.loginUser))
    })
  }

  private onOut(d: Buffer): void {
    this.outBuf = Buffer.concat([this.outBuf, d])
    const c = this.current
    if (!c || c.code !== undefined) return
    const m = Buffer.from(marker(c.token) + ':')
    const at = this.outBuf.indexOf(m)
    if (at < 0) return
    const rest = this.outBuf.subarray(at + m.length)
    const nl = rest.indexOf('\n')
    if (nl < 0) return
    c.out.push(this.outBuf.subarray(0, at))
    c.code = parseInt(rest.subarray(0, nl).toString().replace(/:$/, ''), 10)
    this.outBuf = Buffer.from(rest.subarray(nl + 1))
    this.settle()
  }

  private onErr(d: Buffer): void {
    this.errBuf = Buffer.concat([this.errBuf, d])
    const c = this.current
    if (!c || c.errDone) return
    const m = Buffer.from(marker(c.token) + '\n')
    const at = this.errBuf.indexOf(m)
    if (at < 0) return
    c.err.push(this.errBuf.subarray(0, at))
    c.errDone = true
    this.errBuf = Buffer.from(this.errBuf.subarray(at + m.length))
    this.settle()
  }

  private settle(): void {
    const c = this.current
    if (!c || c.code === undefined || !c.errDone) return
    clearTimeout(c.timer)
    this.current = undefined
    c.resolve({
      code: c.code,
      stdout: Buffer.concat(c.out).toString('utf8'),
      stderr: Buffer.concat(c.err).toString('utf8'),
    })
  }
}
