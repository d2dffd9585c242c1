// Runs a table of Jinja cases through the real ansible-playbook in ONE batched run (one debug task
// per case, json callback) so the conformance suite can compare rm-play's answers with Ansible's.
import { ansibleJson } from '../helpers/ansible.js'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One case: a template string as a task argument would hold it, or a `when:` condition. */
export interface JinjaCase {
  name: string
  /** a string value, e.g. `"{{ a // 2 }}"`, rendered the way `debug: msg:` renders it */
  template?: string
  /** a bare condition, as `when:` takes it */
  when?: string
  /** the text of a `.j2` file, rendered by the template module */
  file?: string
}

/** What Ansible answered: a value, a condition's truth, or an error. */
export type AnsibleAnswer = { value: unknown } | { error: string }

export { hasAnsible as ansibleAvailable } from '../helpers/ansible.js'

export function runThroughAnsible(cases: JinjaCase[], vars: Record<string, unknown>, env: Record<string, string> = {}): Map<string, AnsibleAnswer> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-jinja-'))
  try {
    const tasks = cases.map((c, i) => {
      if (c.when !== undefined) return { name: c.name, debug: { msg: 'taken' }, when: c.when, ignore_errors: true }
      if (c.file !== undefined) {
        writeFileSync(join(dir, `${i}.j2`), c.file)
        return { name: c.name, template: { src: join(dir, `${i}.j2`), dest: join(dir, `${i}.out`) }, ignore_errors: true }
      }
      return { name: c.name, debug: { msg: c.template }, ignore_errors: true }
    })
    const play = [{ hosts: 'localhost', gather_facts: false, connection: 'local', vars, tasks }]
    const path = join(dir, 'play.yml')
    writeFileSync(path, JSON.stringify(play, null, 1)) // JSON is YAML: no quoting surprises
    const { report } = ansibleJson(['-i', 'localhost,', path], {
      ...env,
      ANSIBLE_LOCALHOST_WARNING: 'false',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
      ANSIBLE_DEPRECATION_WARNINGS: 'false',
    })
    const answers = new Map<string, AnsibleAnswer>()
    for (const t of report.plays[0].tasks) {
      const c = cases.find((x) => x.name === t.task.name)!
      const r = t.hosts.localhost
      if (r.failed) answers.set(c.name, { error: String(r.msg) })
      else if (c.file !== undefined) answers.set(c.name, { value: readFileSync(join(dir, `${cases.indexOf(c)}.out`), 'utf8') })
      else if (c.when !== undefined) answers.set(c.name, { value: !r.skipped })
      else answers.set(c.name, { value: r.msg })
    }
    return answers
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
