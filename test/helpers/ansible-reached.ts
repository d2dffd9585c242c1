// The real ansible-playbook as the judge: runs a playbook with Ansible's json callback and reduces
// what happened to what rm-play's events also say (the recap counts, and for each host the
// tasks and handlers it got a result for, in order), so a test can compare the two.
import { spawnSync } from 'node:child_process'
import type { HostStats, RunEvent } from '../../src/engine/events.js'

export interface Reached {
  stats: Record<string, HostStats>
  /** Per host, `name:status` of every task and handler result, in order. */
  seq: Record<string, string[]>
}

let available: boolean | undefined

export function hasAnsible(): boolean {
  available ??= spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0
  return available
}

interface JsonResult {
  changed?: boolean
  failed?: boolean
  unreachable?: boolean
  skipped?: boolean
}

interface JsonOutput {
  plays: { tasks: { task: { name: string }; hosts: Record<string, JsonResult> }[] }[]
  stats: Record<string, { ok: number; changed: number; unreachable: number; failures: number; skipped: number; rescued: number; ignored: number }>
}

function statusOf(r: JsonResult): string {
  return r.unreachable ? 'unreachable' : r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok'
}

/** Runs ansible-playbook; every task in the playbook should have a name (rm-play titles unnamed tasks differently). */
export function ansiblePlaybook(playbook: string, inventory: string, args: string[] = []): Reached & { exitCode: number } {
  const r = spawnSync('ansible-playbook', ['-i', inventory, playbook, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' },
  })
  let out: JsonOutput
  try {
    out = JSON.parse(r.stdout) as JsonOutput
  } catch {
    throw new Error(`ansible-playbook gave no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
  }
  const seq: Record<string, string[]> = {}
  for (const p of out.plays) for (const t of p.tasks) for (const [h, res] of Object.entries(t.hosts)) (seq[h] ??= []).push(`${t.task.name}:${statusOf(res)}`)
  const stats: Record<string, HostStats> = {}
  for (const [h, s] of Object.entries(out.stats)) stats[h] = { ok: s.ok, changed: s.changed, unreachable: s.unreachable, failed: s.failures, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored }
  return { exitCode: r.status ?? -1, stats, seq }
}

/** The same view of an rm-play run, from its events. */
export function reachedByEvents(events: RunEvent[]): Reached {
  const seq: Record<string, string[]> = {}
  let stats: Record<string, HostStats> = {}
  for (const e of events) {
    if (e.type === 'host-result' && e.task !== 'Gathering Facts') (seq[e.host] ??= []).push(`${e.task}:${e.status}`)
    if (e.type === 'recap') stats = e.stats
  }
  return { stats, seq }
}
