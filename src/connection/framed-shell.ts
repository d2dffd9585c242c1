// A persistent remote (or local) `sh` that runs one framed command at a time. This is where the
// speed comes from: no channel or process start per command, just a few bytes each way.
//
// Ctrl-C: the session shell is the leader of its own process group (sshd starts every session
// with setsid; the local shell is spawned detached), and the commands it runs stay in that group.
// The shell reports the group first thing; interrupt() then signals the whole group from a second
// channel, so a `sleep`, an `apt-get` and the `dpkg` it started all stop, not just the shell.
import { randomBytes } from 'node:crypto'
import type { Readable, Writable } from 'node:stream'
import { code, type Script, sh } from '../shell/index.js'
import { type ExecOptions, type ExecResult, InterruptedError, type InterruptOutcome, UnreachableError } from './connection.js'
import { frame, marker } from './shell.js'
import { AppendBuffer } from './append-buffer.js'

/** Runs a script on the same host over another channel (or process): how an interrupt reaches a busy shell. */
export type SideRunner = (script: string, timeoutMs: number) => Promise<ExecResult>

/**
 * Every command starts with these traps: a TERM (or HUP, INT) makes the command's shell exit
 * through its EXIT trap, so an interrupted upload still removes its temp file.
 */
export const EXIT_ON_SIGNAL = code(`trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM\n`)

/** The session shell's process group (the 5th field of /proc/$$/stat; $$ where there is no /proc). */
function reportGroup(token: string): string {
  return sh`read -r _ _ _ _ rmp_pg _ 2>/dev/null </proc/$$/stat || rmp_pg=$$; printf '%s:%s\\n' ${groupMarker(token)} "$rmp_pg"; unset rmp_pg
`.text
}

function groupMarker(token: string): string {
  return `__RMP_PG_${token}`
}

/** TERM to the group, up to 3 s for it to go, then KILL; then the follow-up. (dash's kill takes no `--`.) */
export function stopGroupScript(pg: number, followUp?: Script): string {
  if (!Number.isInteger(pg) || pg <= 1) throw new Error(`not a process group: ${pg}`)
  return sh`pg=${pg}
if kill -TERM -"$pg" 2>/dev/null; then
  i=0
  while kill -0 -"$pg" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 30 ]; then kill -KILL -"$pg" 2>/dev/null; break; fi
    sleep 0.1
  done
fi
${followUp ?? code(':')}
`.text
}

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
  private readonly outBuf = new AppendBuffer()
  private readonly errBuf = new AppendBuffer()
  /**
   * Where the search for the running command's end marker in stdout goes on from: what was searched
   * before is not searched again when the next chunk comes (a large output, many chunks).
   */
  private scan = { token: '', from: 0 }
  /** The session shell's process group, once it has said so (see reportGroup). */
  private group?: number
  private groupSeen = false
  private readonly groupToken = randomBytes(9).toString('hex')
  private groupKnown: Promise<number | undefined>
  private setGroup: (pg: number | undefined) => void = () => undefined

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
    this.groupKnown = new Promise((r) => (this.setGroup = r))
    this.stdin.write(reportGroup(this.groupToken))
  }

  /** The shell ended (connection dropped, process died): fail what is running and what comes. */
  fail(e: Error): void {
    if (this.closed) return
    this.closed = e instanceof UnreachableError || e instanceof InterruptedError ? e : new UnreachableError(e.message)
    // an interrupt still needs the group, which may be on its way (the shell just started)
    if (!(e instanceof InterruptedError)) this.setGroup(undefined)
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
      this.stdin.write(frame(token, EXIT_ON_SIGNAL.text + script, opts, this.loginUser))
    })
  }

  /**
   * Ctrl-C: nothing starts here any more (the running and queued commands reject with
   * InterruptedError at once); a running command is stopped with its whole process group over
   * `side`, then `followUp` runs there.
   */
  async interrupt(side: SideRunner, followUp?: Script): Promise<InterruptOutcome> {
    if (this.closed) return { stopped: false }
    const busy = this.current !== undefined
    this.fail(new InterruptedError())
    if (!busy) return { stopped: false }
    let timer: NodeJS.Timeout | undefined
    const pg = this.group ?? (await Promise.race([this.groupKnown, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 5000)))]))
    clearTimeout(timer)
    if (pg === undefined) return { stopped: false, error: 'the process group of the remote shell is unknown; the command may still be running' }
    try {
      const r = await side(stopGroupScript(pg, followUp), 15000)
      return { stopped: true, followUp: r.stdout }
    } catch (e) {
      return { stopped: false, error: `could not stop the command: ${(e as Error).message}` }
    }
  }

  private onOut(d: Buffer): void {
    this.outBuf.append(d)
    if (!this.groupSeen) {
      // The shell's first line (see reportGroup): taken out before any command's output is read.
      const buf = this.outBuf.view()
      const m = Buffer.from(groupMarker(this.groupToken) + ':')
      const at = buf.indexOf(m)
      const nl = at < 0 ? -1 : buf.indexOf('\n', at)
      if (nl < 0) return
      const pg = parseInt(buf.subarray(at + m.length, nl).toString(), 10)
      this.group = pg > 1 ? pg : undefined
      this.groupSeen = true
      this.setGroup(this.group)
      this.outBuf.replace(Buffer.concat([buf.subarray(0, at), buf.subarray(nl + 1)]))
    }
    const c = this.current
    if (!c || c.code !== undefined) return
    const buf = this.outBuf.view()
    const m = Buffer.from(marker(c.token) + ':')
    // a marker split across chunks starts at most its length (plus the exit code) before the new bytes
    const from = this.scan.token === c.token ? Math.max(0, this.scan.from - m.length - 16) : 0
    const at = buf.indexOf(m, from)
    this.scan = { token: c.token, from: at < 0 ? buf.length : at }
    if (at < 0) return
    const rest = buf.subarray(at + m.length)
    const nl = rest.indexOf('\n')
    if (nl < 0) return
    c.out.push(buf.subarray(0, at))
    c.code = parseInt(rest.subarray(0, nl).toString().replace(/:$/, ''), 10)
    this.outBuf.replace(rest.subarray(nl + 1))
    this.settle()
  }

  private onErr(d: Buffer): void {
    this.errBuf.append(d)
    const c = this.current
    if (!c || c.errDone) return
    const buf = this.errBuf.view()
    const m = Buffer.from(marker(c.token) + '\n')
    const at = buf.indexOf(m)
    if (at < 0) return
    c.err.push(buf.subarray(0, at))
    c.errDone = true
    this.errBuf.replace(buf.subarray(at + m.length))
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
