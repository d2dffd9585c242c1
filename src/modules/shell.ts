/**
 * shell — run a command line through a shell (pipes, redirections, $VARS and globs work).
 *
 * Same arguments and results as `command`, plus `executable` to pick the shell (e.g. /bin/bash).
 *
 *   - shell: pg_dump runmaster_prod | gzip > /var/backups/db-$(date +%F).sql.gz
 *     args: { creates: /var/backups/today.done }
 */
import { code, sh, type Script } from '../shell/index.js'
import { commandPlan, commandProbes, commandResult, commandReturns, commandSchema, type CommandArgs } from './command.js'
import type { HostModule } from './types.js'

function script(a: CommandArgs): Script {
  const text = a.cmd ?? (a.argv ?? []).join(' ')
  // The one place where a user's value is shell code on purpose: the task asked for a shell.
  // With another executable, the text is that shell's argument, quoted as one word.
  return a.executable ? sh`exec ${a.executable} -c ${text}` : code(text)
}

export const shell: HostModule<CommandArgs, CommandArgs, ReturnType<typeof commandProbes>> = {
  kind: 'host',
  name: 'shell',
  doc: 'Run a command line through a shell.',
  args: commandSchema,
  returns: commandReturns,
  probes: commandProbes,
  plan: (a, state) => commandPlan(a, state, script(a), a.cmd ?? (a.argv ?? []).join(' ')),
  result: (a, state, outputs, ctx) => commandResult(a, state, outputs, a.cmd ?? (a.argv ?? []).join(' '), ctx.check),
}
