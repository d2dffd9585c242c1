/**
 * meta — engine actions: `flush_handlers` (run notified handlers now), `end_play`, `end_host`,
 * `clear_host_errors`, `noop`, `refresh_inventory` (accepted, no effect) and `reset_connection` (the
 * host's connection is closed, a kept one too: the next task logs in again, as Ansible's).
 *
 *   - meta: flush_handlers
 */
import type { ActionModule, ActionResult } from './types.js'

const ACTIONS = [
  'flush_handlers',
  'end_play',
  'end_host',
  'end_batch',
  'clear_host_errors',
  'noop',
  'refresh_inventory',
  'reset_connection',
  'clear_facts',
] as const

export const meta: ActionModule<{ action: (typeof ACTIONS)[number] }> = {
  kind: 'action',
  name: 'meta',
  doc: 'Engine actions: flush_handlers, end_play, end_host, clear_host_errors, noop.',
  args: { freeForm: 'action', options: { action: { type: 'str', required: true, choices: ACTIONS, aliases: ['_raw_params'], doc: 'What to do.' } } },
  act: (a): ActionResult => ({ meta: a.action === 'end_batch' ? 'end_play' : a.action }),
}
