// The installed command's first stop: `--version`, `--help` and the subcommands answer without
// loading the playbook engine, its modules or the SSH stack; a run loads main.ts, from the bundle
// when bin/rm-play.js passes it (`engine`). (Startup numbers: README, "Speed".)
import { helpText } from './args.js'
import { stdio, subcommand, version, type Io } from './subcommands.js'

/** What a run needs: main.ts, compiled alone (dist/src) or bundled (dist/bundle). */
export interface Engine {
  main(argv: string[], io: Io): Promise<number>
}

export async function front(argv: string[], io: Io = stdio, engine: () => Promise<Engine> = () => import('./main.js')): Promise<number> {
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
  return (await engine()).main(argv, io)
}
