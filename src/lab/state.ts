// state.json of a lab: what `up` created, so that `status`, `reset` and `down` act on exactly that.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from './fs-util.js'
import { labPaths, STATE_ROOT } from './paths.js'
import type { AcmeProcs } from './acme.js'
import type { PipIndexServer } from './pip-index-server.js'
import type { ProcRef } from './proc.js'
import type { InitKind } from './systemd-host.js'

export interface HostState {
  name: string
  index: number
  address: string
  netns: string
  veth: string
  /** What runs as the host's pid 1: systemd (booted by systemd-nspawn) or sshd (sysv). Absent: sysv. */
  kind?: InitKind
  /** The `ip netns exec … unshare` process on the controller (systemd hosts: the nspawn loop). */
  launcher?: ProcRef
  /** sysv: pid 1 of the host's pid namespace (sshd): killing it ends every process of the host.
   * systemd: the launcher again (the host's processes are stopped through its cgroup). */
  init?: ProcRef
  /** What the host's 01proxy holds (older labs named the bridge address, and had no retry setting). */
  aptConf?: string
}

export interface LabState {
  version: 1
  name: string
  subnet: string
  bridge: string
  bridgeAddress: string
  hosts: HostState[]
  /** Inventory files this lab wrote; `down` removes them. */
  inventories: string[]
  gitDaemon?: ProcRef
  /** The lab's ACME server (pebble) and the DNS server it asks (pebble-challtestsrv). */
  acme?: AcmeProcs
  /** The lab's package index (a static web server over a directory of the cache). */
  pipIndex?: PipIndexServer
  createdAt: string
}

export function readState(lab: string): LabState | undefined {
  const p = labPaths(lab).state
  if (!existsSync(p)) return undefined
  return JSON.parse(readFileSync(p, 'utf8')) as LabState
}

export function writeState(state: LabState): void {
  writeFileAtomic(labPaths(state.name).state, `${JSON.stringify(state, null, 2)}\n`)
}

export function listLabNames(): string[] {
  if (!existsSync(STATE_ROOT)) return []
  return readdirSync(STATE_ROOT)
    .filter((n) => existsSync(join(STATE_ROOT, n, 'state.json')))
    .sort()
}
