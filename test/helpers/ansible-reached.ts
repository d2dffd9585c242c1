// The real ansible-playbook as the judge: runs a playbook with Ansible's json callback and reduces
// what happened to what rm-play's events also say (the recap counts, and for each host the
// tasks and handlers it got a result for, in order), so a test can compare the two.
import type { HostStats, RunEvent } from '../../src/engine/events.js'
import { ansibleJson, type AnsibleJson, type AnsibleJsonResult } from './ansible.js'
export { hasAnsible } from './ansible.js'

export interface Reached {
  stats: Record<string, HostStats>
  /** Per host, `name:status` of every task and handler result, in order. */
  seq: Record<string, string[]>
}

function statusOf(r: AnsibleJsonResult): string {
  return r.unreachable ? 'unreachable' : r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok'
}

/** Runs ansible-playbook; every task in the playbook should have a name (rm-play titles unnamed tasks differently). */
export function ansiblePlaybook(playbook: string, inventory: string, args: string[] = []): Reached & { exitCode: number; report: AnsibleJson } {
  const { code, report: out } = ansibleJson(['-i', inventory, playbook, ...args], { ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' })
  const seq: Record<string, string[]> = {}
  for (const p of out.plays) for (const t of p.tasks) for (const [h, res] of Object.entries(t.hosts)) (seq[h] ??= []).push(`${t.task.name}:${statusOf(res)}`)
  const stats: Record<string, HostStats> = {}
  for (const [h, s] of Object.entries(out.stats))
    stats[h] = { ok: s.ok, changed: s.changed, unreachable: s.unreachable, failed: s.failures, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored }
  return { exitCode: code, stats, seq, report: out }
}

/** The same view of an rm-play run, from its events. */
export function reachedByEvents(events: RunEvent[]): Reached {
  const seq: Record<string, string[]> = {}
  let stats: Record<string, HostStats> = {}
  // A loop's items are one result in Ansible's report (changed if any item changed, failed if any
  // failed, skipped if every item was): rm-play emits one per item, folded here the same way.
  const items: Record<string, { taskIndex: number; handler: boolean; statuses: string[] }> = {}
  const fold = (st: string[]) =>
    st.includes('unreachable')
      ? 'unreachable'
      : st.includes('failed')
        ? 'failed'
        : st.every((x) => x === 'skipped')
          ? 'skipped'
          : st.includes('changed')
            ? 'changed'
            : 'ok'
  for (const e of events) {
    if (e.type === 'host-result' && e.task !== 'Gathering Facts') {
      const list = (seq[e.host] ??= [])
      const prev = items[e.host]
      if (e.item !== undefined && prev && prev.taskIndex === e.taskIndex && prev.handler === e.handler) {
        prev.statuses.push(e.status)
        list[list.length - 1] = `${e.task}:${fold(prev.statuses)}`
        continue
      }
      if (e.item !== undefined) items[e.host] = { taskIndex: e.taskIndex, handler: e.handler, statuses: [e.status] }
      else delete items[e.host]
      list.push(`${e.task}:${e.status}`)
    }
    if (e.type === 'recap') stats = e.stats
  }
  return { stats, seq }
}
