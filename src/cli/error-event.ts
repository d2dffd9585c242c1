// --json on a run that stops before any host is touched (a load or usage error): one `error`
// event on stdout, so a machine reading the stream learns why it is empty.
import { formatPos, type RmError } from '../playbook/errors.js'

export function errorEvent(errors: Pick<RmError, 'message' | 'pos' | 'hint'>[]): string {
  const list = errors.map((e) => ({ msg: e.message, ...(e.pos ? { pos: formatPos(e.pos) } : {}), ...(e.hint ? { hint: e.hint } : {}) }))
  return JSON.stringify({ type: 'error', errors: list, hostsTouched: false, time: new Date().toISOString() }) + '\n'
}
