// The side-by-side benchmark: the same playbook on the same lab hosts with rm-play, ansible-core
// and ansible-core + Mitogen. For each tool: fresh hosts, a first run (converge), a second run
// (nothing to change: the everyday case) and a --check run; the median of --runs rounds.
// Writes bench/RESULTS.md. Needs root (the lab) and `apt-get install ansible-core ansible-mitogen`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { $ } from 'zx'
import { labReset, labUp, STATE_ROOT } from '../src/lab/index.js'

$.verbose = false

const here = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench')
const root = join(here, '..')
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const HOSTS = arg('--hosts', 10)
const RUNS = arg('--runs', 3)
const tools = (process.argv.includes('--tools') ? process.argv[process.argv.indexOf('--tools') + 1]! : 'rm-play,ansible,mitogen').split(',')

type Tool = 'rm-play' | 'ansible' | 'mitogen'
interface Timing {
  converge: number
  noop: number
  check: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

async function timed(cmd: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await cmd()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

async function main(): Promise<void> {
  const inventory = join(STATE_ROOT, 'rmbench', 'hosts.yml')
  const lab = await labUp({ name: 'rmbench', hosts: HOSTS, inventoryPath: inventory })
  const names = lab.hosts.slice(0, HOSTS).map((h) => h.name)
  const limit = names.join(',')
  const playbook = join(here, 'playbook.yml')
  const mitogen = (await $`/usr/bin/python3 -c ${'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))'}`.nothrow()).stdout.trim()
  const ansibleEnv = { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_FORKS: '50', ANSIBLE_NOCOLOR: '1' }
  const run = async (tool: Tool, check: boolean) => {
    const extra = check ? ['--check'] : []
    if (tool === 'rm-play') await $`node ${join(root, 'bin', 'rm-play.js')} ${playbook} -i ${inventory} -l ${limit} ${extra}`
    else {
      const env = tool === 'mitogen' ? { ...ansibleEnv, ANSIBLE_STRATEGY_PLUGINS: join(mitogen, 'plugins', 'strategy'), ANSIBLE_STRATEGY: 'mitogen_linear' } : ansibleEnv
      await $({ env })`ansible-playbook ${playbook} -i ${inventory} -l ${limit} ${extra}`
    }
  }
  const results: Partial<Record<Tool, Timing>> = {}
  for (const tool of tools as Tool[]) {
    if (tool !== 'rm-play' && !(await $`which ansible-playbook`.nothrow()).stdout.trim()) {
      console.log(`skipping ${tool}: ansible-playbook not installed (apt-get install ansible-core ansible-mitogen)`)
      continue
    }
    if (tool === 'mitogen' && !mitogen) {
      console.log('skipping mitogen: ansible-mitogen not installed')
      continue
    }
    const rounds: Timing[] = []
    for (let r = 0; r < RUNS; r++) {
      await labReset(names, { name: 'rmbench' })
      // the package check needs apt lists; fresh hosts have none (not part of the timing)
      await $`node ${join(root, 'bin', 'rm-play.js')} ${join(here, 'prepare.yml')} -i ${inventory} -l ${limit}`
      try {
        const converge = await timed(() => run(tool, false))
        const noop = await timed(() => run(tool, false))
        const check = await timed(() => run(tool, true))
        rounds.push({ converge, noop, check })
        console.log(`${tool} round ${r + 1}: converge ${converge.toFixed(2)}s, no-op ${noop.toFixed(2)}s, check ${check.toFixed(2)}s`)
      } catch (e) {
        console.log(`${tool} failed: ${String((e as { stderr?: string; stdout?: string }).stdout ?? e).slice(-2000)}`)
        break
      }
    }
    if (rounds.length) results[tool] = { converge: median(rounds.map((x) => x.converge)), noop: median(rounds.map((x) => x.noop)), check: median(rounds.map((x) => x.check)) }
  }
  // Results accumulate in results.json, so one tool can be measured again without the others.
  const store = join(here, 'results.json')
  const saved = (existsSync(store) ? JSON.parse(readFileSync(store, 'utf8')) : {}) as Partial<Record<Tool, Timing & { date: string; hosts: number; runs: number }>>
  const date = new Date().toISOString().slice(0, 10)
  for (const [t, x] of Object.entries(results) as [Tool, Timing][]) saved[t] = { ...x, date, hosts: HOSTS, runs: RUNS }
  writeFileSync(store, JSON.stringify(saved, null, 2) + '\n')
  const base = saved['rm-play']
  const row = (t: Tool) => {
    const x = saved[t]
    if (!x) return `| ${t} | not run | | | |`
    const f = (k: keyof Timing) => `${x[k].toFixed(2)} s${base && t !== 'rm-play' ? ` (${(x[k] / base[k]).toFixed(1)}×)` : ''}`
    return `| ${t} | ${f('converge')} | ${f('noop')} | ${f('check')} | ${x.date}, ${x.hosts} hosts, median of ${x.runs} |`
  }
  const ansibleVersion = (await $`ansible --version`.nothrow()).stdout.split('\n')[0] ?? ''
  const md = [
    '# Benchmark results',
    '',
    `\`npm run bench -- --hosts N --runs R\`: ${cpus().length} CPU cores; lab hosts (network namespaces on this same machine, each with a real sshd); the playbook in bench/playbook.yml (30 tasks of the kinds a role has, plus fact gathering); forks 50 for every tool; host key checking on. Each round starts from fresh hosts (not timed: \`bench/prepare.yml\` gives them apt lists and python3-apt, which Ansible's apt module needs); a round times a first run (converge), a second run (nothing to change) and a --check run. ${ansibleVersion}.`,
    '',
    'The hosts share the controller\'s two cores, so the numbers include the hosts\' own work (every process a task starts on a host competes with the controller): real hosts with their own CPUs are faster for every tool.',
    '',
    '| tool | first run (converge) | second run (no changes) | --check run | measured |',
    '|---|---|---|---|---|',
    ...(['rm-play', 'ansible', 'mitogen'] as Tool[]).map(row),
    '',
    'The factor in brackets is how many times longer than rm-play took.',
    '',
  ].join('\n')
  writeFileSync(join(here, 'RESULTS.md'), md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
