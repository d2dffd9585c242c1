// The SSH connection: one ssh2 client per host, one exec channel running `sh`, kept open for the
// whole run; every command goes through that shell (see framed-shell.ts). The only file that
// imports ssh2.
import { readFileSync } from 'node:fs'
import { Client, type ConnectConfig } from 'ssh2'
import { type Connection, type ExecOptions, type ExecResult, UnreachableError } from './connection.js'
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

function readKeys(files: string[]): Buffer[] {
  const keys: Buffer[] = []
  for (const f of files) {
    try {
      keys.push(readFileSync(f))
    } catch {
      // not every default key exists
    }
  }
  return keys
}

export class SshConnection implements Connection {
  private client?: Client
  private shell?: FramedShell
  private opening?: Promise<FramedShell>
  private hostKeyProblem?: string

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

  private connectOnce(privateKey: Buffer | undefined): Promise<Client> {
    const t = this.target
    return new Promise((resolve, reject) => {
      const c = new Client()
      const cfg: ConnectConfig = {
        host: t.address,
        port: t.port,
        username: t.user,
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: 15000,
        hostVerifier: (key: Buffer) => this.verify(key),
      }
      if (privateKey) cfg.privateKey = privateKey
      if (t.password !== undefined) cfg.password = t.password
      if (t.agent) cfg.agent = t.agent
      c.once('ready', () => resolve(c))
      c.once('error', (e: Error) => reject(e))
      c.connect(cfg)
    })
  }

  private async connect(): Promise<Client> {
    const keys = readKeys(this.target.privateKeyFiles)
    const attempts: (Buffer | undefined)[] = keys.length ? keys : [undefined]
    let last: Error | undefined
    for (const key of attempts) {
      try {
        return await this.connectOnce(key)
      } catch (e) {
        last = e as Error
        if (this.hostKeyProblem) break
        if (!/authentication/i.test(last.message)) break
      }
    }
    const why = this.hostKeyProblem ?? last?.message ?? 'unknown error'
    throw new UnreachableError(`ssh ${this.target.user}@${this.target.address}:${this.target.port}: ${why}`)
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

  async close(): Promise<void> {
    this.client?.end()
    this.client = undefined
    this.shell = undefined
  }
}
