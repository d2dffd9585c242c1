// `lab up`: everything a lab needs, created or checked in order, idempotently. Hosts that run stay
// as they are; stopped ones (after a reboot, say) start again with their roots as they were.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bridgeAddress, cidrOverlaps, hostAddress, parseCidr, pickSubnet, subnetProblem, type Cidr } from './address.js'
import { acmeDirectoryUrl, acmePaths, ensureAcme, setAcmeDnsRecord } from './acme.js'
import { APT_PROXY_ADDRESS, APT_PROXY_URL, ensureAptProxy } from './apt-proxy.js'
import { controllerMirrors, ensureBaseImage } from './base-image.js'
import { firstError, mapLimit } from './concurrency.js'
import { labError } from './errors.js'
import { writeFileAtomic } from './fs-util.js'
import { ensureGitDaemon, publishApps } from './git-server.js'
import { hostContext, hostKeyPath, hostRunning, refreshRunningHosts, startHosts } from './host.js'
import { logTail } from './host-process.js'
import { appRequirements, ensurePipIndexContent } from './pip-index-build.js'
import { ensurePipIndexServer, pipIndexUrl } from './pip-index-server.js'
import { writeInventory } from './inventory.js'
import { ensureKeyPair, renderKnownHosts } from './keys.js'
import { ensureBridge, controllerNetworks, linkExists } from './network.js'
import { bridgeName, DEFAULT_LAB, hostNames, hostPaths, labNameProblem, labPaths, MAX_HOSTS, STATE_ROOT } from './paths.js'
import { checkDiskSpace, checkKernel, checkPlatform, ensureControllerTools, SYSTEMD_HOST_TOOLS } from './preflight.js'
import { ensureSystemdLayer } from './systemd-image.js'
import { checkCgroupKill, DEFAULT_INIT, INIT_KINDS, kindOf, waitForHost, type InitKind } from './systemd-host.js'
import { defaultInventoryPath, findProjectRoot } from './project-root.js'
import { withLabLock } from './lock.js'
import { listLabNames, readState, writeState, type HostState, type LabState } from './state.js'

export interface LabUpOptions {
  name?: string
  hosts?: number
  /** Inventory file to write; default `inventory/lab/hosts.yml` of the project; null for none. */
  inventoryPath?: string | null
  /** Where `apps/` and the default inventory are; default: found upwards from the cwd. */
  projectRoot?: string
  /** Use this /24 instead of the one derived from the name (new labs only). */
  subnet?: string
  /**
   * What the hosts run as pid 1: systemd (default for a new lab; booted by systemd-nspawn) or sysv
   * (sshd as pid 1, services through /etc/init.d). An existing lab keeps its kind; asking for the
   * other kind is an error (`lab down` first).
   */
  init?: InitKind
  say?: (msg: string) => void
}

export interface LabHostInfo {
  name: string
  address: string
  init: InitKind
}

export interface LabInfo {
  name: string
  subnet: string
  bridge: string
  bridgeAddress: string
  keyPath: string
  knownHostsPath: string
  inventoryPath?: string
  gitUrl: string
  /** The lab's package index (PEP 503), when the project has apps/<dir>/requirements.txt. */
  pipIndexUrl?: string
  /** Whether that index holds the requirements' whole closure (docs/lab.md). */
  pipIndexComplete: boolean
  /** Where its closure came from: pip download ('pip') or Debian's packages alone ('debian'). */
  pipIndexSource?: 'pip' | 'debian'
  hosts: LabHostInfo[]
}

function labInfo(state: LabState, inventoryPath?: string): LabInfo {
  const p = labPaths(state.name)
  return {
    name: state.name,
    subnet: state.subnet,
    bridge: state.bridge,
    bridgeAddress: state.bridgeAddress,
    keyPath: p.key,
    knownHostsPath: p.knownHosts,
    inventoryPath,
    gitUrl: `git://${state.bridgeAddress}/`,
    pipIndexUrl: state.pipIndex ? pipIndexUrl(state.bridgeAddress) : undefined,
    pipIndexComplete: state.pipIndex?.complete === true,
    pipIndexSource: state.pipIndex?.source,
    hosts: state.hosts.map((h) => ({ name: h.name, address: h.address, init: kindOf(h) })),
  }
}

const quiet = () => undefined

/** The kind new hosts of the lab get: what was asked, else what the lab's hosts run, else the default. */
export function labInitKind(name: string, asked: InitKind | undefined, existing: { kind?: InitKind }[]): InitKind {
  if (asked !== undefined && !INIT_KINDS.includes(asked)) throw labError(`invalid --init '${String(asked)}'`, `one of ${INIT_KINDS.join(', ')}`)
  const kinds = [...new Set(existing.map(kindOf))]
  if (kinds.length === 0) return asked ?? DEFAULT_INIT
  if (asked !== undefined && kinds.some((k) => k !== asked)) {
    throw labError(`lab '${name}' has ${kinds.join(' and ')} hosts, not ${asked}`, `'rm-play lab down --name ${name}' first, or use another --name`)
  }
  return kinds[0]!
}

function checkOptions(name: string, hosts: number, subnet: string | undefined): void {
  const bad = labNameProblem(name)
  if (bad) throw labError(bad, 'e.g. --name lab, --name test, --name ci')
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    throw labError(`invalid number of hosts '${hosts}': 1 to ${MAX_HOSTS}`)
  }
  const badNet = subnet && subnetProblem(subnet)
  if (badNet) throw labError(badNet)
}

/** A new lab's name must not collide with links or namespaces that some other tool left. */
function checkNameFree(name: string): void {
  const bridge = bridgeName(name)
  const netnsRe = new RegExp(`^rmp-${name}-h\\d+$`)
  const strays = [
    ...(linkExists(bridge) ? [`link ${bridge}`] : []),
    ...(existsSync('/run/netns')
      ? readdirSync('/run/netns')
          .filter((n) => netnsRe.test(n))
          .map((n) => `namespace ${n}`)
      : []),
  ]
  if (strays.length) {
    throw labError(
      `lab name '${name}' is in use by something that is not a lab: ${strays.join(', ')}`,
      `pick another --name, or remove them ('ip link del ${bridge}', 'ip netns del …')`,
    )
  }
}

async function newState(name: string, subnet: string | undefined): Promise<LabState> {
  checkNameFree(name)
  const others: Cidr[] = listLabNames()
    .map((l) => readState(l)?.subnet)
    .filter((s): s is string => !!s)
    .map((s) => parseCidr(s)!)
  const taken = [...others, parseCidr(`${APT_PROXY_ADDRESS}/32`)!, ...(await controllerNetworks())]
  let chosen = subnet
  if (chosen) {
    const c = parseCidr(chosen)!
    if (taken.some((t) => cidrOverlaps(t, c))) {
      throw labError(`address range ${chosen} is in use (by another lab or a route of this machine)`, 'pick another with --subnet 10.231.N.0/24')
    }
  } else {
    chosen = pickSubnet(name, taken)
    if (!chosen) throw labError('no free /24 left in 10.231.0.0/16 for a new lab', 'bring a lab down, or give --subnet')
  }
  return {
    version: 1,
    name,
    subnet: chosen,
    bridge: bridgeName(name),
    bridgeAddress: bridgeAddress(chosen),
    hosts: [],
    inventories: [],
    createdAt: new Date().toISOString(),
  }
}

function hostEntry(state: LabState, index: number): HostState {
  const n = hostNames(state.name, index)
  return { name: n.name, index, address: hostAddress(state.subnet, index), netns: n.netns, veth: n.veth }
}

/** The lab's package index: built (or taken from the cache) and served; loud when incomplete. */
async function servePipIndex(state: LabState, requirements: string[], mirror: string, say: (msg: string) => void): Promise<void> {
  if (requirements.length === 0) return
  const index = await ensurePipIndexContent(requirements, mirror, say)
  for (const n of index.notes) say(`pip index: ${n}`)
  if (index.problems.length) {
    say(`pip index: INCOMPLETE, pip installs from it will fail for what is missing (see ${index.dir}/PROBLEMS.txt):`)
    for (const p of index.problems) say(`  ${p}`)
  }
  const server = await ensurePipIndexServer(state.pipIndex, state.bridgeAddress, index.dir, labPaths(state.name).pipIndexLog)
  state.pipIndex = { ...server, complete: index.problems.length === 0, source: index.source }
  writeState(state)
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const say = opts.say ?? quiet
  const name = opts.name ?? DEFAULT_LAB
  const wanted = opts.hosts ?? 3
  checkOptions(name, wanted, opts.subnet)
  checkPlatform()
  return withLabLock(say, async () => {
    const kind = labInitKind(name, opts.init, readState(name)?.hosts ?? [])
    if (kind === 'systemd') checkCgroupKill()
    await ensureControllerTools(say, kind === 'systemd' ? SYSTEMD_HOST_TOOLS : [])
    await checkKernel()
    checkDiskSpace(STATE_ROOT, 50e6, 'the lab state')
    const mirrors = controllerMirrors()
    const base = await ensureBaseImage(say)
    const existing = readState(name)
    if (existing && opts.subnet && existing.subnet !== opts.subnet) {
      throw labError(`lab '${name}' already uses ${existing.subnet}`, `'rm-play lab down --name ${name}' first to move it to ${opts.subnet}`)
    }
    const state = existing ?? (await newState(name, opts.subnet))
    const paths = labPaths(name)
    writeState(state) // from here on, `down` can clean up whatever this run leaves half done
    const publicKey = await ensureKeyPair(paths.key, `rm-play-lab-${name}`)

    await ensureBridge(state.bridge, state.bridgeAddress)
    await ensureAptProxy(name, mirrors, say)
    state.gitDaemon = await ensureGitDaemon(state.gitDaemon, state.bridgeAddress, paths.git, paths.gitLog)
    writeState(state)
    state.acme = await ensureAcme(name, state.acme, state.bridgeAddress)
    writeState(state)
    const projectRoot = opts.projectRoot ?? findProjectRoot(process.cwd())
    if (projectRoot) {
      for (const p of await publishApps(join(projectRoot, 'apps'), paths.git, state.bridgeAddress)) {
        if (p.changed) say(`git: published apps/${p.app} as ${p.url} (${p.commit.slice(0, 8)})`)
      }
      await servePipIndex(state, appRequirements(join(projectRoot, 'apps')), mirrors.main, say)
    }

    if (wanted < state.hosts.length) {
      say(`lab '${name}' has ${state.hosts.length} hosts; keeping them all (asked for ${wanted}; 'lab down' then 'lab up --hosts ${wanted}' to shrink)`)
    }
    for (let i = state.hosts.length + 1; i <= wanted; i++) state.hosts.push({ ...hostEntry(state, i), kind })
    const layer = state.hosts.some((h) => kindOf(h) === 'systemd') ? await ensureSystemdLayer(base, APT_PROXY_URL, mirrors.hostLines, say) : undefined
    const ctx = hostContext(name, state, { base, layer, aptProxyUrl: APT_PROXY_URL, authorizedKey: publicKey, aptLines: mirrors.hostLines })
    const toStart = state.hosts.filter((h) => !hostRunning(h))
    const running = state.hosts.length - toStart.length
    if (toStart.length) say(`starting ${toStart.length} host${toStart.length > 1 ? 's' : ''}${running ? ` (${running} already up)` : ''}`)
    else say(`all ${running} hosts already up`)
    for (const h of await refreshRunningHosts(
      ctx,
      state.hosts.filter((h) => !toStart.includes(h)),
    )) {
      state.hosts[state.hosts.findIndex((x) => x.name === h.name)] = h
    }
    const started = await startHosts(ctx, toStart, false)
    for (const h of started) state.hosts[state.hosts.findIndex((x) => x.name === h.name)] = h
    writeState(state)
    const failed = started.find((h) => !h.init)
    if (failed) {
      const log = hostPaths(name, failed.name).log
      throw labError(`host ${failed.name} did not start: ${logTail(log)}`, `see ${log}`)
    }

    const known = state.hosts.map((h) => ({ name: h.name, address: h.address, publicKey: readFileSync(`${hostKeyPath(name, h.name)}.pub`, 'utf8').trim() }))
    writeFileAtomic(paths.knownHosts, renderKnownHosts(known))
    const waits = await mapLimit(state.hosts, 64, (h) => waitForHost(name, h))
    const waitErr = firstError(waits)
    if (waitErr) throw waitErr
    // Each host's name resolves to it for the ACME server (again after a restart of the lab DNS).
    for (const h of state.hosts) await setAcmeDnsRecord(state.bridgeAddress, h.name, [h.address])

    const inventoryPath = opts.inventoryPath === null ? undefined : (opts.inventoryPath ?? defaultInventoryPath(projectRoot ?? process.cwd()))
    if (inventoryPath) {
      const acme = acmePaths(name)
      writeInventory(inventoryPath, {
        lab: name,
        bridgeAddress: state.bridgeAddress,
        keyPath: paths.key,
        knownHostsPath: paths.knownHosts,
        hosts: state.hosts,
        acmeDirectory: acmeDirectoryUrl(state.bridgeAddress),
        acmeCaFiles: [acme.listenerCa, acme.issuerRoot],
        pipIndexUrl: state.pipIndex ? pipIndexUrl(state.bridgeAddress) : undefined,
        pipIndexComplete: state.pipIndex?.complete === true,
      })
      if (!state.inventories.includes(inventoryPath)) state.inventories.push(inventoryPath)
    }
    writeState(state)
    return labInfo(state, inventoryPath)
  })
}
