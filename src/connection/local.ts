// The local connection (`ansible_connection: local`, and the implicit localhost): the same framed
// shell, over a child process instead of an SSH channel.
import { spawn, type ChildProcess } from 'node:child_process'
import { userInfo } from 'node:os'
import type { Script } from '../shell/index.js'
import { type Connection, type ExecOptions, type ExecResult, UnreachableError } from './connection.js'
import { FramedShell } from './framed-shell.js'

export class LocalConnection implements Connection {
  private child?: ChildProcess
  private shell?: FramedShell
  private readonly user = userInfo().username

  constructor(readonly host: string) {}

  /** A shell that died is not replaced until close(): as over SSH, nothing is re-run behind the engine. */
  private open(): FramedShell {
    if (this.shell) return this.shell
    const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child = child
    const shell = new FramedShell(child.stdin!, child.stdout!, child.stderr!, this.user, () => child.kill('SIGKILL'))
    child.on('exit', (code) => shell.fail(new UnreachableError(`local shell exited (${code})`)))
    child.on('error', (e) => shell.fail(e))
    this.shell = shell
    return shell
  }

  exec(script: Script, opts?: ExecOptions): Promise<ExecResult> {
    return this.open().exec(script.text, opts)
  }

  async close(): Promise<void> {
    const child = this.child
    this.child = undefined
    this.shell = undefined
    if (child && child.exitCode === null) {
      child.stdin?.end()
      await new Promise<void>((r) => {
        const t = setTimeout(() => { child.kill('SIGKILL'); r() }, 2000)
        child.once('exit', () => { clearTimeout(t); r() })
      })
    }
  }
}
