// systemd hosts: a host whose pid 1 is systemd, booted by systemd-nspawn inside the host's own
// network namespace (no systemd needed on the controller). What differs from a sysv host: the root
// has the systemd layer under its upper directory, the launcher is nspawn (in a cgroup of its own
// per host), readiness is read from the boot console, and the host is stopped through its cgroup
// (SIGKILL to nspawn alone leaves the host's processes running).
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sh } from '../shell/index.js'
import { labError } from './errors.js'
import { logTail, waitForSsh } from './host-process.js'
import { hostPaths } from './paths.js'
import { isRunning, type ProcRef } from './proc.js'
import { probe, waitUntil } from './tcp-probe.js'

export type InitKind = 'systemd' | 'sysv'
export const INIT_KINDS: readonly InitKind[] = ['systemd', 'sysv']
/** What servers run; `lab up` makes these unless told otherwise. */
export const DEFAULT_INIT: InitKind = 'systemd'

/** A host's kind; hosts recorded before there were kinds are sysv hosts. */
export const kindOf = (h: { kind?: InitKind }): InitKind => h.kind ?? 'sysv'

/**
 * The cgroup hierarchies a host's processes live in: the cgroup v2 one (`/sys/fs/cgroup` on a pure
 * v2 machine, `/sys/fs/cgroup/unified` on a hybrid one) and, on a hybrid machine, the v1
 * `name=systemd` one. Tried on a hybrid machine whose pid 1 is not systemd.
 */
export function cgroupHierarchies(root = '/sys/fs/cgroup'): string[] {
  if (existsSync(join(root, 'cgroup.controllers'))) return [root]
  return [join(root, 'unified'), join(root, 'systemd')].filter((d) => existsSync(join(d, 'cgroup.procs')))
}

/** The v2 hierarchy, where `cgroup.kill` stops a host in one go; systemd hosts cannot be stopped surely without it. */
export function checkCgroupKill(hierarchies = cgroupHierarchies()): void {
  if (!hierarchies.some((h) => existsSync(join(h, 'cgroup.controllers')) && existsSync(join(h, 'cgroup.procs')))) {
    throw labError(
      'systemd hosts need a cgroup v2 hierarchy (at /sys/fs/cgroup or /sys/fs/cgroup/unified)',
      'use --init sysv, or a kernel and mounts with cgroup v2',
    )
  }
}
const NSPAWN_RUN = '/run/systemd/nspawn'

export const labCgroupName = (lab: string) => `rmp-${lab}`

function hostCgroups(lab: string, host: string): string[] {
  return cgroupHierarchies().map((h) => join(h, labCgroupName(lab), host))
}

export interface SystemdInitInput {
  lab: string
  /** Default: those of this machine. */
  hierarchies?: string[]
  hostname: string
  netns: string
  base: string
  layer: string
  upper: string
  work: string
  root: string
}

/**
 * The launcher of a systemd host. It moves itself into the host's cgroups first (so nspawn's own
 * payload/supervisor cgroups land there, not at the hierarchy roots where hosts would collide),
 * then, in a private mount namespace whose mounts end with it, mounts the overlay and boots the
 * root with nspawn; `systemctl reboot` inside makes nspawn exit 133, and the loop boots it again.
 */
export function renderSystemdInit(i: SystemdInitInput): string {
  const cgroups = (i.hierarchies ?? cgroupHierarchies()).map((h) => join(h, labCgroupName(i.lab), i.hostname))
  const boot = sh`set -e
mount -t overlay overlay -o ${`lowerdir=${i.layer}:${i.base},upperdir=${i.upper},workdir=${i.work}`} ${i.root}
set +e
while :; do
  systemd-nspawn --quiet --boot --directory=${i.root} --machine=${i.hostname} --network-namespace-path=${`/run/netns/${i.netns}`} --register=no --keep-unit --capability=CAP_NET_ADMIN --resolv-conf=off --timezone=off --link-journal=no --console=read-only
  rc=$?
  [ "$rc" -eq 133 ] || exit "$rc"
  echo "rm-play lab: ${i.hostname} rebooted"
done
`
  return sh`#!/bin/sh
# launcher of systemd lab host ${i.hostname}; written by rm-play lab on every start
set -e
for d in ${cgroups}; do
  mkdir -p "$d"; echo $$ > "$d/cgroup.procs"
done
# net sysctls writable inside (per namespace); pure cgroup v2 inside, as on Debian 12 servers;
# no image lock files (/run/systemd/nspawn/locks/inode-DEV:INO names the overlay's inode, which
# nobody can map back to a host once the overlay is gone; the lab lock already keeps one boot per host)
export SYSTEMD_NSPAWN_API_VFS_WRITABLE=network SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_LOCK=0
exec unshare --mount --propagation private /bin/sh -c ${boot.text}
`.text
}

/** Files only a systemd host needs: its own machine-id (journald, dbus and DHCP key on it). */
export function writeSystemdHostFiles(upper: string): void {
  const path = join(upper, 'etc/machine-id')
  if (!existsSync(path)) writeFileSync(path, `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 })
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

/** True once the boot console says sshd started. */
export function consoleSaysSshStarted(log: string): boolean {
  return /Started .*(ssh|sshd)\.service/.test(log.replace(ANSI, ''))
}

/** Waits until a systemd host's sshd answers with its banner; the console tells when to look. */
export async function waitForSystemdSsh(address: string, launcher: ProcRef, logPath: string, timeoutMs = 60000): Promise<void> {
  // The console line, or (should a systemd print no status lines) a banner probe once a second
  // after the first 5 s: probing every 50 ms would make a starting sshd fork for each probe.
  const since = Date.now()
  let lastProbe = 0
  const started = async () => {
    try {
      if (consoleSaysSshStarted(readFileSync(logPath, 'utf8'))) return true
    } catch {
      // no log yet
    }
    if (Date.now() - since < 5000 || Date.now() - lastProbe < 1000) return false
    lastProbe = Date.now()
    return probe(address, 22, 1000, 'SSH-')
  }
  const dead = () => !isRunning(launcher)
  const ok = (await waitUntil(started, timeoutMs, dead)) && (await waitUntil(() => probe(address, 22, 2000, 'SSH-'), 10000, dead))
  if (ok) return
  const why = isRunning(launcher) ? `sshd did not answer on ${address}:22 within ${timeoutMs / 1000}s` : 'the host stopped'
  throw labError(`${why}: ${logTail(logPath)}`, `see ${logPath}`)
}

/** Waits for a host of either kind to answer ssh. */
export function waitForHost(lab: string, h: { name: string; address: string; kind?: InitKind; init?: ProcRef }): Promise<void> {
  const log = hostPaths(lab, h.name).log
  return kindOf(h) === 'systemd' ? waitForSystemdSsh(h.address, h.init!, log) : waitForSsh(h.address, h.init!, log)
}

function signalKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone already
  }
}

function procsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** Every cgroup directory below (and including) `dir`, deepest first. */
function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return []
  const subs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())
  return [...subs.flatMap((e) => cgroupTree(join(dir, e.name))), dir]
}

/**
 * Kills every process of the hosts through their cgroups (`cgroup.kill` takes nspawn, the host's
 * systemd and all below in one go), waits until the cgroups are empty, and removes them with
 * nspawn's runtime files. Hosts without cgroups (sysv hosts) are left to the caller.
 */
export async function killHostCgroups(lab: string, hosts: string[], timeoutMs = 10000): Promise<void> {
  const dirs = hosts.flatMap((h) => hostCgroups(lab, h)).filter(existsSync)
  for (const d of dirs) {
    const kill = join(d, 'cgroup.kill')
    if (existsSync(kill)) writeFileSync(kill, '1')
    // Without cgroup.kill (a kernel before 5.14): SIGKILL to every process in the tree, until empty.
    else for (const c of cgroupTree(d)) for (const pid of procsIn(c)) signalKill(pid)
  }
  const until = Date.now() + timeoutMs
  const busy = () => dirs.flatMap(cgroupTree).filter((d) => procsIn(d).length > 0)
  while (busy().length && Date.now() < until) {
    // v1 hierarchies have no cgroup.kill: what a fork added there after the first pass gets it too.
    for (const d of busy()) if (!existsSync(join(d, 'cgroup.kill'))) for (const pid of procsIn(d)) signalKill(pid)
    await sleep(20)
  }
  const left = busy()
  if (left.length)
    throw labError(
      `processes of lab '${lab}' survived cgroup.kill in ${left.join(', ')}`,
      'they may be stuck in the kernel (D state); check with ps and try again',
    )
  for (const d of dirs) for (const c of cgroupTree(d)) rmdirSync(c)
  for (const h of hosts) removeNspawnFiles(lab, h)
  removeEmptyLabCgroups(lab)
}

function removeNspawnFiles(lab: string, host: string): void {
  rmSync(join(NSPAWN_RUN, 'propagate', host), { recursive: true, force: true })
  rmSync(rootLockOf(lab, host), { force: true })
}

/** The lock file nspawn puts beside a root it boots (none with SYSTEMD_NSPAWN_LOCK=0; an older launcher made one). */
const rootLockOf = (lab: string, host: string) => join(hostPaths(lab, host).dir, '.#root.lck')

function removeEmptyLabCgroups(lab: string): void {
  for (const h of cgroupHierarchies()) {
    const d = join(h, labCgroupName(lab))
    if (existsSync(d) && readdirSync(d, { withFileTypes: true }).every((e) => !e.isDirectory())) rmdirSync(d)
  }
}

/** The lab's cgroups and nspawn runtime files that exist (for the leftover check). */
export function systemdLeftovers(lab: string, hostNamesOfLab: string[]): string[] {
  const cg = cgroupHierarchies()
    .map((h) => join(h, labCgroupName(lab)))
    .filter(existsSync)
  const propagate = join(NSPAWN_RUN, 'propagate')
  const re = new RegExp(`^${lab}\\d+$`)
  const props = existsSync(propagate)
    ? readdirSync(propagate)
        .filter((n) => re.test(n) || hostNamesOfLab.includes(n))
        .map((n) => join(propagate, n))
    : []
  const locks = hostNamesOfLab.map((h) => rootLockOf(lab, h)).filter(existsSync)
  return [...cg, ...props, ...locks]
}

/** Every cgroup of the lab, with the hosts it holds (for `down`'s sweep of a half-made lab). */
export function labCgroupHosts(lab: string): string[] {
  const names = new Set<string>()
  for (const h of cgroupHierarchies()) {
    const d = join(h, labCgroupName(lab))
    if (!existsSync(d)) continue
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name)
  }
  return [...names]
}
