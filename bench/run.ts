// The side-by-side benchmark (bench/README.md): the same playbook on the same lab hosts with
// rm-play, rm-play-direct (without its connection keeper), pyinfra 3, ansible-core and ansible-core
// + Mitogen. First, on fresh hosts, a check that the deploys are equivalent (each tool's run after
// another's changes nothing). Then per host count and tool, --runs rounds of: fresh hosts, a first
// run (converge) with no connection kept from before, a second run (nothing to change) and a --check
// run; wall time, the controller's CPU time (the background connection holders' included) and peak
// RSS of each, and the hosts' own CPU time during the second run. Writes results.json and
// RESULTS.md (to --out, default bench/).
// Needs root (the lab), ansible-core, and for pyinfra the Debian packages that bench/README.md names.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { $ } from 'zx'
import { bundleIsCurrent } from '../src/cli/bundle-stamp.js'
import { labReset, labUp, readState, STATE_ROOT } from '../src/lab/index.js'
import { parseArgs } from './args.js'
import { checkEquivalence, comparedTools } from './equivalence.js'
import { holderScope, holdersSince, holdersSnapshot, stopHolders, type HolderScope } from './holders.js'
import { hostsCpuSeconds } from './host-cpu.js'
import { measure, median, medianCost, type Cost } from './measure.js'
import { prepareHosts } from './prepare.js'
import { renderResults, renderSummary, withSummary } from './report.js'
import { loadResults, saveResults, type Machine, type ToolResult } from './results.js'
import { measureStartup } from './startup.js'
import { findMitogen, findPyinfra, missing, runners, type Target, type Tool, type ToolRunner } from './tools.js'

$.verbose = false

const bench = join(import.meta.dirname, '..', '..', 'bench')
const root = join(bench, '..')
const say = (msg: string) => console.log(msg)
const today = () => new Date().toISOString().slice(0, 10)
const firstLine = (s: string) => s.trim().split('\n')[0] ?? ''

function tasksPerHost(): number {
  const play = (parse(readFileSync(join(bench, 'playbook.yml'), 'utf8')) as { gather_facts?: boolean; tasks: unknown[] }[])[0]!
  return play.tasks.length + (play.gather_facts === false ? 0 : 1)
}

async function versions(tools: Tool[], pyinfra: string): Promise<Machine['versions']> {
  const v: Machine['versions'] = {}
  const out = async (argv: string[]) => firstLine((await $({ nothrow: true, quiet: true })`${argv}`).stdout)
  if (tools.includes('rm-play') || tools.includes('rm-play-direct')) v['rm-play'] = await out(['node', join(root, 'bin', 'rm-play.js'), '--version'])
  if (tools.includes('pyinfra')) v.pyinfra = await out([pyinfra, '--version'])
  if (tools.includes('ansible') || tools.includes('mitogen')) v.ansible = await out(['ansible', '--version'])
  if (tools.includes('mitogen'))
    v.mitogen = `mitogen ${await out(['/usr/bin/python3', '-c', 'import mitogen; print(".".join(map(str, mitogen.__version__)))'])}`
  return v
}

/**
 * One round on fresh hosts. The first run starts cold: the connections that preparing the hosts
 * left kept are closed first. The second and the check run may reuse what the first one kept.
 */
async function round(r: ToolRunner, t: Target, lab: string, holders: HolderScope): Promise<Omit<ToolResult, 'date' | 'runs'>> {
  const run = async (check: boolean) => {
    const { argv, env } = r.command(t, check)
    const before = holdersSnapshot(holders)
    const m = await measure(argv, env)
    const bg = holdersSince(holders, before)
    const cost: Cost = { wall: m.wall, cpu: m.cpu + bg.cpu, maxRssMb: m.maxRssMb, backgroundCpu: bg.cpu, backgroundRssMb: bg.peakRssMb }
    return { cost, changes: check ? 0 : r.changes(m.output) }
  }
  await stopHolders(holders)
  const converge = await run(false)
  const before = hostsCpuSeconds(lab, t.hosts)
  const noop = await run(false)
  const hostsCpu = hostsCpuSeconds(lab, t.hosts) - before
  if (noop.changes !== 0) throw new Error(`${r.tool}: the second run made ${noop.changes} changes; the benchmark deploy is not idempotent`)
  const check = await run(true)
  return { converge: converge.cost, noop: { ...noop.cost, hostsCpu }, check: check.cost }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  // rm-play is measured as installed: bin/rm-play.js with its bundle, not dist/src's slower start.
  if (!bundleIsCurrent(root)) throw new Error('dist/bundle is not the current build of dist/src: run `npm run build` (npm run bench does)')
  const out = args.out ? resolve(args.out) : bench
  mkdirSync(out, { recursive: true })
  const store = join(out, 'results.json')
  const results = loadResults(store)
  const pyinfra = await findPyinfra(root, args.pyinfra)
  const paths = { root, bench, pyinfra, mitogen: await findMitogen() }
  const tools: Tool[] = []
  for (const t of args.tools) {
    const why = await missing(t, paths)
    if (why) say(`skipping ${t}: ${why}`)
    else tools.push(t)
  }
  const load = loadavg()[0]!
  results.machine = {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGb: totalmem() / 2 ** 30,
    load,
    node: process.version,
    versions: await versions(tools, pyinfra),
  }
  results.tasksPerHost = tasksPerHost()
  if (load > cpus().length / 2) say(`note: load average ${load.toFixed(1)} on ${cpus().length} cores; these numbers measure a busy machine`)
  const save = () => {
    saveResults(store, results)
    writeFileSync(join(out, 'RESULTS.md'), renderResults(results))
    // The README quotes only results written to bench/ itself, never a trial run's (--out).
    if (out === bench) {
      const readme = join(root, 'README.md')
      writeFileSync(readme, withSummary(readFileSync(readme, 'utf8'), renderSummary(results)))
    }
  }

  if (args.startup) {
    results.startup = { ...(await measureStartup(root)), date: today() }
    say(
      `start-up: node -e 0 ${results.startup.nodeBare.toFixed(3)}s, --version ${results.startup.version.toFixed(3)}s, --syntax-check ${results.startup.syntaxCheck.toFixed(3)}s`,
    )
    save()
  }

  const inventory = join(STATE_ROOT, args.lab, 'hosts.yml')
  const lab = await labUp({ name: args.lab, hosts: args.hosts.at(-1)!, init: args.init, inventoryPath: inventory, say })
  const all = runners(paths)
  const prepare = join(bench, 'prepare.yml')
  const fresh = async (t: Target) => {
    await labReset(t.hosts, { name: args.lab })
    // the package check needs apt lists; fresh hosts have none (not part of the timing)
    await prepareHosts(['node', join(root, 'bin', 'rm-play.js'), prepare, '-i', inventory, '-l', t.hosts.join(',')], t.hosts.length)
  }

  const holders = holderScope(
    root,
    (readState(args.lab)?.hosts ?? []).map((h) => h.address),
  )

  if (args.equivalence && tools.includes('rm-play') && comparedTools('rm-play', tools).length === 0)
    say("equivalence: no other deploy than rm-play's among the tools; nothing to check")
  else if (args.equivalence && tools.includes('rm-play')) {
    const t: Target = { inventory, hosts: lab.hosts.slice(0, args.hosts[0]).map((h) => h.name) }
    const checks = await checkEquivalence(
      all['rm-play'],
      tools.map((x) => all[x]),
      t,
      () => fresh(t),
      say,
    )
    results.equivalence = { date: today(), hosts: t.hosts.length, checks }
    save()
  }

  for (const n of args.hosts) {
    const hosts = lab.hosts.slice(0, n)
    const t: Target = { inventory, hosts: hosts.map((h) => h.name) }
    const at = (results.byHosts[String(n)] ??= { hosts: n, init: hosts[0]!.init, tools: {} })
    at.init = hosts[0]!.init
    for (const tool of tools) {
      const rounds: Omit<ToolResult, 'date' | 'runs'>[] = []
      for (let i = 0; i < args.runs; i++) {
        await fresh(t)
        const x = await round(all[tool], t, args.lab, holders)
        rounds.push(x)
        say(
          `${n} hosts, ${tool} round ${i + 1}: converge ${x.converge.wall.toFixed(2)}s, no changes ${x.noop.wall.toFixed(2)}s (controller CPU ${x.noop.cpu.toFixed(2)}s with ${(x.noop.backgroundCpu ?? 0).toFixed(2)}s in the background, hosts ${x.noop.hostsCpu.toFixed(2)}s, RSS ${Math.round(x.noop.maxRssMb)} MB), check ${x.check.wall.toFixed(2)}s`,
        )
      }
      at.tools[tool] = {
        converge: medianCost(rounds.map((x) => x.converge)),
        noop: { ...medianCost(rounds.map((x) => x.noop)), hostsCpu: median(rounds.map((x) => x.noop.hostsCpu)) },
        check: medianCost(rounds.map((x) => x.check)),
        date: today(),
        runs: args.runs,
      }
      save()
    }
  }
  console.log(renderResults(results))
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exitCode = 1
})
