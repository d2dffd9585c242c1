// What answers without the playbook engine: the version, and the subcommands (each loads only its
// own code). Used by front.ts (the installed command) and main.ts (tests call main directly).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Io {
  out(s: string): void
  err(s: string): void
  tty: boolean
}

export const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), tty: !!process.stdout.isTTY }

export function version(): string {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json')
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** `rm-play lab|doc|vault|...`: each loads only its own code; undefined when argv is no subcommand. */
export async function subcommand(argv: string[], io: Io): Promise<number | undefined> {
  const rest = argv.slice(1)
  switch (argv[0]) {
    case 'lab':
      return (await import('./lab.js')).labCommand(rest)
    case 'doc':
      return (await import('./doc.js')).docCommand(rest, io)
    case 'vault':
      return (await import('./vault.js')).vaultCommand(rest, io)
    case 'config':
      return (await import('./config-cmd.js')).configCommand(rest, io)
    case 'inventory':
      return (await import('./inventory-cmd.js')).inventoryCommand(rest, io)
    case 'init':
      return (await import('./init.js')).initCommand(rest, io)
    case 'completion':
      return (await import('./completion.js')).completionCommand(rest, io)
  }
  return undefined
}
