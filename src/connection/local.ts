// The local connection (`ansible_connection: local`, and the implicit localhost): the same framed
// shell, over a child process instead of an SSH channel.
import { spawn, type ChildProcess } from 'node:child_process'
import { userInfo } from 'node:os'
import type { Script } from '../shell/index.js'
import { type Connection, type ExecOptions, type ExecResult, InterruptedError, type InterruptOutcome, UnreachableError } from './connection.js'
import { FramedShell } from './framed-shell.js'
import { execLine, type Trace } from './trace.js'

export class LocalConnection implements Connection {
  private child?: ChildProcess
  private shell?: FramedShell
  private readonly user = userInfo().username
  private interrupted = false

  constructor(
    readonly host: string,
    private readonly trace?: Trace,
  ) {}

  /** A shell that died is not replaced until close(): as over SSH, nothing is re-run behind the engine. */
  private open(): FramedShell {
    if (this.interrupted) throw new InterruptedError('interrupted: not started')
    if (this.shell) return this.shell
    // detached: the shell leads its own process group, which an interrupt stops as a whole (and
    // which a Ctrl-C on the terminal does not reach behind rm-play's back).
    const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    this.child = child
    const shell = new FramedShell(child.stdin!, child.stdout!, child.stderr!, this.user, () => child.kill('SIGKILL'))
    child.on('exit', (code) => shell.fail(new UnreachableError(`local shell exited (${code})`)))
    child.on('error', (e) => shell.fail(e))
    this.shell = shell
    return shell
  }

  async exec(script: Script, opts?: ExecOptions): Promise<ExecResult> {
    const shell = this.open()
    this.trace?.(execLine(script.text, opts, this.user))
    return shell.exec(script.text, opts)
  }

  /** Ctrl-C: see Connection.interrupt; the stop runs in a separate local shell. */
  async interrupt(followUp?: Script): Promise<InterruptOutcome> {
    this.interrupted = true
    if (!this.shell) return { stopped: false }
    return this.shell.interrupt(runSide, followUp)
  }

  async close(): Promise<void> {
    const child = this.child
    this.child = undefined
    this.shell = undefined
    if (child && child.exitCode === null) {
      child.stdin?.end()
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL')
          r()
        }, 2000)
        child.once('exit', () => {
          clearTimeout(t)
          r()
        })
      })
    }
  }
}

function runSide(script: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (d: Buffer) => out.push(d))
    child.stderr!.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
    child.stdin!.end(script)
  })
}
