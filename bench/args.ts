// The bench's command line. Unknown options are an error, so a typo never measures the wrong thing.
import { INIT_KINDS, type InitKind } from '../src/lab/index.js'
import { TOOLS, type Tool } from './tools.js'

export interface BenchArgs {
  lab: string
  hosts: number[]
  runs: number
  tools: Tool[]
  init?: InitKind
  /** Where results.json and RESULTS.md go (default bench/). */
  out?: string
  pyinfra?: string
  equivalence: boolean
  startup: boolean
}

export const USAGE = `npm run bench -- [options]
  --lab NAME           lab to use (default rmbench; brought up with as many hosts as needed)
  --hosts N[,N...]     host counts to measure at (default 3; e.g. 3,50,200)
  --runs R             rounds per tool and host count; the median is reported (default 3)
  --tools T[,T...]     ${TOOLS.join(',')} (default all; missing ones are skipped)
  --init systemd|sysv  what the lab's hosts run as pid 1 (a new lab only; sysv hosts are lighter)
  --out DIR            write results.json and RESULTS.md there (default bench/)
  --pyinfra PATH       the pyinfra command (default: on PATH, else shared/anchors/pyinfra/run)
  --no-equivalence     skip the check that every tool's deploy leaves the others nothing to do
  --no-startup         skip the start-up measures (--version, --syntax-check)`

function fail(msg: string): never {
  throw new Error(`${msg}\n${USAGE}`)
}

function count(s: string, what: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1) fail(`${what}: not a positive whole number: '${s}'`)
  return n
}

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { lab: 'rmbench', hosts: [3], runs: 3, tools: [...TOOLS], equivalence: true, startup: true }
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i]!
    const value = () => argv[++i] ?? fail(`${opt} needs a value`)
    if (opt === '--lab') a.lab = value()
    else if (opt === '--hosts')
      a.hosts = value()
        .split(',')
        .map((s) => count(s, '--hosts'))
    else if (opt === '--runs') a.runs = count(value(), '--runs')
    else if (opt === '--tools') {
      a.tools = value()
        .split(',')
        .map((t) => (TOOLS.includes(t as Tool) ? (t as Tool) : fail(`unknown tool '${t}'`)))
    } else if (opt === '--init') {
      const k = value()
      a.init = INIT_KINDS.includes(k as InitKind) ? (k as InitKind) : fail(`--init: one of ${INIT_KINDS.join(', ')}`)
    } else if (opt === '--out') a.out = value()
    else if (opt === '--pyinfra') a.pyinfra = value()
    else if (opt === '--no-equivalence') a.equivalence = false
    else if (opt === '--no-startup') a.startup = false
    else if (opt === '--help' || opt === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else fail(`unknown option '${opt}'`)
  }
  a.hosts.sort((x, y) => x - y)
  return a
}
