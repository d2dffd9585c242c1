// The SSH connection: one ssh2 client per host, one exec channel running `sh`, kept open for the
// whole run; every command goes through that shell (see framed-shell.ts). The only file that
// imports ssh2.
import { readFileSync } from 'node:fs'
import ssh2, { Client, type AnyAuthMethod, type ParsedKey } from 'ssh2'
import type { Script } from '../shell/index.js'
import { type Connection, type ExecOptions, type ExecResult, InterruptedError, type InterruptOutcome, UnreachableError } from './connection.js'
import { FramedShell } from './framed-shell.js'
import { appendKnownHost, lookupName, readKnownHosts, verifyHostKey } from './known-hosts.js'

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
  connectTimeoutMs: number
}

/** The private keys in `files`, and why any other file was left out (a missing file goes unsaid). */
function readKeys(files: string[]): { keys: ParsedKey[]; skipped: string[] } {
  const keys: ParsedKey[] = []
  const skipped: string[] = []
  for (const f of files) {
    let data: Buffer
    try {
      data = readFileSync(f)
    } catch {
      continue // not every default key exists
    }
    const parsed = ssh2.utils.parseKey(data)
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed
    if (key && !(key instanceof Error) && key.isPrivateKey()) keys.push(key)
    else skipped.push(`${f}: ${key instanceof Error ? key.message : 'not a private key'}`)
  }
  return { keys, skipped }
}

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
  private hostKeyProblem?: string
  private interrupted = false

  constructor(readonly target: SshTarget) {}

  get host(): string {
    return this.target.host
  }

  private verify(blob: Buffer): boolean {
    const t = this.target
    if (t.hostKeyChecking === 'no') return true
    const name = lookupName(t.address, t.port)
    const entries = t.knownHostsFiles.flatMap(readKnownHosts)
    const verdict = verifyHostKey(entries, name, blob)
    if (verdict === 'match') return true
    if (verdict === 'unknown' && t.hostKeyChecking === 'accept-new') {
      appendKnownHost(t.knownHostsFiles[0]!, name, blob)
      return true
    }
    this.hostKeyProblem =
      verdict === 'unknown'
        ? `host key for ${name} is not in ${t.knownHostsFiles.join(', ')} (use --host-key-checking=accept-new to trust it on first use)`
        : `HOST KEY MISMATCH for ${name}: the server's key differs from known_hosts (possible man-in-the-middle); refusing to connect`
    return false
  }

  private connect(): Promise<Client> {
    const t = this.target
    const { keys, skipped } = readKeys(t.privateKeyFiles)
    return new Promise((resolve, reject) => {
      const c = new Client()
      c.once('ready', () => resolve(c))
      c.once('error', (e: Error) => {
        const why = this.hostKeyProblem ?? (skipped.length ? `${e.message} (keys left out: ${skipped.join('; ')})` : e.message)
        reject(new UnreachableError(`ssh ${t.user}@${t.address}:${t.port}: ${why}`))
      })
      c.connect({
        host: t.address,
        port: t.port,
        username: t.user,
        authHandler: authMethods(t, keys),
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: 15000,
        hostVerifier: (key: Buffer) => this.verify(key),
      })
    })
  }

  private async open(): Promise<FramedShell> {
    const client = await this.connect()
    this.client = client
    return new Promise((resolve, reject) => {
      client.exec('/bin/sh', (err, stream) => {
        if (err) return reject(new UnreachableError(`ssh ${this.host}: cannot start a shell: ${err.message}`))
        const shell = new FramedShell(stream, stream, stream.stderr, this.target.user, () => client.end())
        stream.on('close', () => shell.fail(new UnreachableError(`ssh ${this.host}: connection closed`)))
        client.on('error', (e: Error) => shell.fail(new UnreachableError(`ssh ${this.host}: ${e.message}`)))
        client.on('close', () => shell.fail(new UnreachableError(`ssh ${this.host}: connection closed`)))
        resolve(shell)
      })
    })
  }

  private async ready(): Promise<FramedShell> {
    if (this.interrupted) throw new InterruptedError('interrupted: not started')
    if (this.shell && !this.shell.isClosed) return this.shell
    if (!this.opening) {
      this.opening = this.open().then(
        (s) => {
          this.shell = s
          this.opening = undefined
          return s
        },
        (e) => {
          this.opening = undefined
          throw e
        },
      )
    }
    return this.opening
  }

  async exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
    return (await this.ready()).exec(script, opts)
  }

  /** Ctrl-C: see Connection.interrupt. The stop goes over a second channel of the same client. */
  async interrupt(followUp?: Script): Promise<InterruptOutcome> {
    this.interrupted = true
    const shell = this.shell ?? (await this.opening?.catch(() => undefined))
    const client = this.client
    if (!shell || !client) return { stopped: false }
    return shell.interrupt((script, timeoutMs) => sideExec(client, script, timeoutMs), followUp)
  }

  async close(): Promise<void> {
    this.client?.end()
    this.client = undefined
    this.shell = undefined
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
