// One attempt at an SSH connection: TCP, handshake, host key check, authentication. Used by the
// run itself (ssh.ts) and by the connection keeper (keeper/server.ts), so a kept connection is
// made exactly as a direct one: the same algorithms, the same host key decision, the same errors.
import type { AnyAuthMethod, Client, ParsedKey } from 'ssh2'
import { ignoreHostKeyAnnouncements } from './host-key-announcements.js'
import { appendKnownHost, decideHostKey, lookupName, readKnownHosts, verifyHostKey } from './known-hosts.js'
import { type Algorithms, SAFE_ALGORITHMS, terrapinProblem } from './ssh-algorithms.js'
import { UnreachableError } from './connection.js'

export type HostKeyChecking = 'yes' | 'accept-new' | 'no'

/** What a connection is made from (a host's variables, engine/connect.ts). */
export interface DialTarget {
  host: string // inventory name, for messages
  address: string
  port: number
  user: string
  privateKeyFiles: string[] // tried in order; missing files are skipped
  password?: string
  agent?: string // SSH_AUTH_SOCK
  knownHostsFiles: string[] // the first one is where accept-new writes
  hostKeyChecking: HostKeyChecking
  /** Keepalive every this many ms while connected (0: none); default 15000. */
  keepaliveIntervalMs?: number
  /** Unanswered keepalives in a row that drop the connection; default 3. */
  keepaliveCountMax?: number
  /** Algorithms offered; default SAFE_ALGORITHMS. */
  algorithms?: Algorithms
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

export interface Dialed {
  client: Client
  negotiated: HandshakeInfo
  /** The host key the server proved, as accepted. */
  hostKey: Buffer
}

/** What a caller may watch during set-up. */
export interface DialHooks {
  /** ssh2's own debug lines (-vvvv). */
  debug?: (line: string) => void
  onNegotiated?: (n: HandshakeInfo) => void
  /** Said about the host key (an accepted changed key under StrictHostKeyChecking=no). */
  onWarning?: (msg: string) => void
}

/** A set-up failure: `final` when another attempt would meet the same answer. */
export type DialError = UnreachableError & { code?: string; final?: boolean }

export type Ssh2 = typeof import('ssh2')

/**
 * What to try, in ssh2's own order (none, password, public key, agent) but with every key in turn,
 * all on one connection: a handshake per key cost a round trip and a key exchange each.
 */
export function authMethods(t: Pick<DialTarget, 'user' | 'password' | 'agent'>, keys: ParsedKey[]): AnyAuthMethod[] {
  const username = t.user
  const methods: AnyAuthMethod[] = [{ type: 'none', username }]
  if (t.password !== undefined) methods.push({ type: 'password', username, password: t.password })
  for (const key of keys) methods.push({ type: 'publickey', username, key })
  if (t.agent) methods.push({ type: 'agent', username, agent: t.agent })
  return methods
}

/**
 * Whether `blob` is an acceptable host key for the target (known_hosts and the policy); a new key
 * under accept-new is written down. `problem` says why not; `warning` what to tell the user.
 */
export function checkHostKey(
  t: Pick<DialTarget, 'address' | 'port' | 'knownHostsFiles' | 'hostKeyChecking'>,
  blob: Buffer,
): { ok: boolean; problem?: string; warning?: string } {
  const name = lookupName(t.address, t.port)
  const entries = t.knownHostsFiles.flatMap(readKnownHosts)
  const d = decideHostKey(verifyHostKey(entries, name, blob), t.hostKeyChecking, name, t.knownHostsFiles)
  if (!d.accept) return { ok: false, problem: d.problem }
  if (d.remember) appendKnownHost(t.knownHostsFiles[0]!, name, blob)
  return { ok: true, warning: d.warning }
}

/** One attempt at TCP + handshake + authentication, bounded by `timeoutMs`. */
export function dialOnce(ssh2: Ssh2, t: DialTarget, timeoutMs: number, keys: ParsedKey[], skipped: string[], hooks: DialHooks = {}): Promise<Dialed> {
  const algorithms = t.algorithms ?? SAFE_ALGORITHMS
  const attempt: { problem?: string; negotiated?: HandshakeInfo; hostKey?: Buffer } = {}
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client()
    let settled = false
    const fail = (e: Error & { code?: string; level?: string }, final = false) => {
      if (settled) return
      settled = true
      c.destroy()
      const why = attempt.problem ?? (skipped.length ? `${e.message} (keys left out: ${skipped.join('; ')})` : e.message)
      const err = new UnreachableError(`ssh ${t.user}@${t.address}:${t.port}: ${why}`) as DialError
      err.code = e.code
      // A refused key, a refused algorithm: another attempt would meet the same answer.
      err.final = final || attempt.problem !== undefined || e.level === 'client-authentication' || /authentication methods failed/.test(e.message)
      reject(err)
    }
    c.once('ready', () => {
      if (settled) return
      settled = true
      resolve({ client: c, negotiated: attempt.negotiated!, hostKey: attempt.hostKey! })
    })
    c.on('error', (e: Error) => fail(e))
    c.once('close', () => fail(new Error('connection closed during set-up')))
    c.on('handshake', (n: { kex: string; serverHostKey: string; cs: { cipher: string; mac: string }; sc: { cipher: string; mac: string } }) => {
      // ssh2 keeps whether strict key exchange is on in its protocol object only.
      const strictKex = (c as unknown as { _protocol?: { _strictMode?: boolean } })._protocol?._strictMode === true
      attempt.negotiated = { kex: n.kex, serverHostKey: n.serverHostKey, cipher: n.cs.cipher, mac: n.cs.mac, strictKex }
      hooks.onNegotiated?.(attempt.negotiated)
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
      hostVerifier: (key: Buffer) => {
        const r = checkHostKey(t, key)
        if (!r.ok) attempt.problem = r.problem
        else {
          attempt.hostKey = Buffer.from(key)
          if (r.warning) hooks.onWarning?.(`${t.host}: ${r.warning}`)
        }
        return r.ok
      },
      ...(hooks.debug ? { debug: hooks.debug } : {}),
    })
    ignoreHostKeyAnnouncements(c)
  })
}
