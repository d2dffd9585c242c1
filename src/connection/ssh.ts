// The SSH connection: one ssh2 client per host, one exec channel running `sh`, kept open for the
// whole run; every command goes through that shell (see framed-shell.ts). The only file that
// imports ssh2.
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
import type { AnyAuthMethod, Client, ParsedKey } from 'ssh2'
import type { Script } from '../shell/index.js'
import { type Become, type Connection, type ExecOptions, type ExecResult, InterruptedError, type InterruptOutcome, UnreachableError } from './connection.js'
import { EXIT_ON_SIGNAL, FramedShell } from './framed-shell.js'
import { DEFAULT_RETRY, isTransient as isTransientSetup, withRetries } from './connect-retry.js'
import { appendKnownHost, decideHostKey, lookupName, readKnownHosts, verifyHostKey } from './known-hosts.js'
import { type Algorithms, SAFE_ALGORITHMS, terrapinProblem } from './ssh-algorithms.js'
import { execLine, type Trace } from './trace.js'
import { readKeys } from './ssh-keys.js'
import { ignoreHostKeyAnnouncements } from './host-key-announcements.js'
import { suCommand, suDialogue, suNeedsTerminal } from './su-terminal.js'

export type HostKeyChecking = 'yes' | 'accept-new' | 'no'

export interface SshTarget {
  host: string // inventory name, for messages
  address: string
  port: number
  user: string
  privateKeyFiles: string[] // tried in order; missing files are skipped
  password?: string
  agent?: string // SSH_AUTH_SOCK
  knownHostsFiles: string[] // the first one is where accept-new writes
  hostKeyChecking: HostKeyChecking
  /** Total time to set up the connection, retries included (Ansible's --timeout). */
  connectTimeoutMs: number
  /** Keepalive every this many ms while connected (0: none); default 15000. */
  keepaliveIntervalMs?: number
  /** Unanswered keepalives in a row that drop the connection; default 3. */
  keepaliveCountMax?: number
  /** Algorithms offered; default SAFE_ALGORITHMS. */
  algorithms?: Algorithms
  /** -vvv: connection detail (set-up, algorithms, each command) to the CLI, which masks it. */
  trace?: Trace
  /** -vvvv: ssh2's own debug lines (the negotiation) to trace as well. */
  traceNegotiation?: boolean
  /** Where a warning about this host goes (an accepted changed host key). */
  warn?: (msg: string) => void
}

export const DEFAULT_KEEPALIVE_MS = 15000
export const DEFAULT_KEEPALIVE_COUNT = 3

/** What the handshake agreed on, for tests and -vvv. */
export interface HandshakeInfo {
  kex: string
  serverHostKey: string
  cipher: string
  mac: string
  strictKex: boolean
}

// ssh2 (and its crypto set-up) loads on the first connection, not with the command: a local run,
// --syntax-check, --list-* and --version never pay for it.
type Ssh2 = typeof import('ssh2')
let ssh2Module: Promise<Ssh2> | undefined
const loadSsh2 = (): Promise<Ssh2> => (ssh2Module ??= import('ssh2').then((m) => ((m as { default?: Ssh2 }).default ?? m) as Ssh2))

/**
 * What to try, in ssh2's own order (none, password, public key, agent) but with every key in turn,
 * all on one connection: a handshake per key cost a round trip and a key exchange each.
 */
export function authMethods(t: Pick<SshTarget, 'user' | 'password' | 'agent'>, keys: ParsedKey[]): AnyAuthMethod[] {
  const username = t.user
  const methods: AnyAuthMethod[] = [{ type: 'none', username }]
  if (t.password !== undefined) methods.push({ type: 'password', username, password: t.password })
  for (const key of keys) methods.push({ type: 'publickey', username, key })
  if (t.agent) methods.push({ type: 'agent', username, agent: t.agent })
  return methods
}

export class SshConnection implements Connection {
  private client?: Client
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

  private verify(blob: Buffer, attempt: { problem?: string }): boolean {
    const t = this.target
    const name = lookupName(t.address, t.port)
    const entries = t.knownHostsFiles.flatMap(readKnownHosts)
    const d = decideHostKey(verifyHostKey(entries, name, blob), t.hostKeyChecking, name, t.knownHostsFiles)
    if (!d.accept) {
      attempt.problem = d.problem
      return false
    }
    if (d.remember) appendKnownHost(t.knownHostsFiles[0]!, name, blob)
    if (d.warning) {
      const msg = `${t.host}: ${d.warning}`
      if (t.warn) t.warn(msg)
      else process.stderr.write(`[WARNING] ${msg}\n`)
    }
    return true
  }

  /** One attempt at TCP + handshake + authentication, bounded by `timeoutMs`. */
  private connectOnce(ssh2: Ssh2, timeoutMs: number, keys: ParsedKey[], skipped: string[]): Promise<Client> {
    const t = this.target
    const algorithms = t.algorithms ?? SAFE_ALGORITHMS
    const attempt: { problem?: string } = {}
    this.attempts++
    t.trace?.(
      `ESTABLISH SSH CONNECTION FOR USER: ${t.user} to ${t.address}:${t.port} (attempt ${this.attempts}; auth: ${authMethods(t, keys)
        .map((m) => m.type)
        .join(', ')}; host key checking: ${t.hostKeyChecking})`,
    )
    return new Promise((resolve, reject) => {
      const c = new ssh2.Client()
      let settled = false
      const fail = (e: Error & { code?: string; level?: string }, final = false) => {
        if (settled) return
        settled = true
        c.destroy()
        const why = attempt.problem ?? (skipped.length ? `${e.message} (keys left out: ${skipped.join('; ')})` : e.message)
        const err = new UnreachableError(`ssh ${t.user}@${t.address}:${t.port}: ${why}`) as UnreachableError & { code?: string; final?: boolean }
        err.code = e.code
        // A refused key, a refused algorithm: another attempt would meet the same answer.
        err.final = final || attempt.problem !== undefined || e.level === 'client-authentication' || /authentication methods failed/.test(e.message)
        reject(err)
      }
      c.once('ready', () => {
        if (settled) return
        settled = true
        resolve(c)
      })
      c.on('error', (e: Error) => fail(e))
      c.once('close', () => fail(new Error('connection closed during set-up')))
      c.on('handshake', (n: { kex: string; serverHostKey: string; cs: { cipher: string; mac: string }; sc: { cipher: string; mac: string } }) => {
        // ssh2 keeps whether strict key exchange is on in its protocol object only.
        const strictKex = (c as unknown as { _protocol?: { _strictMode?: boolean } })._protocol?._strictMode === true
        this.negotiated = { kex: n.kex, serverHostKey: n.serverHostKey, cipher: n.cs.cipher, mac: n.cs.mac, strictKex }
        t.trace?.(
          `SSH: negotiated kex ${n.kex}, host key ${n.serverHostKey}, cipher ${n.cs.cipher}, mac ${n.cs.mac}${strictKex ? ', strict key exchange' : ''}`,
        )
        const problem = terrapinProblem(n.cs, strictKex) ?? terrapinProblem(n.sc, strictKex)
        if (problem) {
          attempt.problem = `refusing ${problem}: the server is open to the Terrapin attack (CVE-2023-48795); update its OpenSSH or do not ask for these algorithms`
          fail(new Error(attempt.problem), true)
        }
      })
      c.connect({
        host: t.address,
        port: t.port,
        username: t.user,
        authHandler: authMethods(t, keys),
        readyTimeout: timeoutMs,
        keepaliveInterval: t.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
        keepaliveCountMax: t.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT,
        algorithms: { kex: algorithms.kex, serverHostKey: algorithms.serverHostKey, cipher: algorithms.cipher, hmac: algorithms.hmac } as never,
        hostVerifier: (key: Buffer) => this.verify(key, attempt),
        ...(t.traceNegotiation && t.trace ? { debug: (line: string) => t.trace!(`ssh2: ${line}`) } : {}),
      })
      ignoreHostKeyAnnouncements(c)
    })
  }

  private async connect(): Promise<Client> {
    const ssh2 = await loadSsh2()
    const { keys, skipped } = readKeys(ssh2, this.target.privateKeyFiles)
    return withRetries(
      (remaining) => this.connectOnce(ssh2, remaining, keys, skipped),
      { ...DEFAULT_RETRY, timeoutMs: this.target.connectTimeoutMs },
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
      client.exec('/bin/sh', (err, stream) => {
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

  /** Ends the connection; the next exec opens a new one (meta: reset_connection). */
  async close(): Promise<void> {
    this.generation++
    this.opening = undefined
    this.client?.end()
    this.client = undefined
    this.shell = undefined
    this.lost = undefined
    this.setupFailure = undefined
  }
}

/** One command on a new channel of an open client (the interrupt's way in while the shell is busy). */
function sideExec(client: Client, script: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
    client.exec('/bin/sh', (err, stream) => {
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
