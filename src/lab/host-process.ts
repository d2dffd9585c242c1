// Starting and stopping hosts' processes. A host is a detached `ip netns exec NS unshare …` whose
// forked child is the host's pid 1; killing that child ends every process of the host (the kernel
// kills a pid namespace with its init) and with them the host's mount namespace and its mounts.
// Hosts start in batches from one shell script: Node's own spawns cost ~50 ms each on this VM.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { joinScripts, sh } from '../shell/index.js'
import { tail } from '../text/tail.js'
import { labError } from './errors.js'
import { run, runScript } from './exec.js'
import { netnsInode } from './network.js'
import { childrenOf, isRunning, killAndWait, pidsInNetns, pidsRootedUnder, procRef, type ProcRef } from './proc.js'
import { probe, waitUntil } from './tcp-probe.js'

export interface LaunchSpec {
  name: string
  /** systemd: `initScript` boots the host with nspawn itself (it joins the netns by path). */
  kind?: 'systemd' | 'sysv'
  netns: string
  initScript: string
  log: string
}

export interface Launched {
  launcher: ProcRef
  init: ProcRef
}

const HOST_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8']

/**
 * One line per host: in its own session (a Ctrl-C in the terminal that ran `lab up` must not reach
 * the hosts), with a clean environment, a new log (readiness is read from it), and its pid echoed.
 */
export function launchScript(specs: LaunchSpec[]): string {
  return joinScripts(
    specs.map((s) =>
      s.kind === 'systemd'
        ? sh`env -i ${HOST_ENV} setsid /bin/sh -- ${s.initScript} >${s.log} 2>&1 </dev/null & echo ${s.name} $!`
        : sh`env -i ${HOST_ENV} setsid ip netns exec ${s.netns} unshare --mount --uts --ipc --pid --fork --propagation private /bin/sh -- ${s.initScript} >${s.log} 2>&1 </dev/null & echo ${s.name} $!`,
    ),
  ).text
}

/** Starts the hosts; a host missing from the result did not start (see its log). */
export async function launchHosts(specs: LaunchSpec[]): Promise<Map<string, Launched>> {
  const out = new Map<string, Launched>()
  if (specs.length === 0) return out
  const res = await runScript(launchScript(specs))
  const launchers = new Map<string, ProcRef>()
  for (const line of res.stdout.split('\n')) {
    const [name, pid] = line.trim().split(' ')
    const ref = name && pid ? procRef(Number(pid)) : undefined
    if (name && ref) launchers.set(name, ref)
  }
  // A systemd host's launcher stays in front of nspawn for its whole life: it is the one to watch.
  for (const s of specs) {
    const l = launchers.get(s.name)
    if (s.kind === 'systemd' && l) out.set(s.name, { launcher: l, init: l })
  }
  // unshare forks the namespace's pid 1 right away; find each to record it.
  for (let i = 0; i < 300 && out.size < launchers.size; i++) {
    const kids = childrenOf([...launchers.values()].map((l) => l.pid))
    for (const [name, launcher] of launchers) {
      if (out.has(name)) continue
      const init = procRef(kids.get(launcher.pid)?.[0] ?? -1)
      if (init) out.set(name, { launcher, init })
    }
    if ([...launchers.entries()].every(([n, l]) => out.has(n) || !isRunning(l))) break
    await sleep(10)
  }
  const stuck = [...launchers.entries()].filter(([n]) => !out.has(n)).map(([, l]) => l)
  await killAndWait(stuck)
  return out
}

export function logTail(path: string, lines = 3): string {
  try {
    return tail(readFileSync(path, 'utf8'), lines).replaceAll('\n', ' / ')
  } catch {
    return 'no log'
  }
}

/**
 * Waits until the host's sshd listens, then checks its banner once. Readiness comes from sshd's own
 * "Server listening" line in its log: every probe connection makes sshd fork and re-exec itself, and
 * probing 50 starting hosts every few ms kept them too busy to start.
 */
export async function waitForSsh(address: string, init: ProcRef, logPath: string, timeoutMs = 60000): Promise<void> {
  const listening = () => {
    try {
      return Promise.resolve(readFileSync(logPath, 'utf8').includes('Server listening on'))
    } catch {
      return Promise.resolve(false)
    }
  }
  const dead = () => !isRunning(init)
  const ok = (await waitUntil(listening, timeoutMs, dead)) && (await waitUntil(() => probe(address, 22, 2000, 'SSH-'), 10000, dead))
  if (ok) return
  const why = isRunning(init) ? `sshd did not answer on ${address}:22 within ${timeoutMs / 1000}s` : 'the host stopped'
  throw labError(`${why}: ${logTail(logPath)}`, `see ${logPath}`)
}

export async function sshAnswers(address: string): Promise<boolean> {
  return probe(address, 22, 3000, 'SSH-')
}

export interface Stoppable {
  init?: ProcRef
  launcher?: ProcRef
  /** The host's directory: any process rooted below it is the host's. */
  dir: string
  netns: string
}

/**
 * Ends hosts: their pid 1s, their launchers, then anything still rooted in their directories or in
 * their network namespaces (a shell someone entered with nsenter, say). Throws if a process survives.
 */
export async function stopHosts(hosts: Stoppable[]): Promise<void> {
  if (hosts.length === 0) return
  await killAndWait(hosts.map((h) => h.init).filter((r): r is ProcRef => !!r))
  await killAndWait(hosts.map((h) => h.launcher).filter((r): r is ProcRef => !!r))
  const inodes = new Set(hosts.map((h) => netnsInode(h.netns)).filter((i): i is number => i !== undefined))
  const pids = new Set([...pidsRootedUnder(hosts.map((h) => h.dir)), ...pidsInNetns(inodes)])
  const survivors = await killAndWait([...pids].map(procRef).filter((r): r is ProcRef => !!r))
  if (survivors.length) {
    throw labError(
      `lab processes survived SIGKILL: ${survivors.map((r) => r.pid).join(' ')}`,
      'they may be stuck in the kernel (D state); check with ps and try again',
    )
  }
}
