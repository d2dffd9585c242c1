// Everything a run is told from outside (CLI flags), in one typed object.
import type { HostKeyChecking } from '../connection/ssh.js'
import type { Inventory } from '../playbook/inventory.js'
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
  /** -b / --become-user / --ask-become-pass */
  become?: boolean
  becomeUser?: string
  becomePassword?: string
  inventory: Inventory
  emit: Emit
}
