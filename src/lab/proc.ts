// Processes by pid, never by name: a recorded pid counts only while its start time matches, so a
// pid reused by the kernel for an unrelated process is never signalled.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProcRef {
  pid: number
  /** Field 22 of /proc/PID/stat: clock ticks since boot. */
  startTime: string
}

interface Stat {
  state: string
  ppid: number
  startTime: string
}

function stat(pid: number): Stat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: rest[0]!, ppid: Number(rest[1]), startTime: rest[19]! }
}

export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid)
  return s && { pid, startTime: s.startTime }
}

/** Alive and still the same process; a zombie is dead (it only waits for its parent to reap it). */
export function isRunning(ref: ProcRef | undefined): boolean {
  if (!ref) return false
  const s = stat(ref.pid)
  return !!s && s.startTime === ref.startTime && s.state !== 'Z' && s.state !== 'X'
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
}

/** Children of each of `parents` (one scan of /proc for all). */
export function childrenOf(parents: number[]): Map<number, number[]> {
  const want = new Set(parents)
  const out = new Map<number, number[]>()
  for (const p of allPids()) {
    const ppid = stat(p)?.ppid
    if (ppid !== undefined && want.has(ppid)) out.set(ppid, [...(out.get(ppid) ?? []), p])
  }
  return out
}

/** Live processes whose root directory (chroot) is one of `dirs` or below one. */
export function pidsRootedUnder(dirs: string | string[]): number[] {
  const list = typeof dirs === 'string' ? [dirs] : dirs
  if (list.length === 0) return []
  const out: number[] = []
  for (const pid of allPids()) {
    let root: string
    try {
      root = readlinkSync(`/proc/${pid}/root`)
    } catch {
      continue
    }
    if (list.some((dir) => root === dir || root.startsWith(`${dir}/`))) {
      const s = stat(pid)
      if (s && s.state !== 'Z') out.push(pid)
    }
  }
  return out
}

/** Live processes in any of the network namespaces (by the inode of /run/netns/NAME). */
export function pidsInNetns(inodes: Set<number>): number[] {
  if (inodes.size === 0) return []
  const out: number[] = []
  for (const pid of allPids()) {
    let link: string
    try {
      link = readlinkSync(`/proc/${pid}/ns/net`)
    } catch {
      continue
    }
    const ino = Number(/\[(\d+)\]/.exec(link)?.[1])
    if (inodes.has(ino) && stat(pid)?.state !== 'Z') out.push(pid)
  }
  return out
}

/** Live processes whose command line matches (the lab's daemons and host launchers). */
export function pidsMentioning(re: RegExp): number[] {
  const out: number[] = []
  for (const pid of allPids()) {
    if (pid === process.pid) continue
    let cmd: string
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (re.test(cmd) && stat(pid)?.state !== 'Z') out.push(pid)
  }
  return out
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/** Sends SIGKILL to each ref still running and waits until all are gone; returns those that are not. */
export async function killAndWait(refs: ProcRef[], timeoutMs = 5000): Promise<ProcRef[]> {
  for (const r of refs) if (isRunning(r)) signal(r.pid, 'SIGKILL')
  const until = Date.now() + timeoutMs
  for (;;) {
    const left = refs.filter(isRunning)
    if (left.length === 0 || Date.now() > until) return left
    await sleep(20)
  }
}
