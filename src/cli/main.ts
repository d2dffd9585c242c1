// `rm-play`: the stages in order: parse flags → load inventory and playbooks (every error, with
// file:line:col, before any connection) → list or check → run with a reporter → exit code.
import { existsSync } from 'node:fs'
import type { RunEvent } from '../engine/events.js'
import type { RunOptions } from '../engine/options.js'
import { runPlaybook } from '../engine/run.js'
import { errorList, formatError, RmError, RmErrors } from '../playbook/errors.js'
import { loadInventory } from '../playbook/inventory.js'
import { loadPlaybook } from '../playbook/load.js'
import { undefinedVariables } from '../playbook/undefined-names.js'
import type { Playbook } from '../playbook/model.js'
import { RunContext, withRun } from '../playbook/run-context.js'
import { jsonReporter } from '../report/json.js'
import { colours, noColours } from '../report/paint.js'
import { PrettyReporter } from '../report/pretty.js'
import { helpText, parseArgs, UsageError } from './args.js'
import { InternalError, internalErrorText } from './internal-error.js'
import { subcommand, version } from './subcommands.js'
import { adHocModule, adHocPlaybook, adHocReporter, isAdHoc, splitAdHoc, type AdHoc } from './adhoc.js'
import { withConfig } from './apply-config.js'
import { errorEvent } from './error-event.js'
import { parseExtraVars } from './extra-vars.js'
import { listing } from './listing.js'
import { limitProblems, varsFileProblems } from './preflight.js'
import { readSecret } from './prompt.js'
import { retryNote } from './retry-file.js'
import { connectionOptions, idleFlagNotes, secret, setUpVault } from './run-flags.js'
import { askTerminal, closeTerminal, stepper } from './step.js'
import { connectionTrace } from './trace.js'

export { version }

type Io = { out(s: string): void; err(s: string): void; tty: boolean }

/** One invocation is one run (run-context.ts): a bug's stack trace leaves it masked with the run's secrets. */
export async function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), tty: !!process.stdout.isTTY },
): Promise<number> {
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

  let args
  // `rm-play PATTERN -m MODULE -a ARGS`: an ad-hoc run, a one-task playbook (adhoc.ts)
  let adhoc: AdHoc | undefined
  try {
    if (isAdHoc(argv)) argv = (adhoc = splitAdHoc(argv)).rest
    args = withConfig(parseArgs(argv), argv, io)
  } catch (e) {
    if (e instanceof UsageError) {
      if (argv.includes('--json')) io.out(errorEvent([e]))
      io.err(`rm-play: ${e.message}\nTry rm-play --help.\n`)
      return 1
    }
    throw e
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

  const paint = (args.color ?? (io.tty && !process.env.NO_COLOR)) ? colours : noColours
  const fail = (e: unknown): number => {
    const errs = errorList(e)
    if (args.json) io.out(errorEvent(errs))
    io.err(errs.map((x) => paint.red('ERROR: ') + formatError(x)).join('\n\n') + '\n')
    if (errs.length > 1) io.err(`\n${errs.length} problems found; no host was touched.\n`)
    else io.err('\nNo host was touched.\n')
    return 1
  }

  let playbooks: Playbook[]
  let opts: RunOptions
  try {
    const vaultFile = args.vaultPasswordFile ?? process.env.ANSIBLE_VAULT_PASSWORD_FILE ?? process.env.RM_PLAY_VAULT_PASSWORD_FILE
    await setUpVault(args, vaultFile)
    for (const n of idleFlagNotes(args)) io.err(`rm-play: note: ${n}\n`)
    const sources = args.inventory.length
      ? args.inventory
      : process.env.ANSIBLE_INVENTORY
        ? process.env.ANSIBLE_INVENTORY.split(',')
        : existsSync('inventory')
          ? ['inventory']
          : []
    const errors: unknown[] = []
    let inventory
    try {
      inventory = loadInventory(sources)
      for (const f of inventory.ignoredFiles.filter((f) => /\.(ini|cfg)$/.test(f)))
        io.err(`[WARNING]: ${f} is not read: in an inventory directory Ansible skips .ini and .cfg files (name it without the extension)\n`)
    } catch (e) {
      errors.push(e)
    }
    let extraVars: Record<string, unknown> = {}
    try {
      extraVars = parseExtraVars(args.extraVars)
    } catch (e) {
      errors.push(e)
    }
    playbooks = []
    for (const p of args.playbooks) {
      try {
        playbooks.push(
          adhoc ? adHocPlaybook(p, adHocModule(adhoc.module), adhoc.args, { rolesPath: args.rolesPath }) : loadPlaybook(p, { rolesPath: args.rolesPath }),
        )
      } catch (e) {
        errors.push(e)
      }
    }
    if (errors.length) return fail(new RmErrors(errors.flatMap(errorList)))
    // A variable nothing can define: reported now, before any host is touched (trust 1).
    const undefinedNames = playbooks.flatMap((pb) => undefinedVariables(pb, inventory!, extraVars))
    if (undefinedNames.length) return fail(new RmErrors(undefinedNames))
    const before = [...limitProblems(inventory!, args.limit), ...varsFileProblems(playbooks)]
    if (before.length) return fail(new RmErrors(before))
    const becomePassword = args.askBecomePass ? secret(await readSecret('BECOME password: ')) : undefined
    const connection = await connectionOptions(args)
    const emit = args.json
      ? jsonReporter(io.out)
      : adhoc
        ? adHocReporter(adHocModule(adhoc.module), io, paint)
        : (
            (r: PrettyReporter) => (e: RunEvent) =>
              r.handle(e)
          )(new PrettyReporter({ paint, write: io.out, verbosity: args.verbosity, timings: true, live: io.tty, profile: args.profile || args.verbosity > 0 }))
    opts = {
      check: args.check,
      diff: args.diff,
      forks: args.forks,
      tags: args.tags,
      skipTags: args.skipTags,
      limit: args.limit,
      extraVars,
      verbosity: args.verbosity,
      startAtTask: args.startAtTask,
      forceHandlers: args.forceHandlers,
      hostKeyChecking: args.hostKeyChecking,
      privateKey: args.privateKey,
      remoteUser: args.user,
      connectTimeoutMs: args.timeout === undefined ? undefined : args.timeout * 1000,
      become: args.become,
      becomeUser: args.becomeUser,
      becomePassword,
      ...connection,
      step: args.step ? stepper(askTerminal) : undefined,
      trace: connectionTrace(args.verbosity, args.json ? io.err : io.out),
      inventory: inventory!,
      emit,
    }
  } catch (e) {
    if (e instanceof RmError || e instanceof RmErrors) return fail(e)
    throw e
  }

  if (args.listHosts || args.listTasks || args.listTags || args.syntaxCheck) {
    for (const pb of playbooks) {
      for (const w of pb.warnings ?? [])
        io.err(`[WARNING]: ${formatError(w)}\n  (reached only through a conditional include: an error on a host that runs it)\n`)
      if (args.syntaxCheck) io.out(`\nplaybook: ${pb.file}\n`)
      else io.out(listing(pb, opts, { hosts: args.listHosts, tasks: args.listTasks, tags: args.listTags }, opts.inventory) + '\n')
    }
    return 0
  }

  // Ctrl-C (or SIGTERM): the run stops what runs on the hosts and prints its recap; a second
  // one exits at once.
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
  opts = { ...opts, signal: abort.signal }
  let code = 0
  try {
    for (const pb of playbooks) {
      const r = await runPlaybook(pb, opts, run)
      if (args.retryFiles && !adhoc) retryNote(pb.file, r.stats, args, io)
      code = Math.max(code, r.exitCode)
      if (r.exitCode !== 0) break
    }
  } finally {
    closeTerminal()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return code
}
