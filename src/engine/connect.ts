// Builds each host's connection from its variables (Ansible's names), once per run.
import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Connection } from '../connection/connection.js'
import { LocalConnection } from '../connection/local.js'
import { algorithmsFor } from '../connection/ssh-algorithms.js'
import { DEFAULT_KEEPALIVE_COUNT, DEFAULT_KEEPALIVE_MS, SshConnection, type HostKeyChecking, type SshTarget } from '../connection/ssh.js'
import { shlexSplit } from '../shell/shlex.js'
import type { RunOptions } from './options.js'

/** Reads `-o Key=Value`, `-i file`, `-p port` and `-l user` out of ansible_ssh_common_args / extra_args (or the CLI's). */
export function parseSshArgs(text: string): { options: Record<string, string>; identity?: string; port?: number; user?: string } {
  let words: string[]
  try {
    words = shlexSplit(text)
  } catch (e) {
    throw new Error(`ansible_ssh_common_args / ansible_ssh_extra_args: ${(e as Error).message}`)
  }
  const options: Record<string, string> = {}
  let identity: string | undefined
  let port: number | undefined
  let user: string | undefined
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = () => words[++i] ?? ''
    if (w === '-o' || w.startsWith('-o')) {
      const opt = w === '-o' ? next() : w.slice(2)
      const m = /^([^=\s]+)[=\s]+(.*)$/.exec(opt)
      if (m) options[m[1]!.toLowerCase()] = m[2]!
    } else if (w === '-i' || (w.startsWith('-i') && w.length > 2)) identity = w === '-i' ? next() : w.slice(2)
    else if (w === '-p' || (w.startsWith('-p') && w.length > 2)) port = Number(w === '-p' ? next() : w.slice(2))
    else if (w === '-l' || (w.startsWith('-l') && w.length > 2)) user = w === '-l' ? next() : w.slice(2)
  }
  // as ssh: the first value of an option wins (-p and -l come before -o Port / -o User)
  port ??= options.port === undefined ? undefined : Number(options.port)
  user ??= options.user
  return { options, identity: identity ?? options.identityfile, port, ...(user !== undefined ? { user } : {}) }
}

function hostKeyPolicy(v: string): HostKeyChecking {
  const s = v.trim().toLowerCase()
  if (s === 'no' || s === 'off' || s === 'false' || s === '0') return 'no'
  if (s === 'accept-new') return 'accept-new'
  return 'yes'
}

/**
 * Which host key policy a host gets. An explicit --host-key-checking wins over everything (so its
 * own hint, "use --host-key-checking accept-new", works on an inventory that says
 * StrictHostKeyChecking=yes). Then, as in Ansible, host_key_checking=false (ansible_host_key_checking
 * or ANSIBLE_HOST_KEY_CHECKING) wins over the ssh arguments (Ansible puts its
 * `-o StrictHostKeyChecking=no` first, and ssh takes the first value); then StrictHostKeyChecking in
 * ansible_ssh_common_args/extra_args; then host_key_checking=true; else yes.
 */
export function hostKeyPolicyFor(cli: HostKeyChecking | undefined, sshOption: string | undefined, setting: string | undefined): HostKeyChecking {
  if (cli) return cli
  const fromSetting = setting === undefined ? undefined : hostKeyPolicy(setting)
  if (fromSetting === 'no') return 'no'
  if (sshOption !== undefined) return hostKeyPolicy(sshOption)
  return fromSetting ?? 'yes'
}

/** A positive number of seconds from an ssh option or variable, in ms; undefined when absent. */
function seconds(v: string | undefined, what: string, allowZero = false): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, got '${v}'`)
  return n * 1000
}

/** Ansible's own ssh_args say `-o ControlMaster=auto -o ControlPersist=60s`: rm-play keeps as long. */
export const DEFAULT_PERSIST_MS = 60_000

const PERSIST_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/**
 * How long a connection is kept after the run (ssh's ControlPersist, with ControlMaster): undefined
 * when it is not kept (ControlPersist=no, ControlMaster=no), null for ever (yes, 0), else ms.
 */
export function persistFor(options: Record<string, string>): number | null | undefined {
  const master = options.controlmaster?.trim().toLowerCase()
  if (master !== undefined && !['auto', 'yes', 'ask', 'autoask'].includes(master)) {
    if (master === 'no') return undefined
    throw new Error(`ControlMaster must be yes, no, ask, auto or autoask, got '${options.controlmaster}'`)
  }
  const v = options.controlpersist?.trim().toLowerCase()
  if (v === undefined) return DEFAULT_PERSIST_MS
  if (v === 'no') return undefined
  if (v === 'yes') return null
  // OpenSSH's time format: a sum of numbers each with an optional unit (10m30s)
  const parts = /^(?:\d+[smhdw]?)+$/.test(v) ? [...v.matchAll(/(\d+)([smhdw]?)/g)] : []
  if (!parts.length) throw new Error(`ControlPersist must be yes, no or a time (60, 60s, 10m), got '${options.controlpersist}'`)
  const seconds = parts.reduce((sum, m) => sum + Number(m[1]) * PERSIST_UNITS[m[2]!]!, 0)
  return seconds === 0 ? null : seconds * 1000
}

export function sshTargetFor(
  host: string,
  vars: Record<string, unknown>,
  opts: Pick<RunOptions, 'privateKey' | 'remoteUser' | 'hostKeyChecking' | 'connectTimeoutMs' | 'sshCommonArgs' | 'sshExtraArgs' | 'password'> & {
    warn?: (msg: string) => void
  },
): SshTarget {
  const str = (k: string) => (vars[k] === undefined || vars[k] === null ? undefined : String(vars[k]))
  // As Ansible: the host's ansible_ssh_*_args win over --ssh-common-args / --ssh-extra-args.
  const args = parseSshArgs(`${str('ansible_ssh_common_args') ?? opts.sshCommonArgs ?? ''} ${str('ansible_ssh_extra_args') ?? opts.sshExtraArgs ?? ''}`)
  const home = homedir()
  const keys = [str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file'), args.identity, opts.privateKey]
    .filter((k): k is string => !!k)
    .map((k) => k.replace(/^~(?=\/)/, home))
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f))
  const knownHosts = (args.options.userknownhostsfile ?? join(home, '.ssh', 'known_hosts')).split(/\s+/).map((f) => f.replace(/^~(?=\/)/, home))
  const setting =
    str('ansible_host_key_checking') ??
    str('ansible_ssh_host_key_checking') ??
    process.env.ANSIBLE_HOST_KEY_CHECKING ??
    process.env.ANSIBLE_SSH_HOST_KEY_CHECKING
  const policy = hostKeyPolicyFor(opts.hostKeyChecking, args.options.stricthostkeychecking, setting)
  // Ansible: ansible_ssh_timeout / ansible_timeout per host, else -T/--timeout, else ANSIBLE_TIMEOUT;
  // ssh's ConnectTimeout last. The time covers every retry of the set-up (connect-retry.ts).
  const timeout =
    seconds(str('ansible_ssh_timeout') ?? str('ansible_timeout'), `${host}: ansible_ssh_timeout`) ??
    opts.connectTimeoutMs ??
    seconds(process.env.ANSIBLE_TIMEOUT, 'ANSIBLE_TIMEOUT') ??
    seconds(args.options.connecttimeout, 'ConnectTimeout')
  return {
    host,
    address: str('ansible_host') ?? str('ansible_ssh_host') ?? host,
    port: Number(str('ansible_port') ?? str('ansible_ssh_port') ?? args.port ?? 22),
    user: str('ansible_user') ?? str('ansible_ssh_user') ?? opts.remoteUser ?? args.user ?? userInfo().username,
    privateKeyFiles: [...keys, ...(keys.length ? [] : defaults.filter((f) => existsSync(f)))],
    password: str('ansible_password') ?? str('ansible_ssh_pass') ?? opts.password,
    agent: process.env.SSH_AUTH_SOCK,
    knownHostsFiles: knownHosts,
    hostKeyChecking: policy,
    connectTimeoutMs: timeout ?? 10000,
    keepaliveIntervalMs: seconds(args.options.serveraliveinterval, 'ServerAliveInterval', true) ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax:
      args.options.serveralivecountmax === undefined ? DEFAULT_KEEPALIVE_COUNT : positiveInt(args.options.serveralivecountmax, 'ServerAliveCountMax'),
    algorithms: algorithmsFor(args.options),
    persistMs: persistFor(args.options),
    warn: opts.warn,
  }
}

function positiveInt(v: string, what: string): number {
  if (!/^[1-9]\d*$/.test(v.trim())) throw new Error(`${what} must be a positive whole number, got '${v}'`)
  return Number(v)
}

/** A connection made from a host's variables, and what identifies it (same key: same connection). */
interface Made {
  conn: Connection
  key: string
}

type Late = { sink?: (line: string) => void; held: string[] }
/** A line sink that holds what it is given until `late.sink` is set (a connection made before the run's masking is). */
const lateSink = (late: Late) => (line: string) => (late.sink ? late.sink(line) : late.held.push(line))

function makeConnection(
  host: string,
  vars: Record<string, unknown>,
  opts: RunOptions,
  trace: ((line: string) => void) | undefined,
  warn: (msg: string) => void,
): Made {
  const kind = String(vars.ansible_connection ?? opts.connection ?? 'ssh')
  if (kind === 'local') return { conn: new LocalConnection(host, trace), key: 'local' }
  if (kind === 'ssh' || kind === 'smart' || kind === 'paramiko') {
    const target = sshTargetFor(host, vars, { ...opts, warn })
    return { conn: new SshConnection({ ...target, trace, traceNegotiation: opts.verbosity >= 4 }), key: `ssh ${JSON.stringify(target)}` }
  }
  throw new Error(`ansible_connection '${kind}' is not supported (use ssh or local)`)
}

/**
 * SSH connections set up before the run starts (while the engine loads: cli/pre-connect.ts) from
 * the inventory's variables. The run's pool adopts one only if the host's variables at its first
 * use make the very same target (a play's vars may say another user or port); the others are
 * closed, having run nothing. Their warnings and -vvv lines wait for the adopting run, which masks
 * them like its own.
 */
export class Preconnected {
  private readonly warm = new Map<string, Made & { trace: Late; warn: Late }>()

  constructor(private readonly opts: RunOptions) {}

  /** Starts connecting to `host` (nothing for a local one). */
  start(host: string, vars: Record<string, unknown>): void {
    if (this.warm.has(host)) return
    const trace: Late = { held: [] }
    const warn: Late = { held: [] }
    const made = makeConnection(host, vars, this.opts, this.opts.trace ? lateSink(trace) : undefined, lateSink(warn))
    if (!made.conn.prepare) return
    made.conn.prepare()
    this.warm.set(host, { ...made, trace, warn })
  }

  /** The host's connection if it is the one `key` names (its held lines go to the sinks from now on); else closes it. */
  take(host: string, key: string, trace: ((line: string) => void) | undefined, warn: (msg: string) => void): Connection | undefined {
    const w = this.warm.get(host)
    if (!w) return undefined
    this.warm.delete(host)
    if (w.key !== key) {
      void w.conn.close()
      return undefined
    }
    w.trace.sink = trace ?? (() => {})
    w.warn.sink = warn
    for (const l of w.trace.held.splice(0)) w.trace.sink(l)
    for (const m of w.warn.held.splice(0)) w.warn.sink(m)
    return w.conn
  }

  /** Closes what no run took. */
  async closeRest(): Promise<void> {
    const rest = [...this.warm.values()]
    this.warm.clear()
    await Promise.all(rest.map((w) => w.conn.close()))
  }
}

export class ConnectionPool {
  private readonly pool = new Map<string, Connection>()
  /** Which inventory host each pooled key is for (a remote_user keyword gets its own key). */
  private readonly hostOf = new Map<string, string>()
  /** Hosts reset before the run connected to them. */
  private readonly resetBeforeUse = new Set<string>()

  constructor(private readonly opts: RunOptions) {}

  /**
   * meta: reset_connection: the host's connections are closed (a kept one too: the keeper makes a
   * new one), so the next task logs in again and sees, say, groups the user was just added to.
   */
  async reset(host: string): Promise<void> {
    const mine = [...this.hostOf].filter(([, h]) => h === host).map(([key]) => this.pool.get(key))
    // not connected yet in this run: its first connection is a new one all the same
    if (!mine.length) this.resetBeforeUse.add(host)
    await Promise.all(mine.map((c) => c?.close() ?? Promise.resolve()))
  }

  /** The one connection of a host, made on first use from its variables (or adopted: Preconnected). */
  get(host: string, vars: Record<string, unknown>, inventoryHost = host): Connection {
    let c = this.pool.get(host)
    if (c) return c
    this.hostOf.set(host, inventoryHost)
    const trace = this.opts.trace ? (line: string) => this.opts.trace!(host, line) : undefined
    const warn = (msg: string) => this.opts.emit({ type: 'warning', msg, host })
    const made = makeConnection(host, vars, this.opts, trace, warn)
    c = this.opts.preconnected?.take(host, made.key, trace, warn) ?? made.conn
    if (this.resetBeforeUse.delete(inventoryHost)) void c.close()
    this.pool.set(host, c)
    return c
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pool.values()].map((c) => c.close()))
    this.pool.clear()
    await this.opts.preconnected?.closeRest()
  }
}
