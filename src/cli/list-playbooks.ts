// --list-hosts, --list-tasks, --list-tags and --syntax-check: what would run, and nothing runs.
// Apart from run-playbooks.ts so that a syntax check loads neither the engine nor the listing.
import type { RunOptions } from '../engine/options.js'
import { formatError } from '../playbook/errors.js'
import type { Playbook } from '../playbook/model.js'
import type { CliArgs } from './args.js'
import type { Io } from './command-line.js'

export function wantsListing(args: CliArgs): boolean {
  return args.listHosts || args.listTasks || args.listTags || args.syntaxCheck
}

export async function listPlaybooks(playbooks: Playbook[], opts: RunOptions, args: CliArgs, io: Io): Promise<number> {
  const listing = args.syntaxCheck ? undefined : (await import('./listing.js')).listing
  for (const pb of playbooks) {
    for (const w of pb.warnings ?? []) io.err(`[WARNING]: ${formatError(w)}\n  (reached only through a conditional include: an error on a host that runs it)\n`)
    if (!listing) io.out(`\nplaybook: ${pb.file}\n`)
    else io.out(listing(pb, opts, { hosts: args.listHosts, tasks: args.listTasks, tags: args.listTags }, opts.inventory) + '\n')
  }
  return 0
}
