// The real ansible-playbook (ansible-core 2.14, a Debian package) as the judge in conformance
// tests: the same playbook on another lab host, and per task whether it changed (or failed).
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface AnsibleTaskResult {
  task: string
  changed: boolean
  failed: boolean
  skipped: boolean
  msg?: string
}

export interface AnsibleOutcome {
  code: number
  tasks: AnsibleTaskResult[]
  stderr: string
  /** Titles of the tasks that changed, in order (as PlayOutcome.changedTasks()). */
  changedTasks(): string[]
}

interface JsonCallback {
  plays?: { tasks: { task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean; skipped?: boolean; msg?: string }> }[] }[]
}

/** Runs `yaml` with ansible-playbook on one host of an inventory; JSON results per task. */
export async function ansiblePlay(yaml: string, o: { inventory: string; limit: string; check?: boolean }): Promise<AnsibleOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-ansible-'))
  try {
    const file = join(dir, 'play.yml')
    writeFileSync(file, yaml)
    const args = ['-i', o.inventory, '--limit', o.limit, ...(o.check ? ['--check'] : []), file]
    const env = { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(dir, 'tmp') }
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('ansible-playbook', args, { env, maxBuffer: 1 << 26, timeout: 600_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
      })
    })
    let parsed: JsonCallback
    try {
      parsed = JSON.parse(stdout) as JsonCallback
    } catch {
      throw new Error(`ansible-playbook exited ${code} without JSON: ${stderr || stdout}`)
    }
    const tasks = (parsed.plays ?? []).flatMap((p) =>
      p.tasks.flatMap((t) => {
        const r = t.hosts[o.limit]
        return r ? [{ task: t.task.name, changed: !!r.changed, failed: !!r.failed, skipped: !!r.skipped, msg: r.msg }] : []
      }),
    )
    return { code, tasks, stderr, changedTasks: () => tasks.filter((t) => t.changed).map((t) => t.task) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
