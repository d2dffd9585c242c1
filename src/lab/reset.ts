// `lab reset HOST`: the host's root back to the base image, same name, address and host key (so
// known_hosts stays valid), and a new network namespace (no firewall rules left from before).
import { APT_PROXY_URL, ensureAptProxy } from './apt-proxy.js'
import { controllerMirrors, ensureBaseImage } from './base-image.js'
import { firstError, mapLimit } from './concurrency.js'
import { labError } from './errors.js'
import { haltHosts, hostContext, startHosts } from './host.js'
import { logTail } from './host-process.js'
import { ensureKeyPair } from './keys.js'
import { ensureBridge } from './network.js'
import { hostPaths, labPaths } from './paths.js'
import { checkPlatform, ensureControllerTools, SYSTEMD_HOST_TOOLS } from './preflight.js'
import { ensureSystemdLayer } from './systemd-image.js'
import { checkCgroupKill, kindOf, waitForHost } from './systemd-host.js'
import { withLabLock } from './lock.js'
import { listLabNames, readState, writeState, type LabState } from './state.js'

/** The lab holding host `host`: the named one, or the only lab that has a host of that name. */
export function findLabOfHost(host: string, lab?: string): LabState {
  const names = lab ? [lab] : listLabNames()
  const found = names.map((n) => readState(n)).filter((s): s is LabState => !!s && s.hosts.some((h) => h.name === host))
  if (found.length === 0) {
    throw labError(lab ? `lab '${lab}' has no host '${host}'` : `no lab has a host '${host}'`, "see 'rm-play lab status' for the host names")
  }
  return found[0]!
}

export interface LabResetOptions {
  name?: string
  say?: (msg: string) => void
}

export async function labReset(hostNames: string[], opts: LabResetOptions = {}): Promise<void> {
  const say = opts.say ?? (() => undefined)
  checkPlatform()
  if (hostNames.length === 0) return
  const lab = findLabOfHost(hostNames[0]!, opts.name).name
  for (const h of hostNames) findLabOfHost(h, lab)
  await withLabLock(say, async () => {
    const state = readState(lab)!
    const mirrors = controllerMirrors()
    const base = await ensureBaseImage(say)
    const publicKey = await ensureKeyPair(labPaths(lab).key, `rm-play-lab-${lab}`)
    await ensureBridge(state.bridge, state.bridgeAddress)
    await ensureAptProxy(lab, mirrors, say)
    const targets = state.hosts.filter((h) => hostNames.includes(h.name))
    // A host comes back as the kind it was (recorded in the state).
    const systemd = targets.some((h) => kindOf(h) === 'systemd')
    if (systemd) {
      checkCgroupKill()
      await ensureControllerTools(say, SYSTEMD_HOST_TOOLS)
    }
    const layer = systemd ? await ensureSystemdLayer(base, APT_PROXY_URL, mirrors.hostLines, say) : undefined
    const ctx = hostContext(lab, state, { base, layer, aptProxyUrl: APT_PROXY_URL, authorizedKey: publicKey, aptLines: mirrors.hostLines })
    say(`resetting ${targets.map((h) => h.name).join(', ')}`)
    const fresh = await startHosts(ctx, await haltHosts(lab, targets, true), true)
    for (const h of fresh) state.hosts[state.hosts.findIndex((x) => x.name === h.name)] = h
    writeState(state)
    const failed = fresh.find((h) => !h.init)
    if (failed) {
      const log = hostPaths(lab, failed.name).log
      throw labError(`host ${failed.name} did not start: ${logTail(log)}`, `see ${log}`)
    }
    const waits = await mapLimit(targets, 64, async (t) => {
      const h = state.hosts.find((x) => x.name === t.name)!
      await waitForHost(lab, h)
    })
    const waitErr = firstError(waits)
    if (waitErr) throw waitErr
  })
}
