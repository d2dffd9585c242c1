// The real ansible-playbook (ansible-core 2.14, a Debian package) as the judge in conformance
// tests: the same playbook on another lab host, and per task whether it changed (or failed).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

/** One task's result for one host, as the json callback reports it. */
export interface AnsibleJsonResult {
  changed?: boolean
  failed?: boolean
  unreachable?: boolean
  skipped?: boolean
  msg?: unknown
}

/** The json callback's report of a run. */
export interface AnsibleJson {
  plays: { tasks: { task: { name: string }; hosts: Record<string, AnsibleJsonResult> }[] }[]
  stats: Record<string, { ok: number; changed: number; unreachable: number; failures: number; skipped: number; rescued: number; ignored: number }>
}

let available: boolean | undefined

/**
 * Whether ansible-core is installed. A developer without it skips the comparisons; CI never does
 * (.ci/run installs it), so a missing Ansible there is an error, not a quiet skip.
 */
export function hasAnsible(): boolean {
  available ??= spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0
  if (!available && process.env.CI) throw new Error('ansible-core is not installed: in CI the conformance tests must compare with it (.ci/run installs it)')
  return available
}

/** The Python that runs ansible-core (its ansible-playbook's #! line), to call Ansible's own code. */
export function ansiblePython(): string {
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).stdout.trim()
  const first = readFileSync(which, 'utf8').split('\n', 1)[0] ?? ''
  const m = /^#!\s*(\S+)/.exec(first)
  if (!m) throw new Error(`cannot tell which Python runs ${which} (its first line: ${first})`)
  return m[1]!
}

/**
 * Runs ansible-playbook with `args` and the json callback; its exit code and parsed report (a
 * run that prints no report throws, with what Ansible said).
 */
export function ansibleJson(args: string[], env: Record<string, string> = {}): { code: number; report: AnsibleJson; stderr: string } {
  const r = spawnSync('ansible-playbook', args, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000, env: ansibleEnv(env) })
  return parseReport(r.status ?? -1, r.stdout, r.stderr)
}

/** As ansibleJson, without blocking the event loop: rm-play can run on another host meanwhile. */
export function ansibleJsonAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number; report: AnsibleJson; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('ansible-playbook', args, { env: ansibleEnv(env), timeout: 600_000 })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('error', reject)
    p.on('close', (code) => {
      try {
        resolve(parseReport(code ?? -1, stdout, stderr))
      } catch (e) {
        reject(e as Error)
      }
    })
  })
}

function ansibleEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'false', ...env, ANSIBLE_STDOUT_CALLBACK: 'json' }
}

function parseReport(code: number, stdout: string, stderr: string): { code: number; report: AnsibleJson; stderr: string } {
  const at = stdout.search(/^\{/m) // warnings may come first
  try {
    return { code, report: JSON.parse(stdout.slice(at)) as AnsibleJson, stderr }
  } catch {
    throw new Error(`ansible-playbook gave no JSON (exit ${code}):\n${stdout}\n${stderr}`)
  }
}

/** Runs `yaml` with ansible-playbook on one host of an inventory; JSON results per task. */
export async function ansiblePlay(yaml: string, o: { inventory: string; limit: string; check?: boolean }): Promise<AnsibleOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-ansible-'))
  try {
    const file = join(dir, 'play.yml')
    writeFileSync(file, yaml)
    const args = ['-i', o.inventory, '--limit', o.limit, ...(o.check ? ['--check'] : []), file]
    const { code, report, stderr } = ansibleJson(args, { ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_LOCAL_TEMP: join(dir, 'tmp') })
    const tasks = report.plays.flatMap((p) =>
      p.tasks.flatMap((t) => {
        const r = t.hosts[o.limit]
        return r
          ? [{ task: t.task.name, changed: !!r.changed, failed: !!r.failed, skipped: !!r.skipped, msg: r.msg === undefined ? undefined : String(r.msg) }]
          : []
      }),
    )
    return { code, tasks, stderr, changedTasks: () => tasks.filter((t) => t.changed).map((t) => t.task) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
