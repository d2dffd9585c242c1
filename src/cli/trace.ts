// -vvv / -vvvv: the connections' detail lines, each masked against every secret known at that
// moment (vault values, passwords read at the prompt), as `<host> line` on the output (stderr
// under --json, which keeps stdout for events).
import type { RunOptions } from '../engine/options.js'
import { currentRun } from '../playbook/run-context.js'
import { maskString } from '../report/mask.js'

export function connectionTrace(verbosity: number, write: (s: string) => void): RunOptions['trace'] {
  if (verbosity < 3) return undefined
  return (host, line) => write(`<${host}> ${maskString(line, currentRun().secrets)}\n`)
}
