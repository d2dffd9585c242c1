// The SSH connection: one SSH connection per host, one exec channel running `sh`, kept open for the
// whole run; every command goes through that shell (see framed-shell.ts). The connection is made
// here (ssh-dial.ts) or, by default, by the connection keeper, which keeps it for the next run
// (ControlPersist: keeper/server.ts); the shell is this run's own either way.
//
// Connection set-up (TCP, handshake, authentication) is retried with backoff and jitter until
// --timeout (connect-retry.ts); a refused host key, a failed authentication or unacceptable
// algorithms are final at once. Once the shell is open, nothing is retried: a connection lost while
// a command runs makes the host unreachable, and the command is never sent again (its effect on the
// host is unknown). A host that stops answering mid-command (powered off, black-holed by a
// firewall) is found by SSH keepalives: every ServerAliveInterval seconds (default 15) a keepalive
// request; ServerAliveCountMax (default 3) unanswered in a row drop the connection. Both are
// OpenSSH's options, read from ansible_ssh_common_args/extra_args (`-o ServerAliveInterval=5`).
// This bounds silence from a dead host, not the run time of a command: a long `apt-get` on a live
// host keeps answering keepalives.
import { randomBytes } from 'node:crypto'
import { existsSync as exists, statSync } from 'node:fs'
import type { Script } from '../shell/index.js'
import { type Become, type Connection, type ExecOptions, type ExecResult, InterruptedError, type InterruptOutcome, UnreachableError } from './connection.js'
import { EXIT_ON_SIGNAL, FramedShell } from './framed-shell.js'
import { DEFAULT_RETRY, isTransient as isTransientSetup, withRetries } from './connect-retry.js'
import { execLine, type Trace } from './trace.js'
import { readKeys } from './ssh-keys.js'
import { suCommand, suDialogue, suNeedsTerminal } from './su-terminal.js'
import {
  authMethods,
  checkHostKey,
  DEFAULT_KEEPALIVE_COUNT,
  DEFAULT_KEEPALIVE_MS,
  type DialError,
  dialOnce,
  type DialTarget,
  type HandshakeInfo,
  type Ssh2,
} from './ssh-dial.js'
import { KeeperUnavailable, openKeptChannel } from './keeper/client.js'
import { KeptLink, type Link } from './keeper/link.js'

export { authMethods, DEFAULT_KEEPALIVE_COUNT, DEFAULT_KEEPALIVE_MS, type HandshakeInfo }
export type { HostKeyChecking } from './ssh-dial.js'

export interface SshTarget extends DialTarget {
  /** Total time to set up the connection, retries included (Ansible's --timeout). */
  connectTimeoutMs: number
  /**
   * ControlPersist: how long the connection stays open after the run for the next one, kept by
   * the connection keeper (keeper/server.ts); null for ever; undefined: not kept (a direct
   * connection, closed with the run). A connection with a password is never kept.
   */
  persistMs?: number | null
  /** -vvv: connection detail (set-up, algorithms, each command) to the CLI, which masks it. */
  trace?: Trace
  /** -vvvv: ssh2's own debug lines (the negotiation) to trace as well (a direct connection). */
  traceNegotiation?: boolean
  /** Where a warning about this host goes (an accepted changed host key). */
  warn?: (msg: string) => void
}

// ssh2 (and its crypto set-up) loads on the first direct connection, not with the command: a local
// run, --syntax-check, --list-* and --version never pay for it, nor a run on kept connections.
let ssh2Module: Promise<Ssh2> | undefined
const loadSsh2 = (): Promise<Ssh2> => (ssh2Module ??= import('ssh2').then((m) => ((m as { default?: Ssh2 }).default ?? m) as Ssh2))

/** Which kept connection a target may use: everything it is made from, the key files' identity included. */
function keptKey(t: SshTarget): string {
  const keyFiles = t.privateKeyFiles.map((f) => {
    try {
      const st = statSync(f)
      return `${f}:${st.ino}:${st.size}:${st.mtimeMs}`
    } catch {
      return `${f}:-`
    }
  })
  return JSON.stringify([
    t.address,
    t.port,
    t.user,
    keyFiles,
    t.agent ?? null,
    t.keepaliveIntervalMs ?? null,
    t.keepaliveCountMax ?? null,
    t.algorithms ?? null,
  ])
}

export class SshConnection implements Connection {
  private client?: Link
  /** After close() (meta: reset_connection): the next kept connection is a new one. */
  private freshKept = false
  private shell?: FramedShell
  private opening?: Promise<FramedShell>
  /** Set when an open connection was lost: final, never reconnected behind the engine's back. */
  private lost?: UnreachableError
  /** Why a set-up started by prepare() failed: the next exec rejects with it (not a second set-up). */
  private setupFailure?: Error
  /** Bumped by close(): a set-up still under way then is ended when it completes, never used. */
  private generation = 0
  /** What the last handshake agreed on. */
  negotiated?: HandshakeInfo
  /** Connection attempts made (retries included). */
  attempts = 0
  private interrupted = false
  /** su-with-password commands, one at a time, and the channel of the running one. */
  private suQueue: Promise<unknown> = Promise.resolve()
  private suStream?: { close(): void }

  constructor(readonly target: SshTarget) {}

  get host(): string {
    return this.target.host
  }

  private warn(msg: string): void {
    if (this.target.warn) this.target.warn(msg)
    else process.stderr.write(`[WARNING] ${msg}\n`)
  }

  private establishing(auth: string[]): void {
    const t = this.target
    this.attempts++
    t.trace?.(
      `ESTABLISH SSH CONNECTION FOR USER: ${t.user} to ${t.address}:${t.port} (attempt ${this.attempts}; auth: ${auth.join(', ')}; host key checking: ${t.hostKeyChecking})`,
    )
  }

  private negotiatedWith(n: HandshakeInfo, how = ''): void {
    this.negotiated = n
    this.target.trace?.(
      `SSH: negotiated kex ${n.kex}, host key ${n.serverHostKey}, cipher ${n.cipher}, mac ${n.mac}${n.strictKex ? ', strict key exchange' : ''}${how}`,
    )
  }

  /** One attempt at TCP + handshake + authentication by this process, bounded by `timeoutMs`. */
  private async dialDirect(timeoutMs: number): Promise<Link> {
    const ssh2 = await loadSsh2()
    const t = this.target
    const { keys, skipped } = readKeys(ssh2, t.privateKeyFiles)
    this.establishing(authMethods(t, keys).map((m) => m.type))
    const d = await dialOnce(ssh2, t, timeoutMs, keys, skipped, {
      ...(t.traceNegotiation && t.trace ? { debug: (line: string) => t.trace!(`ssh2: ${line}`) } : {}),
      onNegotiated: (n) => this.negotiatedWith(n),
      onWarning: (w) => this.warn(w),
    })
    return d.client
  }

  /**
   * One attempt through the connection keeper: a kept connection's shell channel, or a new
   * connection the keeper made. A reused connection's host key is checked again here, against
   * this run's known_hosts and policy. Undefined when the keeper cannot be asked.
   */
  private async dialKept(timeoutMs: number, persistMs: number | null): Promise<Link | undefined> {
    const t = this.target
    const auth = ['none', ...(t.privateKeyFiles.some(exists) ? ['publickey'] : []), ...(t.agent ? ['agent'] : [])]
    this.establishing(auth)
    const { host, address, port, user, privateKeyFiles, agent, knownHostsFiles, hostKeyChecking, keepaliveIntervalMs, keepaliveCountMax, algorithms } = t
    const base = {
      key: keptKey(t),
      target: { host, address, port, user, privateKeyFiles, agent, knownHostsFiles, hostKeyChecking, keepaliveIntervalMs, keepaliveCountMax, algorithms },
      timeoutMs,
      persistMs,
    }
    let opened
    try {
      opened = await openKeptChannel({ ...base, command: '/bin/sh', ...(this.freshKept ? { fresh: true } : {}) })
    } catch (e) {
      if (!(e instanceof KeeperUnavailable)) throw e
      t.trace?.(`SSH: the connection keeper is not available (${e.message}); connecting without it`)
      this.attempts--
      return undefined
    }
    this.freshKept = false
    const a = opened.answer
    if (a.reused) {
      const check = checkHostKey(t, Buffer.from(a.hostKey, 'base64'))
      if (!check.ok) {
        opened.channel.close()
        throw Object.assign(new UnreachableError(`ssh ${user}@${address}:${port}: ${check.problem}`), { final: true }) as DialError
      }
      if (check.warning) this.warn(`${t.host}: ${check.warning}`)
    }
    for (const w of a.warnings) this.warn(w)
    this.negotiatedWith(a.negotiated, a.reused ? '; kept connection reused' : '; kept for the next run')
    return new KeptLink(opened, { ...base, connection: a.connection })
  }

  private async connect(): Promise<Link> {
    const t = this.target
    const keep = t.persistMs !== undefined && t.password === undefined && !t.traceNegotiation
    let viaKeeper = keep
    return withRetries(
      async (remaining) => {
        if (viaKeeper) {
          const link = await this.dialKept(remaining, t.persistMs ?? null)
          if (link) return link
          viaKeeper = false
        }
        return this.dialDirect(remaining)
      },
      { ...DEFAULT_RETRY, timeoutMs: t.connectTimeoutMs },
      (e) => !(e as { final?: boolean }).final && isTransientSetup(e),
    )
  }

  private async open(): Promise<FramedShell> {
    const gen = this.generation
    const client = await this.connect()
    if (gen !== this.generation) {
      client.end()
      throw new UnreachableError(`ssh ${this.host}: connection closed`)
    }
    this.client = client
    const t = this.target
    return new Promise((resolve, reject) => {
      client.exec('/bin/sh', {}, (err, stream) => {
        if (err) return reject(new UnreachableError(`ssh ${this.host}: cannot start a shell: ${err.message}`))
        const shell = new FramedShell(stream, stream, stream.stderr, t.user, () => client.end())
        const lose = (why: string) => {
          const e = new UnreachableError(`ssh ${this.host}: ${why}`)
          this.lost ??= e
          shell.fail(e)
        }
        stream.on('close', () => lose('connection closed'))
        client.on('error', (e: Error) => {
          const silence = (t.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS) * (t.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT)
          lose(
            /keepalive timeout/i.test(e.message)
              ? `no answer for ${silence / 1000} s (ServerAliveInterval x ServerAliveCountMax): connection dropped`
              : e.message,
          )
        })
        client.on('close', () => lose('connection closed'))
        resolve(shell)
      })
    })
  }

  prepare(): void {
    const gen = this.generation
    this.ready().catch((e: Error) => {
      if (gen === this.generation) this.setupFailure = e
    })
  }

  private async ready(): Promise<FramedShell> {
    if (this.interrupted) throw new InterruptedError('interrupted: not started')
    if (this.lost) throw this.lost
    if (this.setupFailure) {
      const e = this.setupFailure
      this.setupFailure = undefined
      throw e
    }
    if (this.shell && !this.shell.isClosed) return this.shell
    if (this.shell) throw this.lost ?? new UnreachableError(`ssh ${this.host}: connection closed`)
    if (!this.opening) {
      const gen = this.generation
      this.opening = this.open().then(
        (s) => {
          if (gen === this.generation) {
            this.shell = s
            this.opening = undefined
          }
          return s
        },
        (e) => {
          if (gen === this.generation) this.opening = undefined
          throw e
        },
      )
    }
    return this.opening
  }

  async exec(script: Script, opts?: ExecOptions): Promise<ExecResult> {
    const shell = await this.ready()
    this.target.trace?.(execLine(script.text, opts, this.target.user))
    const become = opts?.become
    if (suNeedsTerminal(become, this.target.user)) return this.suExec(script, { ...opts, become })
    return shell.exec(script.text, opts)
  }

  /** su with a password: its own channel with a terminal, one command at a time (su-terminal.ts). */
  private suExec(script: Script, opts: ExecOptions & { become: Become & { password: string } }): Promise<ExecResult> {
    const run = () => {
      const client = this.client
      if (this.interrupted) return Promise.reject(new InterruptedError('interrupted: not started'))
      if (!client) return Promise.reject(this.lost ?? new UnreachableError(`ssh ${this.host}: connection closed`))
      const become = opts.become
      const token = randomBytes(9).toString('hex')
      return new Promise<ExecResult>((resolve, reject) => {
        client.exec(suCommand(become.user, token), { pty: { term: 'dumb' } }, (err, stream) => {
          if (err) return reject(new UnreachableError(`ssh ${this.host}: cannot open a channel with a terminal: ${err.message}`))
          this.suStream = stream
          const term = {
            write: (s: string) => stream.write(s),
            onData: (f: (d: Buffer) => void) => stream.on('data', f),
            onClose: (f: () => void) => stream.on('close', f),
            close: () => stream.close(),
          }
          const authTimeoutMs = this.target.connectTimeoutMs
          suDialogue(term, { token, become, script: EXIT_ON_SIGNAL.text + script.text, opts, authTimeoutMs })
            .then(resolve, (e: Error) => reject(this.interrupted ? new InterruptedError() : e))
            .finally(() => (this.suStream = undefined))
        })
      })
    }
    const p = this.suQueue.then(run, run)
    this.suQueue = p.catch(() => undefined)
    return p
  }

  /** Ctrl-C: see Connection.interrupt. The stop goes over a second channel of the same client. */
  async interrupt(followUp?: Script): Promise<InterruptOutcome> {
    this.interrupted = true
    const shell = this.shell ?? (await this.opening?.catch(() => undefined))
    const client = this.client
    if (!shell || !client) return { stopped: false }
    if (this.suStream) {
      // closing the terminal hangs up su and the shell it started
      this.suStream.close()
      shell.fail(new InterruptedError())
      if (!followUp) return { stopped: true }
      const r = await sideExec(client, followUp.text, 15000).catch((e: Error) => e)
      return r instanceof Error ? { stopped: true, error: `the follow-up failed: ${r.message}` } : { stopped: true, followUp: r.stdout }
    }
    return shell.interrupt((script, timeoutMs) => sideExec(client, script, timeoutMs), followUp)
  }

  /** Ends the connection; the next exec logs in anew, not on a kept connection (meta: reset_connection). */
  async close(): Promise<void> {
    this.generation++
    // a kept connection (this run's, or one an earlier run left) is not used again
    this.freshKept = true
    this.opening = undefined
    this.client?.end()
    this.client = undefined
    this.shell = undefined
    this.lost = undefined
    this.setupFailure = undefined
  }
}

/** One command on a new channel of an open client (the interrupt's way in while the shell is busy). */
function sideExec(client: Link, script: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
    client.exec('/bin/sh', {}, (err, stream) => {
      if (err) {
        clearTimeout(timer)
        return reject(err)
      }
      const out: Buffer[] = []
      const errs: Buffer[] = []
      stream.on('data', (d: Buffer) => out.push(d))
      stream.stderr.on('data', (d: Buffer) => errs.push(d))
      stream.on('close', (code: number | null) => {
        clearTimeout(timer)
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') })
      })
      stream.end(script)
    })
  })
}
