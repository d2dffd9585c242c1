// Everything a run is told from outside (CLI flags), in one typed object.
import type { HostKeyChecking } from '../connection/ssh.js'
import type { Inventory } from '../playbook/inventory.js'
import type { Preconnected } from './connect.js'
import type { Emit } from './events.js'

export interface RunOptions {
  check: boolean
  diff: boolean
  forks: number
  tags: string[]
  skipTags: string[]
  limit?: string
  extraVars: Record<string, unknown>
  verbosity: number
  startAtTask?: string
  /** --host-key-checking; undefined when not given (the inventory's settings then decide). */
  hostKeyChecking?: HostKeyChecking
  privateKey?: string
  remoteUser?: string
  /** -T/--timeout in ms; undefined when not given (ansible_ssh_timeout, ConnectTimeout, else 10 s). */
  connectTimeoutMs?: number
  /** -c/--connection: ssh or local, for hosts whose ansible_connection is not set. */
  connection?: 'ssh' | 'local'
  /** --ssh-common-args / --ssh-extra-args, for hosts without ansible_ssh_*_args. */
  sshCommonArgs?: string
  sshExtraArgs?: string
  /** -k/--ask-pass: the SSH password, for hosts without ansible_password. */
  password?: string
  /** --become-method: sudo (default) or su. */
  becomeMethod?: 'sudo' | 'su'
  /** -b / --become-user / --ask-become-pass */
  become?: boolean
  becomeUser?: string
  becomePassword?: string
  /** --step: asked before each task; false skips it (quietly, as Ansible). */
  step?: (task: { title: string }) => Promise<boolean>
  /** -vvv: a connection's detail lines (the CLI masks secrets before printing them). */
  trace?: (host: string, line: string) => void
  /** --force-handlers: notified handlers run on hosts that failed (a play's force_handlers too). */
  forceHandlers?: boolean
  /** Aborted on Ctrl-C: nothing new starts, running commands are stopped, the recap says so. */
  signal?: AbortSignal
  inventory: Inventory
  emit: Emit
  /** Connections the CLI started before the run, for the first play to adopt (connect.ts). */
  preconnected?: Preconnected
}
