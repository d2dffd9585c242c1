// Builds each host's connection from its variables (Ansible's names), once per run.
import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Connection } from '../connection/connection.js'
import { LocalConnection } from '../connection/local.js'
import { SshConnection, type HostKeyChecking, type SshTarget } from '../connection/ssh.js'
import { shlexSplit } from '../modules/shlex.js'
import type { RunOptions } from './options.js'

/** Reads `-o Key=Value`, `-i file` and `-p port` out of ansible_ssh_common_args / extra_args. */
export function parseSshArgs(text: string): { options: Record<string, string>; identity?: string; port?: number } {
  let words: string[]
  try {
    words = shlexSplit(text)
  } catch (e) {
    throw new Error(`ansible_ssh_common_args / ansible_ssh_extra_args: ${(e as Error).message}`)
  }
  const options: Record<string, string> = {}
  let identity: string | undefined
  let port: number | undefined
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = () => words[++i] ?? ''
    if (w === '-o' || w.startsWith('-o')) {
      const opt = w === '-o' ? next() : w.slice(2)
      const m = /^([^=\s]+)[=\s]+(.*)$/.exec(opt)
      if (m) options[m[1]!.toLowerCase()] = m[2]!
    } else if (w === '-i' || (w.startsWith('-i') && w.length > 2)) identity = w === '-i' ? next() : w.slice(2)
    else if (w === '-p') port = Number(next())
  }
  return { options, identity, port }
}

function hostKeyPolicy(v: string | undefined, dflt: HostKeyChecking): HostKeyChecking {
  if (v === undefined) return dflt
  const s = v.toLowerCase()
  if (s === 'no' || s === 'off' || s === 'false') return 'no'
  if (s === 'accept-new') return 'accept-new'
  return 'yes'
}

export function sshTargetFor(host: string, vars: Record<string, unknown>, opts: Pick<RunOptions, 'privateKey' | 'remoteUser' | 'hostKeyChecking' | 'connectTimeoutMs'>): SshTarget {
  const str = (k: string) => (vars[k] === undefined || vars[k] === null ? undefined : String(vars[k]))
  const args = parseSshArgs(`${str('ansible_ssh_common_args') ?? ''} ${str('ansible_ssh_extra_args') ?? ''}`)
  const home = homedir()
  const keys = [str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file'), args.identity, opts.privateKey].filter((k): k is string => !!k).map((k) => k.replace(/^~(?=\/)/, home))
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f))
  const knownHosts = (args.options.userknownhostsfile ?? join(home, '.ssh', 'known_hosts')).split(/\s+/).map((f) => f.replace(/^~(?=\/)/, home))
  const envPolicy = process.env.ANSIBLE_HOST_KEY_CHECKING
  const policy = hostKeyPolicy(
    args.options.stricthostkeychecking ?? (vars.ansible_host_key_checking === undefined ? (envPolicy !== undefined ? envPolicy : undefined) : String(vars.ansible_host_key_checking)),
    opts.hostKeyChecking,
  )
  const timeout = Number(str('ansible_ssh_timeout') ?? str('ansible_timeout') ?? args.options.connecttimeout ?? 0) * 1000 || opts.connectTimeoutMs
  return {
    host,
    address: str('ansible_host') ?? str('ansible_ssh_host') ?? host,
    port: Number(str('ansible_port') ?? str('ansible_ssh_port') ?? args.port ?? 22),
    user: str('ansible_user') ?? str('ansible_ssh_user') ?? opts.remoteUser ?? userInfo().username,
    privateKeyFiles: [...keys, ...(keys.length ? [] : defaults.filter((f) => existsSync(f)))],
    password: str('ansible_password') ?? str('ansible_ssh_pass'),
    agent: process.env.SSH_AUTH_SOCK,
    knownHostsFiles: knownHosts,
    hostKeyChecking: policy,
    connectTimeoutMs: timeout,
  }
}

export class ConnectionPool {
  private readonly pool = new Map<string, Connection>()

  constructor(private readonly opts: RunOptions) {}

  /** The one connection of a host, made on first use from its variables. */
  get(host: string, vars: Record<string, unknown>): Connection {
    let c = this.pool.get(host)
    if (c) return c
    const kind = String(vars.ansible_connection ?? 'ssh')
    if (kind === 'local') c = new LocalConnection(host)
    else if (kind === 'ssh' || kind === 'smart' || kind === 'paramiko') c = new SshConnection(sshTargetFor(host, vars, this.opts))
    else throw new Error(`ansible_connection '${kind}' is not supported (use ssh or local)`)
    this.pool.set(host, c)
    return c
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pool.values()].map((c) => c.close()))
    this.pool.clear()
  }
}
