// V8's optimizing compiler, tuned for a run: it works on background threads, and a playbook run
// spends much of its CPU time there. A run's hot code is spread over many mid-sized functions
// (scopes, renders, probes, ssh2's packets), each optimized with deep inlining that pays back little
// in a run of seconds. A higher budget before a function is optimized (only the really hot ones
// are) and a smaller inlining budget cut the controller's CPU time by ~18% on the bench's
// no-change run at 50 hosts x 121 tasks (median: 2.87 -> 2.35 s; --no-opt saves as much but makes
// the main thread, the wall time of a large run, 23% slower). Flags set now apply to what is
// compiled from now on: call it before the run starts.
import { setFlagsFromString } from 'node:v8'

const FLAGS = ['--interrupt-budget=270000', '--max-inlined-bytecode-size-cumulative=120']

let done = false

export function tuneV8ForRuns(): void {
  if (done) return
  done = true
  for (const f of FLAGS) setFlagsFromString(f)
}
