// What the engine knows about one host during a play: its connection, facts, variables set by
// set_fact and register, the handlers it notified, and whether it is still in the play.
import type { Connection } from '../connection/connection.js'
import type { Facts } from '../probes/facts.js'
import { emptyStats, type HostStats } from './events.js'
import type { Upcoming } from './read-ahead.js'

export class HostState {
  conn?: Connection
  facts?: Facts
  /** set_fact and register results: data, never templated again. */
  readonly vars: Record<string, unknown> = {}
  /** include_vars results: templated when read (controller files, as vars files), below set_fact as in Ansible. */
  includedVars: Record<string, unknown> = {}
  /** vars_files loaded for this host (templated names are resolved per host). */
  varsFiles: Record<string, unknown> = {}
  failed = false
  unreachable = false
  /** meta: end_host, or the play stopped for it. */
  ended = false
  readonly notified = new Set<string>()
  readonly stats: HostStats = emptyStats()
  /** Its pending failure is in an any_errors_fatal task or block (cleared when rescued). */
  failureFatal = false
  /**
   * Its pending failure is a playbook error (an undefined variable, a bad expression): the playbook
   * is wrong, not the host, so it ends the run as any_errors_fatal would (unless rescued).
   */
  failureIsPlaybookError = false
  /** The tasks after the one running, for read-ahead (none while a handler runs). */
  upcoming?: Upcoming
  /** The last failure a rescue may handle: its registered result and the task (ansible_failed_result/_task). */
  lastFailure?: { result: unknown; task: Record<string, unknown> }
  /** meta: clear_host_errors forgave its failure: it does not make the exit code 2 (until it fails again). */
  errorsCleared = false

  constructor(readonly name: string) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended
  }
}
