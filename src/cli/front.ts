// The installed command's first stop: `--version`, `--help` and the subcommands answer without
// loading the playbook engine, its modules or the SSH stack; a run loads main.ts. (Startup
// numbers: README, "Startup".)
import { helpText } from './args.js'
import { stdio, subcommand, version, type Io } from './subcommands.js'

export async function front(argv: string[], io: Io = stdio): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    io.out(`rm-play ${version()}\n`)
    return 0
  }
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    io.out(helpText(version()) + '\n')
    return 0
  }
  const sub = await subcommand(argv, io)
  if (sub !== undefined) return sub
  return (await import('./main.js')).main(argv, io)
}
