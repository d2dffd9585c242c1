// The state of one run shared by the strategy and the task runner.
import type PQueue from 'p-queue'
import type { Connection } from '../connection/connection.js'
import { RmError, type SourcePos } from '../playbook/errors.js'
import { renderValue } from '../playbook/expression.js'
import type { Node, Play } from '../playbook/model.js'
import type { VarScope } from '../playbook/vars.js'
import type { ArgCache } from './arg-cache.js'
import type { ConnectionPool } from './connect.js'
import type { HostState } from './host-state.js'
import type { ReadAhead } from './read-ahead.js'
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
  /** Probe reads taken ahead, and their generation (read-ahead.ts). */
  readAhead: ReadAhead
  /** Task arguments read-ahead rendered, kept for the task's turn (arg-cache.ts); made when first used. */
  argCache?: ArgCache
  /** Task trees of templated include_tasks / include_role, by include index and rendered target: parsed once. */
  includes?: { nodes: Map<string, Node[]>; loadedTasks: number }
}

/** The remote_user / connection keywords in effect (rendered): a task's, else its play's. */
export interface ConnectionKeywords {
  remoteUser?: string
  connection?: string
}

/** Renders the remote_user / connection keywords (a task's, else its play's) for one host. */
export function connectionKeywords(remoteUser: string | undefined, connection: string | undefined, scope: VarScope, pos: SourcePos): ConnectionKeywords {
  const render = (v: string | undefined) => (v === undefined ? undefined : String(renderValue(v, scope)))
  const kw = { remoteUser: render(remoteUser), connection: render(connection) }
  if (kw.connection !== undefined && !['ssh', 'local', 'smart', 'paramiko'].includes(kw.connection))
    throw new RmError(`connection '${kw.connection}' is not supported (use ssh or local)`, pos)
  return kw
}

const defined = (v: unknown): v is NonNullable<unknown> => v !== undefined && v !== null

/**
 * A host's connection, with the remote_user / connection keywords as defaults for ansible_user /
 * ansible_connection: as in Ansible, a variable (inventory, play vars, -e) wins over the keyword,
 * and the keyword wins over -u. A keyword in effect gets its own pooled connection, keyed so that a
 * play logging in as someone else never reuses another play's session.
 */
export function connectionFor(rt: PlayRuntime, host: string, vars: Readonly<Record<string, unknown>>, kw: ConnectionKeywords): Connection {
  const over: Record<string, unknown> = {}
  if (defined(kw.remoteUser) && !defined(vars.ansible_user) && !defined(vars.ansible_ssh_user)) over.ansible_user = kw.remoteUser
  if (defined(kw.connection) && !defined(vars.ansible_connection)) over.ansible_connection = kw.connection
  if (!Object.keys(over).length) return rt.pool.get(host, vars)
  // The pool names hosts by key and falls back to that key as the address: pin the real one.
  over.ansible_host = vars.ansible_host ?? vars.ansible_ssh_host ?? host
  const key = `${defined(over.ansible_user) ? `${String(over.ansible_user)}@` : ''}${host}${defined(over.ansible_connection) ? ` (${String(over.ansible_connection)})` : ''}`
  const merged = new Proxy({} as Record<string, unknown>, {
    get: (_, k) => (typeof k === 'string' && k in over ? over[k] : typeof k === 'string' ? vars[k] : undefined),
  })
  return rt.pool.get(key, merged, host)
}
