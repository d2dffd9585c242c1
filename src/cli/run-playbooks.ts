// The run itself: each playbook in turn (a failed one stops the rest), with Ctrl-C and SIGTERM
// stopping what runs on the hosts so the recap still prints (--list-* and --syntax-check:
// list-playbooks.ts).
import type { RunOptions } from '../engine/options.js'
import { runPlaybook } from '../engine/run.js'
import type { Playbook } from '../playbook/model.js'
import type { RunContext } from '../playbook/run-context.js'
import type { CommandLine, Io } from './command-line.js'
import { retryNote } from './retry-file.js'
import { closeTerminal } from './step.js'

/**
 * Ctrl-C (or SIGTERM) aborts the run: it stops what runs on the hosts and prints its recap; a
 * second one exits at once. Returns the abort signal and how to stop listening.
 */
function onInterrupt(io: Io): { signal: AbortSignal; off(): void } {
  const abort = new AbortController()
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      io.err(`\nrm-play: ${sig} again: exiting now; commands on the hosts may still be running\n`)
      process.exit(sig === 'SIGTERM' ? 143 : 130)
    }
    io.err(`\nrm-play: ${sig}: stopping the commands running on the hosts; no new task starts (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once)\n`)
    abort.abort(sig)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: abort.signal,
    off() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/** Runs the playbooks in order; the exit code is the worst one (a failed playbook stops the rest). */
export async function runPlaybooks(playbooks: Playbook[], opts: RunOptions, { args, adhoc }: CommandLine, io: Io, run: RunContext): Promise<number> {
  const interrupt = onInterrupt(io)
  let code = 0
  try {
    for (const pb of playbooks) {
      const r = await runPlaybook(pb, { ...opts, signal: interrupt.signal }, run)
      if (args.retryFiles && !adhoc) retryNote(pb.file, r.stats, args, io)
      code = Math.max(code, r.exitCode)
      if (r.exitCode !== 0) break
    }
  } finally {
    closeTerminal()
    interrupt.off()
  }
  return code
}
