// The background processes that keep SSH connections between runs (ControlPersist, 60 s by default
// in both tools): rm-play's connection keeper, and Ansible's ssh ControlMasters (`ssh:
// ~/.ansible/cp/… [mux]`). Neither is a child the tool waits for, so its CPU is in no rusage of the
// run. The bench stops them before each round's first run (a cold start for every tool) and adds
// the CPU they use during each timed run to the controller's.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { $ } from 'zx'

const CLK_TCK = 100 // sysconf(_SC_CLK_TCK) on Linux

export interface HolderScope {
  /** This checkout's keeper program: other checkouts' keepers are not ours to stop or count. */
  keeperMain: string
  /** The lab hosts' addresses: ssh masters to other hosts (other labs, other users) are left alone. */
  addresses: string[]
}

interface Holder {
  pid: number
  /** pid and start time: a pid reused by another process is another holder */
  id: string
  /** utime + stime + cutime + cstime, in seconds */
  cpu: number
  /** VmHWM, the process's peak RSS so far, in MB */
  peakRssMb: number
  /** An ssh master's ControlPath (for `ssh -O exit`). */
  controlPath?: string
}

function readOr(path: string, fn: (p: string) => string): string | undefined {
  try {
    return fn(path)
  } catch {
    return undefined
  }
}

/** Fields 3 on of /proc/PID/stat (after the command's name, which may hold spaces). */
function statFields(pid: string): string[] | undefined {
  const stat = readOr(`/proc/${pid}/stat`, (p) => readFileSync(p, 'utf8'))
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** 0B69E70A:0016 (/proc/net/tcp, little-endian) -> 10.231.105.11 */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.')
}

/** The remote addresses of the process's TCP sockets (IPv4: the lab's hosts have no other). */
function tcpPeers(pid: string): string[] {
  const inodes = new Set(
    (readOr(`/proc/${pid}/fd`, (p) => readdirSync(p).join('\n')) ?? '')
      .split('\n')
      .map((fd) => readOr(`/proc/${pid}/fd/${fd}`, readlinkSync))
      .flatMap((l) => /^socket:\[(\d+)\]$/.exec(l ?? '')?.[1] ?? []),
  )
  const table = readOr(`/proc/${pid}/net/tcp`, (p) => readFileSync(p, 'utf8')) ?? ''
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9 && inodes.has(f[9]!))
    .map((f) => ipv4(f[2]!.split(':')[0]!))
}

/** The connection holders running now: this checkout's keeper, ssh masters to the lab's hosts. */
function holders(scope: HolderScope): Holder[] {
  const out: Holder[] = []
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const argv = (readOr(`/proc/${pid}/cmdline`, (p) => readFileSync(p, 'utf8')) ?? '').split('\0')
    // an ssh master renames itself (setproctitle): its whole command line is "ssh: PATH [mux]"
    const mux = /^ssh: (\S+) \[mux\]$/.exec(argv.filter(Boolean).join(' '))
    const keeper = argv[1] === scope.keeperMain
    if (!keeper && !(mux && tcpPeers(pid).some((a) => scope.addresses.includes(a)))) continue
    const f = statFields(pid)
    if (!f) continue // it ended meanwhile
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readOr(`/proc/${pid}/status`, (p) => readFileSync(p, 'utf8')) ?? '')?.[1]
    out.push({
      pid: Number(pid),
      id: `${pid}@${f[19]}`,
      cpu: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK,
      peakRssMb: Number(hwm ?? 0) / 1024,
      controlPath: mux?.[1],
    })
  }
  return out
}

export type HolderSnapshot = Map<string, number>

/** Each holder's CPU seconds so far, read before a timed run. */
export function holdersSnapshot(scope: HolderScope): HolderSnapshot {
  return new Map(holders(scope).map((h) => [h.id, h.cpu]))
}

/**
 * What the holders used since the snapshot: CPU seconds (a holder that started meanwhile counts
 * whole; one that ended meanwhile is lost, which a 60 s ControlPersist makes rare) and the largest
 * one's peak RSS.
 */
export function holdersSince(scope: HolderScope, before: HolderSnapshot): { cpu: number; peakRssMb: number } {
  const now = holders(scope)
  return {
    cpu: now.reduce((sum, h) => sum + Math.max(0, h.cpu - (before.get(h.id) ?? 0)), 0),
    peakRssMb: Math.max(0, ...now.map((h) => h.peakRssMb)),
  }
}

/** Stops every holder (ssh masters by `ssh -O exit`, which removes the socket too) and waits until they are gone. */
export async function stopHolders(scope: HolderScope, deadlineMs = 10_000): Promise<void> {
  const running = holders(scope)
  for (const h of running) {
    if (h.controlPath) await $({ nothrow: true, quiet: true })`ssh -o ControlPath=${h.controlPath} -O exit bench-holder`
    else kill(h.pid, 'SIGTERM')
  }
  const end = Date.now() + deadlineMs
  let left = holders(scope).filter((h) => running.some((r) => r.id === h.id))
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50))
    left = holders(scope).filter((h) => running.some((r) => r.id === h.id))
  }
  for (const h of left) kill(h.pid, 'SIGKILL')
  if (left.length) say(`stopped ${left.map((h) => h.pid).join(', ')} with SIGKILL (still running ${deadlineMs / 1000} s after being told to stop)`)
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // it ended already
  }
}

function say(msg: string): void {
  console.log(msg)
}

/** The scope of a checkout and a lab's host addresses. */
export function holderScope(root: string, addresses: string[]): HolderScope {
  return { keeperMain: join(root, 'dist', 'src', 'connection', 'keeper', 'main.js'), addresses }
}
