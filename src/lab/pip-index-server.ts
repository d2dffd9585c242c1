// The lab's package index on the lab's bridge: a static web server (python3's http.server) over
// the directory pip-index-build.ts made, so that hosts `pip install --index-url
// http://BRIDGE:3141/simple/` with no route outside. One per lab, like the git daemon; `down`
// stops it, the cache stays.
import { startListening } from './daemon.js'
import { isRunning, killAndWait, type ProcRef } from './proc.js'

export const PIP_INDEX_PORT = 3141

export interface PipIndexServer {
  process: ProcRef
  /** The directory it serves. */
  dir: string
  /** Whether it holds the whole closure of the requirements (false: `lab up` said what is missing). */
  complete?: boolean
  /** Built with pip download ('pip') or from Debian's packages alone ('debian': pip reached no index). */
  source?: 'pip' | 'debian'
}

export function pipIndexUrl(address: string): string {
  return `http://${address}:${PIP_INDEX_PORT}/simple/`
}

/** Keeps `current` if it runs and serves `dir`; else (re)starts it. */
export async function ensurePipIndexServer(current: PipIndexServer | undefined, address: string, dir: string, logPath: string): Promise<PipIndexServer> {
  if (current && isRunning(current.process)) {
    if (current.dir === dir) return current
    await killAndWait([current.process])
  }
  const ref = await startListening('python3', ['-m', 'http.server', String(PIP_INDEX_PORT), '--bind', address, '--directory', dir], logPath, {
    address,
    port: PIP_INDEX_PORT,
    what: "the lab's package index",
  })
  return { process: ref, dir }
}
