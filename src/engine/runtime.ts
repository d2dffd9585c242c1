// The state of one run shared by the strategy and the task runner.
import type PQueue from 'p-queue'
import type { Play } from '../playbook/model.js'
import type { ConnectionPool } from './connect.js'
import type { HostState } from './host-state.js'
import type { RunOptions } from './options.js'
import type { ScopeInputs } from './scope.js'

export interface PlayRuntime {
  options: RunOptions
  play: Play
  playbookDir: string
  scope: ScopeInputs
  hosts: Map<string, HostState>
  pool: ConnectionPool
  queue: PQueue
  /** Values to mask in everything shown (no_log arguments seen so far, vault values). */
  secrets: Set<string>
  /** run_once: the first host's result, shared with the rest of the batch. */
  runOnce: Map<number, Promise<unknown>>
}
