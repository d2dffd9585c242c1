// Everything a run needs before it touches a host: the vault, the inventory, the extra vars, the
// playbooks, the checks that need all of them (undefined variables, --limit, vars files), the
// become password, the connection options and the reporter. Every load error is collected, each
// with its file:line:col, and none of this opens a connection.
import { existsSync } from 'node:fs'
import type { RunEvent } from '../engine/events.js'
import type { RunOptions } from '../engine/options.js'
import { errorList, RmErrors } from '../playbook/errors.js'
import { loadInventory, type Inventory } from '../playbook/inventory.js'
import { loadPlaybook } from '../playbook/load.js'
import type { Playbook } from '../playbook/model.js'
import { undefinedVariables } from '../playbook/undefined-names.js'
import type { Paint } from '../report/paint.js'
import { adHocModule, adHocPlaybook } from './adhoc.js'
import type { CommandLine, Io } from './command-line.js'
import { parseExtraVars } from './extra-vars.js'
import { limitProblems, varsFileProblems } from './preflight.js'
import { readSecret } from './prompt.js'
import { connectionOptions, idleFlagNotes, secret, setUpVault } from './run-flags.js'
import { askTerminal, stepper } from './step.js'
import { connectionTrace } from './trace.js'

export interface LoadedRun {
  playbooks: Playbook[]
  opts: RunOptions
}

/** Where the inventory comes from: -i, then ANSIBLE_INVENTORY, then ./inventory. */
function inventorySources(given: string[]): string[] {
  if (given.length) return given
  if (process.env.ANSIBLE_INVENTORY) return process.env.ANSIBLE_INVENTORY.split(',')
  return existsSync('inventory') ? ['inventory'] : []
}

/** Runs each loader, collecting its errors instead of stopping at the first. */
function collecting<T>(errors: unknown[], load: () => T): T | undefined {
  try {
    return load()
  } catch (e) {
    errors.push(e)
    return undefined
  }
}

/** The inventory, extra vars and playbooks; all their errors at once. */
function loadSources({ args, adhoc }: CommandLine, io: Io): { inventory: Inventory; extraVars: Record<string, unknown>; playbooks: Playbook[] } {
  const errors: unknown[] = []
  const inventory = collecting(errors, () => loadInventory(inventorySources(args.inventory)))
  for (const f of inventory?.ignoredFiles.filter((f) => /\.(ini|cfg)$/.test(f)) ?? [])
    io.err(`[WARNING]: ${f} is not read: in an inventory directory Ansible skips .ini and .cfg files (name it without the extension)\n`)
  const extraVars = collecting(errors, () => parseExtraVars(args.extraVars)) ?? {}
  const loadOpts = { rolesPath: args.rolesPath }
  const playbooks = args.playbooks.flatMap(
    (p) => collecting(errors, () => (adhoc ? adHocPlaybook(p, adHocModule(adhoc.module), adhoc.args, loadOpts) : loadPlaybook(p, loadOpts))) ?? [],
  )
  if (errors.length) throw new RmErrors(errors.flatMap(errorList))
  return { inventory: inventory!, extraVars, playbooks }
}

/** --json, the ad-hoc one-liners, or the human reporter (loaded when chosen: a syntax check needs none). */
async function reporter({ args, adhoc }: CommandLine, io: Io, paint: Paint): Promise<(e: RunEvent) => void> {
  if (args.json) return (await import('../report/json.js')).jsonReporter(io.out)
  if (adhoc) return (await import('./adhoc-report.js')).adHocReporter(adHocModule(adhoc.module), io, paint)
  const { PrettyReporter } = await import('../report/pretty.js')
  const r = new PrettyReporter({ paint, write: io.out, verbosity: args.verbosity, timings: true, live: io.tty, profile: args.profile || args.verbosity > 0 })
  return (e) => r.handle(e)
}

/** The playbooks and the run options; throws RmError(s) for what is wrong, before any connection. */
export async function loadRun(cl: CommandLine, io: Io, paint: Paint): Promise<LoadedRun> {
  const { args } = cl
  await setUpVault(args, args.vaultPasswordFile ?? process.env.ANSIBLE_VAULT_PASSWORD_FILE ?? process.env.RM_PLAY_VAULT_PASSWORD_FILE)
  for (const n of idleFlagNotes(args)) io.err(`rm-play: note: ${n}\n`)
  const { inventory, extraVars, playbooks } = loadSources(cl, io)
  // A variable nothing can define: reported now, before any host is touched (trust 1).
  const undefinedNames = playbooks.flatMap((pb) => undefinedVariables(pb, inventory, extraVars))
  if (undefinedNames.length) throw new RmErrors(undefinedNames)
  const before = [...limitProblems(inventory, args.limit), ...varsFileProblems(playbooks)]
  if (before.length) throw new RmErrors(before)
  const becomePassword = args.askBecomePass ? secret(await readSecret('BECOME password: ')) : undefined
  const connection = await connectionOptions(args)
  const opts: RunOptions = {
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
    inventory,
    // a syntax check reports nothing through events (list-playbooks.ts prints it)
    emit: args.syntaxCheck ? () => {} : await reporter(cl, io, paint),
  }
  return { playbooks, opts }
}
