// `rm-play`: the stages in order: parse flags → load inventory and playbooks (every error, with
// file:line:col, before any connection) → list or run with a reporter → exit code.
import { errorList, formatError, RmError, RmErrors } from '../playbook/errors.js'
import { RunContext, withRun } from '../playbook/run-context.js'
import { colours, noColours, type Paint } from '../report/paint.js'
import { parseCommandLine, type Io } from './command-line.js'
import { errorEvent } from './error-event.js'
import { InternalError, internalErrorText } from './internal-error.js'
import { loadRun, type LoadedRun } from './load-run.js'
import { listPlaybooks, wantsListing } from './list-playbooks.js'
import { subcommand, version } from './subcommands.js'
import { tuneV8ForRuns } from './v8-tuning.js'

export { version }

/** One invocation is one run (run-context.ts): a bug's stack trace leaves it masked with the run's secrets. */
export async function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), tty: !!process.stdout.isTTY },
): Promise<number> {
  tuneV8ForRuns()
  const run = new RunContext()
  try {
    return await withRun(run, () => mainInRun(argv, io, run))
  } catch (e) {
    throw new InternalError(internalErrorText(e, run.secrets))
  }
}

async function mainInRun(argv: string[], io: Io, run: RunContext): Promise<number> {
  const sub = await subcommand(argv, io)
  if (sub !== undefined) return sub
  const cl = parseCommandLine(argv, io)
  if (typeof cl === 'number') return cl
  const paint = (cl.args.color ?? (io.tty && !process.env.NO_COLOR)) ? colours : noColours
  let loaded: LoadedRun
  try {
    loaded = await loadRun(cl, io, paint)
  } catch (e) {
    if (e instanceof RmError || e instanceof RmErrors) return reportLoadErrors(e, cl.args.json, io, paint)
    throw e
  }
  if (wantsListing(cl.args)) return listPlaybooks(loaded.playbooks, loaded.opts, cl.args, io)
  // the engine and the SSH stack are loaded only for a run (a syntax check needs neither); the
  // first play's hosts are being connected to while the engine loads
  const preconnected = await (await import('./pre-connect.js')).preconnect(loaded.playbooks, loaded.opts)
  const { runPlaybooks } = await import('./run-playbooks.js')
  return runPlaybooks(loaded.playbooks, { ...loaded.opts, preconnected }, cl, io, run)
}

/** Every load error, each with its file:line:col; nothing ran, exit code 1. */
function reportLoadErrors(e: RmError | RmErrors, json: boolean, io: Io, paint: Paint): number {
  const errs = errorList(e)
  if (json) io.out(errorEvent(errs))
  io.err(errs.map((x) => paint.red('ERROR: ') + formatError(x)).join('\n\n') + '\n')
  io.err(errs.length > 1 ? `\n${errs.length} problems found; no host was touched.\n` : '\nNo host was touched.\n')
  return 1
}
