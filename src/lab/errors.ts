// Lab errors are the project's one error type: a one-line message and a hint.
import { RmError } from '../playbook/errors.js'

export function labError(message: string, hint?: string): RmError {
  return new RmError(message, undefined, hint)
}
