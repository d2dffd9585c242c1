// What the engine needs from a host connection: run a shell script, and close.
// Both SSH and local connections keep ONE shell open per host and frame commands through it.
import type { Script } from '../shell/index.js'

export interface Become {
  user: string // target user, root by default
  password?: string
  /** sudo (default) or su (--become-method). */
  method?: 'sudo' | 'su'
}

export interface ExecOptions {
  become?: Become
  env?: Record<string, string>
  cwd?: string
  /** Fed to the script's standard input. */
  stdin?: string | Buffer
  timeoutMs?: number
  /** -vvv shows not this script (no_log). */
  untraced?: boolean
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

/** What stopping a host's running command did (see Connection.interrupt). */
export interface InterruptOutcome {
  /** A command was running and its whole process group was signalled (TERM, then KILL). */
  stopped: boolean
  /** The output of the follow-up script, run on the host after the stop. */
  followUp?: string
  /** Why the command could not be stopped (the host may still be running it). */
  error?: string
}

export interface Connection {
  readonly host: string
  /**
   * Runs a POSIX sh script on the host. Never rejects on a non-zero exit; rejects if the host is
   * unreachable. A Script, never a string: text concatenated by hand does not reach a host.
   */
  exec(script: Script, opts?: ExecOptions): Promise<ExecResult>
  /**
   * Ctrl-C: no command starts on this connection any more; the running one (and everything it
   * started: its process group) is stopped on the host, then `followUp` runs there if something
   * was stopped. The pending exec rejects with InterruptedError.
   */
  interrupt?(followUp?: Script): Promise<InterruptOutcome>
  /**
   * Starts setting up now (for SSH: TCP, handshake, login, the shell) and runs nothing; a failure
   * is what the first exec then rejects with. A connection with nothing to set up has none.
   */
  prepare?(): void
  close(): Promise<void>
}

/** The run was interrupted (Ctrl-C): the command was stopped, or never started. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted: the command was stopped') {
    super(message)
    this.name = 'InterruptedError'
  }
}

/** The host could not be reached (or the connection dropped): the host is "unreachable", not "failed". */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnreachableError'
  }
}
