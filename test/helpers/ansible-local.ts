// The same playbook through rm-play and through ansible-playbook on the controller (connection
// local, no lab): per task, each result's status and debug message, so a test compares the two.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ansibleJson } from './ansible.js'
import { playFile, type PlayOutcome } from './run-playbook.js'

/** One task's results on localhost (Ansible's `role : ` prefix left out, as rm-play shows it): `status msg` per item (or once), in order. */
export type Seen = Record<string, string[]>

export interface Both {
  rm: Seen
  ans: Seen
  rmRun: PlayOutcome
  ansCode: number
  ansStderr: string
  dir: string
}

/**
 * Writes the playbook (and files beside it), runs it with both tools on localhost. `inventory`: the
 * text of one file `hosts`, or the files of an inventory directory `inventory/`.
 */
export async function bothOnLocalhost(
  yaml: string,
  files: Record<string, string> = {},
  inventory: string | Record<string, string> = 'localhost ansible_connection=local\n',
  /** Command-line flags both tools get. */
  flags: { limit?: string; tags?: string[]; skipTags?: string[]; forks?: number } = {},
): Promise<Both> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-both-'))
  const inventoryFiles =
    typeof inventory === 'string' ? { hosts: inventory } : Object.fromEntries(Object.entries(inventory).map(([f, t]) => [`inventory/${f}`, t]))
  const inventoryPath = join(dir, typeof inventory === 'string' ? 'hosts' : 'inventory')
  for (const [p, content] of Object.entries({ 'site.yml': yaml, ...inventoryFiles, ...files })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true })
    writeFileSync(join(dir, p), content)
  }
  const file = join(dir, 'site.yml')
  const rmRun = await playFile(file, { inventory: [inventoryPath], ...flags })
  const cli = [
    ...(flags.limit ? ['--limit', flags.limit] : []),
    ...(flags.tags ? ['--tags', flags.tags.join(',')] : []),
    ...(flags.skipTags ? ['--skip-tags', flags.skipTags.join(',')] : []),
    ...(flags.forks ? ['--forks', String(flags.forks)] : []),
  ]
  const rm: Seen = {}
  for (const e of rmRun.events)
    if (e.type === 'host-result' && e.task !== 'Gathering Facts')
      (rm[e.task] ??= []).push(`${e.status} ${e.status === 'ok' && e.msg !== undefined ? e.msg : ''}`.trim())
  const { code, report, stderr } = ansibleJson(['-i', inventoryPath, file, ...cli], {
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_DEPRECATION_WARNINGS: 'false',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  })
  const ans: Seen = {}
  for (const p of report.plays)
    for (const t of p.tasks)
      for (const r of Object.values(t.hosts) as (Record<string, unknown> & { results?: Record<string, unknown>[] })[]) {
        // an include's own line: rm-play shows only what it includes
        if (['include_tasks', 'include_role'].includes(String(r.action)) || /^include_(tasks|role)\b/.test(t.task.name)) continue
        const each = r.results ?? [r]
        for (const x of each.length ? each : [r])
          (ans[t.task.name.replace(/^[\w.-]+ : /, '')] ??= []).push(`${statusOf(x)} ${x.msg === undefined || statusOf(x) !== 'ok' ? '' : String(x.msg)}`.trim())
      }
  return { rm, ans, rmRun, ansCode: code, ansStderr: stderr, dir }
}

function statusOf(r: Record<string, unknown>): string {
  return r.unreachable ? 'unreachable' : r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok'
}
