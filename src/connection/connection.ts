// What the engine needs from a host connection: run a shell script, and close.
// Both SSH and local connections keep ONE shell open per host and frame commands through it.
import type { Script } from '../shell/index.js'

export interface Become {
  user: string // target user, root by default
  password?: string
}

export interface ExecOptions {
  become?: Become
  env?: Record<string, string>
  cwd?: string
  /** Fed to the script's standard input. */
  stdin?: string | Buffer
  timeoutMs?: number
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface Connection {
  readonly host: string
  /**
   * Runs a POSIX sh script on the host. Never rejects on a non-zero exit; rejects if the host is
   * unreachable. A Script, never a string: text concatenated by hand does not reach a host.
   */
  exec(script: Script, opts?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}

/** The host could not be reached (or the connection dropped): the host is "unreachable", not "failed". */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnreachableError'
  }
}
