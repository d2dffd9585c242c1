// The module conformance suite's judge: one playbook of test/conformance/modules/ runs under
// ansible-playbook and under rm-play, each on a fresh lab host of its own (first run, second run,
// and --check on two more fresh hosts, all four at once), and is reduced to what both tools say:
// per task its status and the registered values both return, and the host's end state as the
// group's state script prints it.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HostResultEvent } from '../../src/engine/events.js'
import { ansibleJsonAsync } from './ansible.js'
import { sh } from './host-shell.js'
import { resetHosts, type TestLab } from './lab.js'
import { playFile } from './run-playbook.js'

/** test/conformance/modules/ in the source tree (the tests run from dist/test/…). */
export const MODULE_CASES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'conformance', 'modules')

/** One task's result as both tools report it: `name: status` and the values compared. */
export interface TaskView {
  task: string
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable'
  values: Record<string, unknown>
}

/** What one tool did with a group's playbook. */
export interface ToolRuns {
  first: TaskView[]
  second: TaskView[]
  check: TaskView[]
  /** The state script's output after the second run, and after --check on a fresh host. */
  state: string
  checkState: string
  /** Exit codes of the three runs and the text a person would read (for failure messages). */
  codes: number[]
  text: string
}

/**
 * The values a registered result is compared on, where both tools return them (a key only one
 * side returns is not compared: rm-play returns fewer keys than Ansible, never other meanings).
 */
const VALUE_KEYS = [
  'cmd',
  'rc',
  'stdout',
  'stdout_lines',
  'stderr',
  'path',
  'dest',
  'state',
  'mode',
  'owner',
  'group',
  'uid',
  'gid',
  'size',
  'checksum',
  'name',
  'home',
  'shell',
  'system',
  'status',
  'content',
  'json',
  'ansible_facts',
  'stat',
  'elapsed_is_number',
  'after',
  'before',
  'remote_url_changed',
  'db',
  'user',
  'query_result',
  'rowcount',
  'statusmessage',
  'msg',
]
const STAT_KEYS = ['exists', 'isdir', 'isreg', 'islnk', 'mode', 'pw_name', 'gr_name', 'uid', 'gid', 'size', 'checksum', 'lnk_source', 'path']

/**
 * The compared values of a result. A failure's `msg` is not compared: rm-play words its errors
 * its own way (the README lists it); the status says that both failed.
 */
function pick(r: Record<string, unknown>, failed = false): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of VALUE_KEYS) if (r[k] !== undefined && !(failed && k === 'msg')) out[k] = r[k]
  // uri's HTTP status; service and systemd's `status` is a dump of unit properties on Ansible's side.
  if (typeof out.status !== 'number') delete out.status
  const st = r.stat as Record<string, unknown> | undefined
  if (st && typeof st === 'object') {
    const s: Record<string, unknown> = {}
    for (const k of STAT_KEYS) if (st[k] !== undefined) s[k] = st[k]
    out.stat = s
  }
  return out
}

function statusOf(r: { failed?: boolean; skipped?: boolean; changed?: boolean; unreachable?: boolean }): TaskView['status'] {
  return r.unreachable ? 'unreachable' : r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok'
}

/** Ansible's json report of one host, task by task (a loop is one task: its aggregate result). */
async function ansibleRun(playbook: string, lab: TestLab, host: string, check: boolean): Promise<{ code: number; tasks: TaskView[]; text: string }> {
  const args = ['-i', lab.inventory, '--limit', host, ...(check ? ['--check'] : []), playbook]
  const { code, report, stderr } = await ansibleJsonAsync(args, {
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    ANSIBLE_PIPELINING: 'True',
  })
  const tasks: TaskView[] = []
  for (const p of report.plays)
    for (const t of p.tasks) {
      const r = t.hosts[host] as Record<string, unknown> | undefined
      if (!r) continue
      // A loop's values are its items'; the aggregate carries only the flags.
      const items = r.results as Record<string, unknown>[] | undefined
      const values = items ? { results: items.map((i) => pick(i, !!i.failed)) } : pick(r, !!r.failed)
      tasks.push({ task: t.task.name, status: statusOf(r), values })
    }
  return { code, tasks, text: `${JSON.stringify(tasks, null, 1)}\n${stderr}` }
}

/** rm-play's events of one host, folded per task as Ansible reports them (a loop's items into one). */
async function rmPlayRun(playbook: string, lab: TestLab, host: string, check: boolean): Promise<{ code: number; tasks: TaskView[]; text: string }> {
  const r = await playFile(playbook, { inventory: [lab.inventory], limit: host, check })
  const byTask = new Map<string, HostResultEvent[]>()
  for (const e of r.results(undefined, host)) {
    // Ansible's json callback reports no result for meta tasks: the playbooks name them `meta …`.
    if (e.task === 'Gathering Facts' || e.task.startsWith('meta ')) continue
    byTask.set(e.task, [...(byTask.get(e.task) ?? []), e])
  }
  const tasks = [...byTask].map(([task, evs]): TaskView => {
    const status: TaskView['status'] = evs.some((e) => e.status === 'failed')
      ? 'failed'
      : evs.every((e) => e.status === 'skipped')
        ? 'skipped'
        : evs.some((e) => e.status === 'changed')
          ? 'changed'
          : 'ok'
    const value = (e: HostResultEvent) => pick({ ...(e.output ?? {}), ...(e.msg !== undefined ? { msg: e.msg } : {}) }, e.status === 'failed')
    return { task, status, values: evs[0]!.item !== undefined ? { results: evs.map(value) } : value(evs[0]!) }
  })
  return { code: r.exitCode, tasks, text: r.text }
}

async function stateOf(lab: TestLab, host: string, script: string): Promise<string> {
  // A subshell: an `exit` in the script must not end the connection's shell.
  return (await sh(lab.inventory, host, `(\n${script}\n)`, true)).stdout.replaceAll(host, 'HOST')
}

/** One tool's first, second and check runs on `run` and `checkHost` (both fresh). */
async function runTool(tool: typeof ansibleRun, playbook: string, state: string, lab: TestLab, runHost: string, checkHost: string): Promise<ToolRuns> {
  const [[first, second, endState], [check, checkState]] = await Promise.all([
    (async () => {
      const a = await tool(playbook, lab, runHost, false)
      const b = await tool(playbook, lab, runHost, false)
      return [a, b, await stateOf(lab, runHost, state)] as const
    })(),
    (async () => {
      const c = await tool(playbook, lab, checkHost, true)
      return [c, await stateOf(lab, checkHost, state)] as const
    })(),
  ])
  return {
    first: first.tasks,
    second: second.tasks,
    check: check.tasks,
    state: endState,
    checkState,
    codes: [first.code, second.code, check.code],
    text: [first.text, second.text, check.text].join('\n----\n'),
  }
}

/**
 * Runs `<group>.yml` with both tools on four fresh hosts of `lab` (Ansible's two, then rm-play's
 * two), all at once; `<group>.state.sh` prints the end state compared.
 */
export async function compareGroup(group: string, lab: TestLab, hosts: string[]): Promise<{ ansible: ToolRuns; rmPlay: ToolRuns }> {
  const playbook = join(MODULE_CASES, `${group}.yml`)
  const stateFile = join(MODULE_CASES, `${group}.state.sh`)
  if (!existsSync(playbook)) throw new Error(`no playbook ${playbook}`)
  const state = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : 'true'
  await resetHosts(lab, hosts)
  const [a1, a2, r1, r2] = hosts as [string, string, string, string]
  const [ansible, rmPlay] = await Promise.all([runTool(ansibleRun, playbook, state, lab, a1, a2), runTool(rmPlayRun, playbook, state, lab, r1, r2)])
  return { ansible, rmPlay }
}
