// bench/RESULTS.md from results.json, and the summary the README's Speed section quotes.
import type { Cost } from './measure.js'
import type { AtHosts, Results, ToolResult } from './results.js'
import { TOOLS, type Tool } from './tools.js'

const NAMES: Record<Tool, string> = {
  'rm-play': 'rm-play',
  'rm-play-direct': 'rm-play-direct (ControlPersist=no)',
  pyinfra: 'pyinfra 3',
  ansible: 'ansible-core',
  mitogen: 'ansible-core + Mitogen',
}

const s = (x: number) => (x >= 10 ? `${x.toFixed(1)} s` : `${x.toFixed(2)} s`)
const ms = (x: number) => (x >= 1 ? s(x) : `${(x * 1000).toFixed(x < 0.01 ? 2 : 1)} ms`)
const times = (x: number, base: number) => `${(x / base).toFixed(1)}×`

function sorted(r: Results): AtHosts[] {
  return Object.values(r.byHosts).sort((a, b) => a.hosts - b.hosts)
}

/** The converge, no-change and check cells of a tool's row, with the factor against rm-play. */
function wallCells(t: Tool, x: ToolResult, base: ToolResult | undefined): string {
  const f = (k: 'converge' | 'noop' | 'check') => `${s(x[k].wall)}${base && t !== 'rm-play' ? ` (${times(x[k].wall, base[k].wall)})` : ''}`
  return `| ${NAMES[t]} | ${f('converge')} | ${f('noop')} | ${f('check')} |`
}

function wallRow(t: Tool, x: ToolResult, base: ToolResult | undefined): string {
  return `${wallCells(t, x, base)} ${x.date}, median of ${x.runs} |`
}

function costRow(t: Tool, x: ToolResult, hostTasks: number): string {
  const n: Cost & { hostsCpu: number } = x.noop
  const share = n.cpu + n.hostsCpu > 0 ? `${Math.round((100 * n.cpu) / (n.cpu + n.hostsCpu))} %` : '-'
  const bgCpu = n.backgroundCpu ? ` (${s(n.backgroundCpu)} of it in the background)` : ''
  const bgRss = n.backgroundRssMb ? ` (background: ${Math.round(n.backgroundRssMb)} MB)` : ''
  return `| ${NAMES[t]} | ${s(n.wall)} | ${s(n.cpu)}${bgCpu} | ${ms(n.cpu / hostTasks)} | ${Math.round(n.maxRssMb)} MB${bgRss} | ${s(n.hostsCpu)} | ${share} |`
}

function section(at: AtHosts, tasksPerHost: number): string[] {
  const base = at.tools['rm-play']
  const present = TOOLS.filter((t) => at.tools[t])
  const hostTasks = at.hosts * tasksPerHost
  return [
    `## ${at.hosts} host${at.hosts === 1 ? '' : 's'} (${at.init} hosts)`,
    '',
    '| tool | first run (converge) | second run (no changes) | --check run | measured |',
    '|---|---|---|---|---|',
    ...present.map((t) => wallRow(t, at.tools[t]!, base)),
    '',
    `The second run, where the cost lies (${at.hosts} × ${tasksPerHost} = ${hostTasks} host-tasks): the controller's CPU time (user + system of the tool's process and its children, and of the background processes that keep its SSH connections: rm-play's keeper, Ansible's ssh masters), the same per host-task, its peak memory (RSS of the tool's largest process; the largest background one's beside it), and the CPU time the hosts used meanwhile (sshd, shells and the commands the tool started there). The controller's share is its CPU time over both.`,
    '',
    "| tool | wall | controller CPU | per host-task | peak RSS | hosts' CPU | controller share |",
    '|---|---|---|---|---|---|---|',
    ...present.map((t) => costRow(t, at.tools[t]!, hostTasks)),
    '',
  ]
}

interface Goal {
  what: string
  target: string
  value?: string
  met?: boolean
}

function goals(r: Results): Goal[] {
  const all = sorted(r)
  const small = all.find((a) => a.hosts === 3)?.tools
  const large = all.at(-1)
  const rm = large?.tools['rm-play']
  const st = r.startup
  const hostTasks = large ? large.hosts * (r.tasksPerHost ?? 1) : 1
  const g = (what: string, target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string): Goal =>
    value === undefined ? { what, target } : { what, target, value: show(value), met: ok(value) }
  const ratio = (t: Tool) => (small?.[t] && small['rm-play'] ? small[t]!.noop.wall / small['rm-play'].noop.wall : undefined)
  return [
    g('no-change run, 3 hosts', '≤ 0.3 s', small?.['rm-play']?.noop.wall, (v) => v <= 0.3, s),
    g(
      '… against ansible-core',
      '≥ 40×',
      ratio('ansible'),
      (v) => v >= 40,
      (v) => `${v.toFixed(1)}×`,
    ),
    g(
      '… against pyinfra 3',
      '≥ 10×',
      ratio('pyinfra'),
      (v) => v >= 10,
      (v) => `${v.toFixed(1)}×`,
    ),
    g(`controller CPU per host-task, ${large?.hosts ?? '?'} hosts`, '≤ 0.5 ms at 200 hosts', rm && rm.noop.cpu / hostTasks, (v) => v <= 0.0005, ms),
    g(
      `controller peak RSS, ${large?.hosts ?? '?'} hosts`,
      '≤ 300 MB at 200 hosts',
      rm?.noop.maxRssMb,
      (v) => v <= 300,
      (v) => `${Math.round(v)} MB`,
    ),
    g(
      '`rm-play --version` against `node -e 0`',
      '≤ 2.5×',
      st && st.version / st.nodeBare,
      (v) => v <= 2.5,
      (v) => `${v.toFixed(1)}×`,
    ),
    g('`--syntax-check` of playbooks/site.yml', '≤ 0.25 s', st?.syntaxCheck, (v) => v <= 0.25, s),
  ]
}

export function renderResults(r: Results): string {
  const m = r.machine
  const st = r.startup
  const eq = r.equivalence
  return [
    '# Benchmark results',
    '',
    '<!-- written by `npm run bench`; edit bench/report.ts, not this file -->',
    '',
    m
      ? `Machine: ${m.cores} CPU cores (${m.cpuModel}), ${m.memoryGb.toFixed(0)} GB memory, load average ${m.load.toFixed(1)} when the last run started; node ${m.node}; ${TOOLS.filter(
          (t) => m.versions[t],
        )
          .map((t) => m.versions[t])
          .join(', ')}.`
      : '',
    '',
    "Method: `npm run bench -- --hosts 3,50,200 --runs R` (bench/README.md). The lab hosts are network namespaces on this same machine, each with a real sshd, so the hosts share the controller's cores: every process a task starts on a host competes with the tool itself. Real hosts with their own CPUs make every tool faster. The playbook is bench/playbook.yml (30 tasks of the kinds a role has, plus facts); pyinfra runs bench/pyinfra/deploy.py, the same deploy in its own idiom. 50 forks (pyinfra: --parallel 50) for every tool; host keys are checked. Each round starts from fresh hosts (`bench/prepare.yml`, not timed, gives them apt lists and python3-apt), then times a first run (converge), a second run (nothing to change: the everyday case) and a --check run (pyinfra: --dry). The factor in brackets is how many times longer than rm-play a tool took.",
    '',
    "Kept connections: rm-play and Ansible both keep each host's SSH connection for 60 s after a run by default (ControlPersist=60s): rm-play in its connection keeper, a background process, Ansible in OpenSSH ControlMaster processes (`ssh: ~/.ansible/cp/… [mux]`). A run within that time opens a channel on the kept connection instead of logging in again. Each round's first run starts cold: before it the bench stops this checkout's keeper and the ssh masters to the lab's hosts (preparing the hosts left some). The second run and the check run then reuse what the first kept, as a user's next run would, with each tool's defaults. The background processes are not children the tool waits for, so the bench reads their CPU time from /proc/PID/stat before and after each timed run (one that started during the run counts whole) and adds it to the controller CPU. rm-play-direct is rm-play with `-o ControlPersist=no` in its ssh args: no keeper, every run logs in to each host; its factor is against rm-play (with the keeper), and the goals below use rm-play.",
    '',
    eq
      ? `Equivalence, checked ${eq.date} on ${eq.hosts} fresh hosts: ${eq.checks.map((c) => `${c.then} after ${c.first}: ${c.changes} changes`).join('; ')}. Every timed second run also reported no change.`
      : 'Equivalence: not checked in the runs recorded here.',
    '',
    '## Goals (issue 10)',
    '',
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...goals(r).map((x) => `| ${x.what} | ${x.target} | ${x.value ?? 'not measured'} | ${x.met === undefined ? '' : x.met ? 'yes' : 'no'} |`),
    '',
    '## Start-up',
    '',
    st
      ? [
          '| command | wall (median) |',
          '|---|---|',
          `| \`node -e 0\` (10 runs) | ${ms(st.nodeBare)} |`,
          `| \`rm-play --version\` (10 runs) | ${ms(st.version)} (${times(st.version, st.nodeBare)} node) |`,
          `| \`rm-play playbooks/site.yml --syntax-check\` (5 runs) | ${ms(st.syntaxCheck)} |`,
          '',
          `Measured ${st.date}.`,
        ].join('\n')
      : 'Not measured.',
    '',
    ...sorted(r).flatMap((at) => section(at, r.tasksPerHost ?? 1)),
  ].join('\n')
}

/** The README's Speed figures: the smallest host count's table, the largest one's controller cost, start-up. */
export function renderSummary(r: Results): string {
  const all = sorted(r)
  const first = all[0]
  const last = all.at(-1)
  const m = r.machine
  const rm = last?.tools['rm-play']
  const st = r.startup
  const lines: string[] = []
  if (first && m) {
    const base = first.tools['rm-play']
    lines.push(
      `Measured ${Object.values(first.tools)[0]?.date ?? ''} on ${m.cores} cores and ${m.memoryGb.toFixed(0)} GB (load average ${m.load.toFixed(1)} at the start), ${first.hosts} lab hosts, median of ${Object.values(first.tools)[0]?.runs ?? '?'} rounds; the factor is how many times longer than rm-play:`,
      '',
      '| tool | first run (converge) | second run (no changes) | `--check` run |',
      '|---|---|---|---|',
      ...TOOLS.filter((t) => first.tools[t]).map((t) => wallCells(t, first.tools[t]!, base)),
      '',
    )
    // the same cores can be much slower from one hour to the next (a VM host's load): the bare
    // node start says how fast this machine was
    if (st) lines.push(`A bare \`node -e 0\` took ${ms(st.nodeBare)} on that machine then: compare numbers measured at a like baseline.`, '')
  }
  if (last && rm) {
    const hostTasks = last.hosts * (r.tasksPerHost ?? 1)
    lines.push(
      `At ${last.hosts} hosts the second run takes ${s(rm.noop.wall)}; rm-play uses ${s(rm.noop.cpu)} of CPU${rm.noop.backgroundCpu ? ` (${s(rm.noop.backgroundCpu)} of it in its connection keeper)` : ''} (${ms(rm.noop.cpu / hostTasks)} per host-task) and ${Math.round(rm.noop.maxRssMb)} MB${rm.noop.backgroundRssMb ? ` (the keeper ${Math.round(rm.noop.backgroundRssMb)} MB)` : ''}, the hosts ${s(rm.noop.hostsCpu)}.`,
    )
  }
  if (st)
    lines.push(
      `\`rm-play --version\` takes ${ms(st.version)} (${times(st.version, st.nodeBare)} a bare \`node -e 0\`); a \`--syntax-check\` of playbooks/site.yml ${ms(st.syntaxCheck)}.`,
    )
  return lines.join('\n')
}

const START = '<!-- bench:start (npm run bench writes this part) -->'
const END = '<!-- bench:end -->'

/** The README with the part between the bench markers replaced; unchanged when it has no markers. */
export function withSummary(readme: string, summary: string): string {
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a < 0 || b < a) return readme
  return `${readme.slice(0, a + START.length)}\n${summary}\n${readme.slice(b)}`
}
