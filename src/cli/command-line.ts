// The command line of a playbook run (or an ad-hoc one), parsed and merged with the config file;
// or the answer the CLI gives without running anything: help, version, a usage error.
import { helpText, parseArgs, UsageError, type CliArgs } from './args.js'
import { isAdHoc, splitAdHoc, type AdHoc } from './adhoc.js'
import { withConfig } from './apply-config.js'
import { errorEvent } from './error-event.js'
import { version } from './subcommands.js'

export type Io = { out(s: string): void; err(s: string): void; tty: boolean }

/** What to run: the flags, and the ad-hoc module when the command line is `PATTERN -m MODULE -a ARGS`. */
export interface CommandLine {
  args: CliArgs
  adhoc?: AdHoc
}

/** The command line to run, or the exit code when the answer is printed already. */
export function parseCommandLine(argv: string[], io: Io): CommandLine | number {
  let args: CliArgs
  // `rm-play PATTERN -m MODULE -a ARGS`: an ad-hoc run, a one-task playbook (adhoc.ts)
  let adhoc: AdHoc | undefined
  try {
    if (isAdHoc(argv)) argv = (adhoc = splitAdHoc(argv)).rest
    args = withConfig(parseArgs(argv), argv, io)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    if (argv.includes('--json')) io.out(errorEvent([e]))
    io.err(`rm-play: ${e.message}\nTry rm-play --help.\n`)
    return 1
  }
  if (args.help) {
    io.out(helpText(version()) + '\n')
    return 0
  }
  if (args.version) {
    io.out(`rm-play ${version()}\n`)
    return 0
  }
  if (args.playbooks.length === 0) {
    io.err('rm-play: no playbook given\nUsage: rm-play PLAYBOOK.yml -i INVENTORY [options] (rm-play --help)\n')
    return 1
  }
  return { args, ...(adhoc ? { adhoc } : {}) }
}
