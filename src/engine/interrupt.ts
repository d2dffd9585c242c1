// Ctrl-C for a whole run: the pool hands out no connection any more, every host's running command
// is stopped with its process group (see connection/framed-shell.ts), and what an interrupted
// package manager left behind is reported, not left for the next run to trip over.
import type { Connection, InterruptOutcome } from '../connection/connection.js'
import { InterruptedError } from '../connection/connection.js'
import { code } from '../shell/index.js'
import { ConnectionPool } from './connect.js'

/**
 * Run on a host after its command was stopped: dpkg interrupted half-way leaves packages
 * unpacked or half-configured (and says so only on the next apt run). Any user can read this.
 */
export const DPKG_AUDIT = code(
  `if { [ -d /var/lib/dpkg/updates ] && [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; } || { command -v dpkg >/dev/null 2>&1 && [ -n "$(dpkg --audit 2>/dev/null)" ]; }; then echo rmp-dpkg-interrupted; fi`,
)

export const DPKG_INTERRUPTED = 'rmp-dpkg-interrupted'

/** The run's connections, which an interrupt can stop all at once. */
export class RunPool extends ConnectionPool {
  private readonly made = new Set<Connection>()
  private interrupted = false

  override get(host: string, vars: Record<string, unknown>): Connection {
    if (this.interrupted) throw new InterruptedError('interrupted: not started')
    const c = super.get(host, vars)
    this.made.add(c)
    return c
  }

  /** Stops what runs on every host (in parallel); the outcome of each connection that had something running. */
  async interruptAll(): Promise<{ host: string; outcome: InterruptOutcome }[]> {
    this.interrupted = true
    const all = [...this.made]
    const outcomes = await Promise.all(
      all.map(async (c) => ({
        host: c.host,
        outcome: c.interrupt ? await c.interrupt(DPKG_AUDIT) : { stopped: false, error: 'this connection cannot stop a running command' },
      })),
    )
    return outcomes.filter((o) => o.outcome.stopped || o.outcome.error)
  }

  override async closeAll(): Promise<void> {
    this.made.clear()
    await super.closeAll()
  }
}
