// One host's life: prepare its root (first start or after reset), its network, start it; halt it;
// remove it. The upper directory keeps the host's changes across restarts until a reset.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeHostFiles } from './host-files.js'
import { renderInitScript } from './host-init.js'
import { launchHost, stopHost } from './host-process.js'
import { ensureKeyPair } from './keys.js'
import { createHostNetwork, linkExists, netnsExists, removeHostNetwork } from './network.js'
import { hostPaths } from './paths.js'
import { isRunning } from './proc.js'
import type { HostState } from './state.js'

export interface HostContext {
  lab: string
  base: string
  bridge: string
  bridgeAddress: string
  authorizedKey: string
  aptLines: string[]
}

export function hostKeyPath(lab: string, host: string): string {
  return join(hostPaths(lab, host).keys, 'ssh_host_ed25519_key')
}

/** Running = its pid 1 is alive and its namespace exists (a reboot removes both). */
export function hostRunning(h: HostState): boolean {
  return isRunning(h.init) && netnsExists(h.netns) && linkExists(h.veth)
}

/** Starts a stopped host; `fresh` wipes its root first. Returns the host with its new pids. */
export async function startHost(ctx: HostContext, h: HostState, fresh: boolean): Promise<HostState> {
  const p = hostPaths(ctx.lab, h.name)
  const prepared = join(p.dir, 'prepared')
  // Whatever is left of an earlier run of this host (its init gone, a stray shell) goes first.
  if (h.init || h.launcher || netnsExists(h.netns)) await stopHost(h, p.dir, h.netns)
  if (fresh) {
    rmSync(p.upper, { recursive: true, force: true })
    rmSync(p.work, { recursive: true, force: true })
    rmSync(prepared, { force: true })
  }
  for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true })
  const keyPath = hostKeyPath(ctx.lab, h.name)
  await ensureKeyPair(keyPath, `root@${h.name}`)
  if (!existsSync(prepared)) {
    writeHostFiles({
      base: ctx.base,
      upper: p.upper,
      hostname: h.name,
      bridgeAddress: ctx.bridgeAddress,
      aptLines: ctx.aptLines,
      authorizedKey: ctx.authorizedKey,
      hostKeyPath: keyPath,
    })
    writeFileSync(prepared, `${new Date().toISOString()}\n`)
  }
  if (!netnsExists(h.netns) || !linkExists(h.veth)) {
    await removeHostNetwork(h)
    await createHostNetwork(h, ctx.bridge, ctx.bridgeAddress)
  }
  writeFileSync(p.init, renderInitScript({ hostname: h.name, base: ctx.base, upper: p.upper, work: p.work, root: p.root }), { mode: 0o755 })
  const { launcher, init } = await launchHost(h.netns, p.init, p.log)
  return { ...h, launcher, init }
}

/** Stops every process of the host; its network stays unless `withNetwork`. */
export async function haltHost(lab: string, h: HostState, withNetwork: boolean): Promise<HostState> {
  await stopHost(h, hostPaths(lab, h.name).dir, h.netns)
  if (withNetwork) await removeHostNetwork(h)
  return { ...h, launcher: undefined, init: undefined }
}

export async function removeHost(lab: string, h: HostState): Promise<void> {
  await haltHost(lab, h, true)
  rmSync(hostPaths(lab, h.name).dir, { recursive: true, force: true })
}
