// Starting and stopping one host's processes. A host is a detached `ip netns exec NS unshare …`
// whose forked child is the host's pid 1; killing that child ends every process of the host (the
// kernel kills a pid namespace with its init) and with them the host's mount namespace.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { labError } from './errors.js'
import { run } from './exec.js'
import { netnsExists } from './network.js'
import { childrenOf, isRunning, killAndWait, pidsRootedUnder, procRef, type ProcRef } from './proc.js'
import { probe, waitUntil } from './tcp-probe.js'

export interface Launched {
  launcher: ProcRef
  init: ProcRef
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function launchHost(netns: string, initScript: string, logPath: string): Promise<Launched> {
  // A new log per start: readiness is read from it (see waitForSsh).
  const log = openSync(logPath, 'w')
  let child
  try {
    child = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--propagation', 'private', '/bin/sh', initScript], {
      detached: true, // its own session: a Ctrl-C in the terminal that ran `lab up` must not reach the hosts
      stdio: ['ignore', log, log],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    })
  } finally {
    closeSync(log)
  }
  child.unref()
  const pid = child.pid
  const launcher = pid !== undefined ? procRef(pid) : undefined
  if (!launcher) throw labError(`could not start the host in namespace ${netns}`, `see ${logPath}`)
  // unshare forks the namespace's pid 1 right away; find it to record it.
  for (let i = 0; i < 200; i++) {
    const kids = childrenOf(launcher.pid)
    const init = kids.length ? procRef(kids[0]!) : undefined
    if (init) return { launcher, init }
    if (!isRunning(launcher)) break
    await sleep(10)
  }
  await killAndWait([launcher])
  throw labError(`host in namespace ${netns} did not start: ${logTail(logPath)}`, `see ${logPath}`)
}

export function logTail(path: string, lines = 3): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join(' / ')
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
  return probe(address, 22, 1000, 'SSH-')
}

/**
 * Ends a host: its pid 1, its launcher, then anything still rooted in its directory or in its network
 * namespace (a shell someone entered with nsenter, say). Throws if a process survives.
 */
export async function stopHost(refs: { init?: ProcRef; launcher?: ProcRef }, hostDir: string, netns: string): Promise<void> {
  const own = [refs.init, refs.launcher].filter((r): r is ProcRef => !!r)
  await killAndWait(own.slice(0, 1))
  await killAndWait(own.slice(1))
  const left = pidsRootedUnder(hostDir)
    .map(procRef)
    .filter((r): r is ProcRef => !!r)
  if (netnsExists(netns)) {
    // What runs in the namespace, wherever its root is.
    const res = await run(['ip', 'netns', 'pids', netns], { check: false })
    for (const p of res.stdout.split(/\s+/).filter(Boolean)) {
      const r = procRef(Number(p))
      if (r) left.push(r)
    }
  }
  const survivors = await killAndWait(left)
  if (survivors.length) {
    throw labError(`processes of ${hostDir} survived SIGKILL: ${survivors.map((r) => r.pid).join(' ')}`, 'they may be stuck in the kernel (D state); check with ps and try again')
  }
}
