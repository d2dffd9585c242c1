// Long-running controller processes of the lab (apt proxy, git daemon): started detached, in their
// own session, output to a log file, and remembered by pid and start time.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { labError } from './errors.js'
import { logTail } from './host-process.js'
import { isRunning, killAndWait, procRef, type ProcRef } from './proc.js'
import { probe, waitUntil } from './tcp-probe.js'

export function spawnDaemon(cmd: string, args: string[], logPath: string): ProcRef {
  mkdirSync(dirname(logPath), { recursive: true })
  const log = openSync(logPath, 'a')
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] })
    child.unref()
    const ref = child.pid !== undefined ? procRef(child.pid) : undefined
    if (!ref) throw labError(`could not start ${cmd}`, `see ${logPath}`)
    return ref
  } finally {
    closeSync(log)
  }
}

/**
 * Starts a daemon and waits (10 s at most) until it accepts connections on `address:port`; if it
 * exits or never listens, it is stopped and the error quotes its log. `what` names it there.
 */
export async function startListening(
  cmd: string,
  args: string[],
  logPath: string,
  at: { address: string; port: number; what: string; hint?: string },
): Promise<ProcRef> {
  const ref = spawnDaemon(cmd, args, logPath)
  const ok = await waitUntil(
    () => probe(at.address, at.port, 300),
    10000,
    () => !isRunning(ref),
  )
  if (!ok) {
    await killAndWait([ref])
    throw labError(`${at.what} did not start on ${at.address}:${at.port}: ${logTail(logPath)}`, at.hint ?? `see ${logPath}`)
  }
  return ref
}
