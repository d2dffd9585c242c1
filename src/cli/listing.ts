// --list-hosts, --list-tasks, --list-tags: what would run, without touching a host.
import { tagSelected } from '../engine/tags.js'
import type { Inventory } from '../playbook/inventory.js'
import type { Node, Playbook } from '../playbook/model.js'
import { playHosts } from '../engine/play.js'
import type { RunOptions } from '../engine/options.js'
import { isAdHocPlaybook } from './adhoc.js'

function tasksOf(nodes: readonly Node[]): { title: string; tags: string[]; role?: string }[] {
  return nodes.flatMap((n) => {
    if (n.kind === 'task') return [{ title: n.title, tags: n.tags, role: n.role?.name }]
    if (n.kind === 'block') return tasksOf([...n.block, ...n.rescue, ...n.always])
    return n.nodes ? tasksOf(n.nodes) : [{ title: n.title, tags: n.tags, role: n.role?.name }]
  })
}

export function listing(pb: Playbook, opts: RunOptions, what: { hosts: boolean; tasks: boolean; tags: boolean }, _inv: Inventory): string {
  if (isAdHocPlaybook(pb)) {
    // `ansible PATTERN --list-hosts`: the hosts only
    const hosts = pb.plays.flatMap((p) => playHosts(p, opts))
    return [`  hosts (${hosts.length}):`, ...hosts.map((h) => `    ${h}`)].join('\n')
  }
  const out: string[] = [`\nplaybook: ${pb.file}`]
  pb.plays.forEach((play, i) => {
    out.push(`\n  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`)
    if (what.hosts) {
      const hosts = playHosts(play, opts)
      out.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`))
    }
    const tasks = tasksOf([...play.preTasks, ...play.tasks, ...play.postTasks]).filter((t) => tagSelected(t.tags, opts.tags, opts.skipTags))
    if (what.tasks) {
      out.push('    tasks:')
      for (const t of tasks) out.push(`      ${t.role ? `${t.role} : ` : ''}${t.title}\tTAGS: [${t.tags.join(', ')}]`)
    }
    if (what.tags) {
      const tags = [...new Set(tasksOf([...play.preTasks, ...play.tasks, ...play.postTasks]).flatMap((t) => t.tags))].sort()
      out.push(`      TASK TAGS: [${tags.join(', ')}]`)
    }
  })
  return out.join('\n')
}
