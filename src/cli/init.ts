// `rm-play init [DIR]`: a small project laid out as Ansible lays one out (ansible.cfg, inventory,
// group_vars, a role, a playbook) that runs against `rm-play lab` at once:
//   rm-play init demo && cd demo && rm-play lab up && rm-play site.yml
// Existing files are never overwritten.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const SCAFFOLD: Record<string, string> = {
  'ansible.cfg': `# rm-play and Ansible both read this file (rm-play config shows what it sets).
[defaults]
# written by 'rm-play lab up' (run in this directory); replace with your own hosts later
inventory = inventory/lab/hosts.yml
# vault_password_file = .vault_pass
`,
  'group_vars/all.yml': `# variables for every host; group_vars/GROUP.yml and host_vars/HOST.yml narrow them down
app_name: demo
app_dir: /srv/{{ app_name }}
greeting: "Hello from {{ app_name }}"
`,
  'site.yml': `# rm-play site.yml          (apply)
# rm-play site.yml -CD      (dry run with diffs: what would change)
- name: Set up the app
  hosts: all
  roles:
    - app
`,
  'roles/app/defaults/main.yml': `# the role's defaults: the lowest precedence, overridden by group_vars, host_vars and -e
app_owner: root
`,
  'roles/app/tasks/main.yml': `- name: App directory
  file:
    path: "{{ app_dir }}"
    state: directory
    owner: "{{ app_owner }}"
    mode: "0755"

- name: App page
  copy:
    content: |
      <!doctype html>
      <title>{{ app_name }}</title>
      <h1>{{ greeting }}</h1>
      <p>Served by {{ inventory_hostname }}, in the groups {{ group_names | join(', ') }}.</p>
    dest: "{{ app_dir }}/index.html"
    mode: "0644"
  notify: Report the new page

- name: Message of the day
  copy:
    content: "{{ greeting }} ({{ inventory_hostname }})\\n"
    dest: /etc/motd
    mode: "0644"
`,
  'roles/app/handlers/main.yml': `- name: Report the new page
  debug:
    msg: "{{ app_dir }}/index.html changed on {{ inventory_hostname }}"
`,
  '.gitignore': `inventory/lab/
.vault_pass
`,
}

export function initProject(dir: string): { created: string[]; kept: string[] } {
  const created: string[] = []
  const kept: string[] = []
  for (const [rel, text] of Object.entries(SCAFFOLD)) {
    const file = join(dir, rel)
    if (existsSync(file)) {
      kept.push(rel)
      continue
    }
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    created.push(rel)
  }
  return { created, kept }
}

export function initCommand(argv: string[], io: { out(s: string): void; err(s: string): void }): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out('usage: rm-play init [DIR]\n\nA project (ansible.cfg, group_vars, a role, site.yml) that runs against `rm-play lab`; existing files are kept.\n')
    return 0
  }
  const bad = argv.find((a) => a.startsWith('-'))
  if (bad || argv.length > 1) {
    io.err(`rm-play init: ${bad ? `unknown option ${bad}` : 'one directory at most'}\nusage: rm-play init [DIR]\n`)
    return 1
  }
  const dir = resolve(argv[0] ?? '.')
  const { created, kept } = initProject(dir)
  for (const f of created) io.out(`  created ${f}\n`)
  for (const f of kept) io.out(`  kept    ${f} (exists)\n`)
  const cd = argv[0] ? `cd ${argv[0]} && ` : ''
  io.out(`\nNext: ${cd}rm-play lab up && rm-play site.yml\n`)
  return 0
}
