// A bug in rm-play ends the run with its stack trace, which may quote a value the run was
// handling: the run's secrets are masked in it like everywhere else.
import { secretValues } from '../playbook/vault.js'
import { maskString } from '../report/mask.js'

export function internalErrorText(e: unknown): string {
  const what = e instanceof Error ? (e.stack ?? e.message) : String(e)
  return maskString(`rm-play: internal error: ${what}`, secretValues)
}
