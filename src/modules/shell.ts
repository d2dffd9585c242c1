/**
 * shell — run a command line through a shell (pipes, redirections, $VARS and globs work).
 *
 * Same arguments and results as `command`, plus `executable` to pick the shell (e.g. /bin/bash).
 *
 *   - shell: pg_dump runmaster_prod | gzip > /var/backups/db-$(date +%F).sql.gz
 *     args: { creates: /var/backups/today.done }
 */
import { quote } from '../connection/shell.js'
import { commandPlan, commandProbes, commandResult, commandReturns, commandSchema, type CommandArgs } from './command.js'
import type { HostModule } from './types.js'

function script(a: CommandArgs): string {
  const text = a.cmd ?? (a.argv ?? []).join(' ')
  return a.executable ? `exec ${quote(a.executable)} -c ${quote(text)}` : text
}

export const shell: HostModule<CommandArgs> = {
  kind: 'host',
  name: 'shell',
  doc: 'Run a command line through a shell.',
  args: commandSchema,
  returns: commandReturns,
  probes: commandProbes,
  plan: (a, state) => commandPlan(a, state, script(a), a.cmd ?? (a.argv ?? []).join(' ')),
  result: (a, state, outputs) => commandResult(a, state, outputs, a.cmd ?? (a.argv ?? []).join(' ')),
}
