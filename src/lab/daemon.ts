// Long-running controller processes of the lab (apt proxy, git daemon): started detached, in their
// own session, output to a log file, and remembered by pid and start time.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { labError } from './errors.js'
import { procRef, type ProcRef } from './proc.js'

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
