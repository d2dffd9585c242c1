// A bug in rm-play ends the run with its stack trace, which may quote a value the run was
// handling: the run's secrets are masked in it like everywhere else.
import { currentRun } from '../playbook/run-context.js'
import { maskString } from '../report/mask.js'

/** The error as shown: `secrets` are those of the run it escaped from (main passes its own). */
export function internalErrorText(e: unknown, secrets: ReadonlySet<string> = currentRun().secrets): string {
  if (e instanceof InternalError) return e.message
  const what = e instanceof Error ? (e.stack ?? e.message) : String(e)
  return maskString(`rm-play: internal error: ${what}`, secrets)
}

/** An error that left a run, its text already masked with that run's secrets. */
export class InternalError extends Error {}
