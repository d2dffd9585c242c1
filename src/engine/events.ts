// What the engine tells the world, as a tagged union. The engine never writes to stdout;
// reporters subscribe to these (pretty for people, json for machines, a plain one for tests).
import type { FileDiff } from '../modules/types.js'
import type { SourcePos } from '../playbook/errors.js'

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable'

export interface HostStats {
  ok: number
  changed: number
  unreachable: number
  failed: number
  skipped: number
  rescued: number
  ignored: number
}

export interface ChangeSummary {
  summary: string
  /** The module could not predict it (check mode: "would run"). */
  uncertain?: boolean
}

export interface HostResultEvent {
  type: 'host-result'
  task: string
  taskIndex: number
  handler: boolean
  host: string
  delegatedTo?: string
  status: HostStatus
  /** Check mode could not know: depends on a result that only a real run produces. */
  mayChange?: boolean
  /** Check mode: the changes were predicted, not made. */
  check: boolean
  item?: string // the loop item's label
  msg?: string
  changes: ChangeSummary[]
  diffs: FileDiff[]
  /** What `-v` shows: stdout/stderr/rc or the module's return values (masked). */
  output?: Record<string, unknown>
  ignored?: boolean
  skipReason?: string
  durationMs: number
  /** no_log: details are hidden. */
  hidden?: boolean
}

export type RunEvent =
  | { type: 'run-start'; playbook: string; check: boolean; diff: boolean; forks: number }
  | { type: 'play-start'; name: string; hosts: string[]; pos: SourcePos; check: boolean }
  | { type: 'batch-start'; hosts: string[]; batch: number; batches: number }
  | { type: 'task-start'; task: string; taskIndex: number; handler: boolean; pos?: SourcePos; hosts: string[] }
  | HostResultEvent
  | { type: 'task-end'; task: string; taskIndex: number; durationMs: number }
  | { type: 'warning'; msg: string; host?: string; pos?: SourcePos }
  | { type: 'play-end'; name: string; durationMs: number; stopped?: string }
  /** Ctrl-C (or SIGTERM): nothing new starts; running commands are being stopped. */
  | { type: 'interrupt'; signal: string }
  /** Handlers a host was notified to run but will not (it failed, became unreachable, or the run stopped). */
  | { type: 'handlers-pending'; host: string; handlers: string[]; why: string }
  | { type: 'recap'; stats: Record<string, HostStats>; durationMs: number; check: boolean; interrupted?: boolean }

export type Emit = (e: RunEvent) => void

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }
}
