// `lab status` and `lab list`: what the state says, checked against the kernel and the network.
import { APT_PROXY_URL, readAptProxyState } from './apt-proxy.js'
import { mapLimit } from './concurrency.js'
import { hostRunning } from './host.js'
import { sshAnswers } from './host-process.js'
import { labPaths } from './paths.js'
import { pipIndexUrl } from './pip-index-server.js'
import { isRunning } from './proc.js'
import { listLabNames, readState } from './state.js'
import { kindOf, type InitKind } from './systemd-host.js'

export type HostRunState = 'up' | 'starting' | 'stopped'

export interface HostStatus {
  name: string
  address: string
  /** up: pid 1 alive and sshd answering; starting: alive, sshd not (yet) answering; stopped: not running. */
  state: HostRunState
  /** What runs as the host's pid 1. */
  init: InitKind
  initPid?: number
  launcherPid?: number
}

export interface LabStatus {
  name: string
  subnet: string
  bridge: string
  bridgeAddress: string
  keyPath: string
  knownHostsPath: string
  inventories: string[]
  gitDaemon: { pid?: number; running: boolean; url: string }
  /** Absent when the lab serves no package index (no apps/<dir>/requirements.txt). */
  pipIndex?: { pid: number; running: boolean; url: string; dir: string; source?: 'pip' | 'debian'; complete: boolean }
  aptProxy: { pid?: number; running: boolean; startedByLab: boolean; url: string }
  hosts: HostStatus[]
}

export async function labStatus(name: string): Promise<LabStatus | undefined> {
  const s = readState(name)
  if (!s) return undefined
  const proxy = readAptProxyState()
  const external = !!proxy.external
  // A few probes at a time: each makes the host's sshd fork and re-exec, and 50 at once on 2 cores
  // answer slower than a probe waits.
  const results = await mapLimit(s.hosts, 8, async (h): Promise<HostStatus> => {
    const alive = hostRunning(h)
    const state: HostRunState = !alive ? 'stopped' : (await sshAnswers(h.address)) ? 'up' : 'starting'
    return {
      name: h.name,
      address: h.address,
      state,
      init: kindOf(h),
      initPid: alive ? h.init?.pid : undefined,
      launcherPid: alive ? h.launcher?.pid : undefined,
    }
  })
  const hosts = results.map((r, i) =>
    r.status === 'fulfilled' ? r.value : { name: s.hosts[i]!.name, address: s.hosts[i]!.address, init: kindOf(s.hosts[i]!), state: 'stopped' as const },
  )
  const p = labPaths(name)
  return {
    name,
    subnet: s.subnet,
    bridge: s.bridge,
    bridgeAddress: s.bridgeAddress,
    keyPath: p.key,
    knownHostsPath: p.knownHosts,
    inventories: s.inventories,
    gitDaemon: { pid: s.gitDaemon?.pid, running: isRunning(s.gitDaemon), url: `git://${s.bridgeAddress}/` },
    pipIndex: s.pipIndex && {
      pid: s.pipIndex.process.pid,
      running: isRunning(s.pipIndex.process),
      url: pipIndexUrl(s.bridgeAddress),
      dir: s.pipIndex.dir,
      source: s.pipIndex.source,
      complete: s.pipIndex.complete === true,
    },
    aptProxy: {
      pid: external ? undefined : proxy.process?.pid,
      running: external || isRunning(proxy.process),
      startedByLab: !external,
      url: APT_PROXY_URL,
    },
    hosts,
  }
}

export function listLabs(): string[] {
  return listLabNames()
}
