// Hosts' lives, in batches: prepare their roots (first start or after reset), their keys and
// network, start them; halt them; remove them. The upper directory keeps a host's changes across
// restarts until a reset.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { aptClientConf } from './apt-client.js'
import { writeHostFiles, writeLabOwnedFiles } from './host-files.js'
import { renderInitScript } from './host-init.js'
import { kindOf, killHostCgroups, renderSystemdInit, writeSystemdHostFiles } from './systemd-host.js'
import { launchHosts, stopHosts } from './host-process.js'
import { hostNetworkScript, linkExists, netnsExists, removeHostNetworks } from './network.js'
import { hostPaths } from './paths.js'
import { run, runScript } from './exec.js'
import { isRunning } from './proc.js'
import type { HostState } from './state.js'

export interface HostContext {
  lab: string
  base: string
  bridge: string
  bridgeAddress: string
  aptProxyUrl: string
  authorizedKey: string
  aptLines: string[]
  /** The systemd layer (systemd-image.ts); needed when a host to start is a systemd host. */
  layer?: string
}

/** The context hosts start in, from the lab's network state and the images up/reset prepared. */
export function hostContext(
  lab: string,
  net: { bridge: string; bridgeAddress: string },
  o: { base: string; layer?: string; authorizedKey: string; aptLines: string[]; aptProxyUrl: string },
): HostContext {
  return { lab, bridge: net.bridge, bridgeAddress: net.bridgeAddress, ...o }
}

export function hostKeyPath(lab: string, host: string): string {
  return join(hostPaths(lab, host).keys, 'ssh_host_ed25519_key')
}

/** Running = its pid 1 is alive and its namespace and link exist (a reboot removes all three). */
export function hostRunning(h: HostState): boolean {
  return isRunning(h.init) && netnsExists(h.netns) && linkExists(h.veth)
}

const stoppable = (lab: string) => (h: HostState) => ({ ...h, dir: hostPaths(lab, h.name).dir })

/** Stops hosts of both kinds: systemd hosts through their cgroups first, then every process left. */
async function stopAll(lab: string, hosts: HostState[]): Promise<void> {
  await killHostCgroups(
    lab,
    hosts.map((h) => h.name),
  )
  await stopHosts(hosts.map(stoppable(lab)))
}

/**
 * Starts stopped hosts; `fresh` wipes their roots first. Returns them with their new pids; a host
 * without `init` did not start (its log says why).
 */
export async function startHosts(ctx: HostContext, hosts: HostState[], fresh: boolean): Promise<HostState[]> {
  // Whatever is left of an earlier run of these hosts (init gone, a stray shell) goes first.
  await stopAll(
    ctx.lab,
    hosts.filter((h) => h.init || h.launcher || netnsExists(h.netns)),
  )
  const setup: Script[] = [code('set -e')]
  for (const h of hosts) {
    const p = hostPaths(ctx.lab, h.name)
    if (fresh) {
      rmSync(p.upper, { recursive: true, force: true })
      rmSync(p.work, { recursive: true, force: true })
      rmSync(join(p.dir, 'prepared'), { force: true })
    }
    for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true })
    mkdirSync(p.keys, { recursive: true, mode: 0o700 })
    const key = hostKeyPath(ctx.lab, h.name)
    if (!existsSync(key) || !existsSync(`${key}.pub`)) {
      setup.push(sh`rm -f -- ${key} ${`${key}.pub`}`, sh`ssh-keygen -q -t ed25519 -N '' -C ${`root@${h.name}`} -f ${key}`)
    }
  }
  const unwired = hosts.filter((h) => !netnsExists(h.netns) || !linkExists(h.veth))
  await removeHostNetworks(unwired) // what a half-created host left
  setup.push(hostNetworkScript(unwired, ctx.bridge, ctx.bridgeAddress))
  await runScript(joinScripts(setup).text)

  for (const h of hosts) {
    const p = hostPaths(ctx.lab, h.name)
    const prepared = join(p.dir, 'prepared')
    const files = {
      base: ctx.base,
      upper: p.upper,
      hostname: h.name,
      aptProxyUrl: ctx.aptProxyUrl,
      aptLines: ctx.aptLines,
      authorizedKey: ctx.authorizedKey,
      hostKeyPath: hostKeyPath(ctx.lab, h.name),
    }
    if (!existsSync(prepared)) {
      writeHostFiles(files)
      writeFileSync(prepared, `${new Date().toISOString()}\n`)
    }
    writeLabOwnedFiles(files)
    const dirs = { hostname: h.name, base: ctx.base, upper: p.upper, work: p.work, root: p.root }
    if (kindOf(h) === 'systemd') {
      if (!ctx.layer) throw new Error(`internal: no systemd layer for host ${h.name}`)
      writeSystemdHostFiles(p.upper)
      writeFileSync(p.init, renderSystemdInit({ ...dirs, lab: ctx.lab, netns: h.netns, layer: ctx.layer }), { mode: 0o755 })
    } else {
      writeFileSync(p.init, renderInitScript(dirs), { mode: 0o755 })
    }
  }
  const launched = await launchHosts(
    hosts.map((h) => ({ name: h.name, kind: kindOf(h), netns: h.netns, initScript: hostPaths(ctx.lab, h.name).init, log: hostPaths(ctx.lab, h.name).log })),
  )
  return hosts.map((h) => ({ ...h, launcher: launched.get(h.name)?.launcher, init: launched.get(h.name)?.init, aptConf: aptClientConf(ctx.aptProxyUrl) }))
}

/**
 * Gives running hosts made by an older rm-play the current 01proxy (the apt proxy's address, the
 * retry setting), through their own mount namespace (writing into a mounted overlay's upper
 * directory from outside is not safe).
 */
export async function refreshRunningHosts(ctx: HostContext, hosts: HostState[]): Promise<HostState[]> {
  const conf = aptClientConf(ctx.aptProxyUrl)
  const stale = hosts.filter((h) => h.init && h.aptConf !== conf)
  if (stale.length === 0) return hosts
  const lines = stale.map((h) => {
    const file = join(hostPaths(ctx.lab, h.name).root, 'etc/apt/apt.conf.d/01proxy')
    // The file name reaches the inner shell as its argument, not inside its code.
    return sh`printf '%s' ${conf} | nsenter -t ${h.init!.pid} -m sh -c ${'cat > "$1"'} rmp-proxy ${file}`
  })
  await runScript(joinScripts([code('set -e'), ...lines]).text)
  return hosts.map((h) => (stale.includes(h) ? { ...h, aptConf: conf } : h))
}

/** Stops every process of the hosts; their network goes too with `withNetwork`. */
export async function haltHosts(lab: string, hosts: HostState[], withNetwork: boolean): Promise<HostState[]> {
  await stopAll(lab, hosts)
  if (withNetwork) await removeHostNetworks(hosts)
  return hosts.map((h) => ({ ...h, launcher: undefined, init: undefined }))
}

export async function removeHosts(lab: string, hosts: HostState[]): Promise<void> {
  await haltHosts(lab, hosts, true)
  for (const h of hosts) rmSync(hostPaths(lab, h.name).dir, { recursive: true, force: true })
}
