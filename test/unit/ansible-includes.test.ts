// include_tasks / import_tasks / include_role in their key=value forms, and handlers defined
// through include_tasks / import_tasks in a role's handlers/main.yml, notified by name, by
// `role : name` and by listen: the same playbook through ansible-playbook and rm-play on localhost.
import { expect } from 'chai'
import { formatError, type RmErrors } from '../../src/playbook/errors.js'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost, type Both } from '../helpers/ansible-local.js'

const expectSame = (r: Both) => expect(r.rm, `rm-play:\n${r.rmRun.text}\nansible stderr:\n${r.ansStderr}`).to.deep.equal(r.ans)

describe('includes and handlers as real roles write them, Ansible as the judge', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('include_tasks: file=x, import_tasks: file=x, include_role: name=r tasks_from=y', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  tasks:
    - include_tasks: file=inc.yml
    - import_tasks: file=imp.yml
    - include_role: name=r tasks_from=other
    - include_role: name=r
`,
      {
        'inc.yml': '- name: from include\n  debug: {msg: included}\n',
        'imp.yml': '- name: from import\n  debug: {msg: imported}\n',
        'roles/r/tasks/main.yml': '- name: role main\n  debug: {msg: main}\n',
        'roles/r/tasks/other.yml': '- name: role other\n  debug: {msg: other}\n',
      },
    )
    expectSame(r)
    expect(r.rm['role other']).to.deep.equal(['ok other'])
    expect(r.rm['from include']).to.deep.equal(['ok included'])
  })

  it('handlers from import_tasks and include_tasks in handlers/main.yml, notified by name, role : name and listen', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  roles: [web]
`,
      {
        'roles/web/tasks/main.yml': `- name: change one
  command: "true"
  notify: imported handler
- name: change two
  command: "true"
  notify: 'web : by role name'
- name: change three
  command: "true"
  notify: a topic
- name: change four
  command: "true"
  notify: the include
`,
        'roles/web/handlers/main.yml': `- import_tasks: imported.yml
- name: the include
  include_tasks: included.yml
- name: not notified
  debug: {msg: never}
`,
        'roles/web/handlers/imported.yml': `- name: imported handler
  debug: {msg: imported ran}
- name: by role name
  debug: {msg: role name ran}
- name: listener
  debug: {msg: listener ran}
  listen: a topic
`,
        'roles/web/handlers/included.yml': `- name: included handler
  debug: {msg: included ran}
`,
      },
    )
    expect(r.rm['imported handler']).to.deep.equal(['ok imported ran'])
    expect(r.rm['by role name']).to.deep.equal(['ok role name ran'])
    expect(r.rm.listener).to.deep.equal(['ok listener ran'])
    expect(r.rm['included handler']).to.deep.equal(['ok included ran'])
    expectSame(r)
  })
})

describe('multi-OS task files: what rm-play lacks behind a conditional include is a warning, an error where it runs', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  const files = {
    'roles/os/tasks/main.yml': `- name: other OS setup
  include_tasks: setup-RedHat.yml
  when: family == 'RedHat'
- name: templated setup
  include_tasks: "setup-{{ family }}.yml"
- name: after setup
  debug: {msg: after}
`,
    'roles/os/tasks/setup-RedHat.yml': `- name: rpm only
  pacman: {name: redis}
- name: an argument apt lacks
  apt: {name: redis, enablerepo: epel}
`,
    'roles/os/tasks/setup-Debian.yml': '- name: debian setup\n  debug: {msg: debian}\n',
    'roles/os/tasks/setup-Arch.yml': '- name: arch only\n  pacman: {name: redis}\n',
  }

  it('a skipped include and the other files a templated name may render: warnings at load, the run as Ansible runs it', async () => {
    const r = await bothOnLocalhost(`- hosts: localhost\n  gather_facts: false\n  vars: {family: Debian}\n  roles: [os]\n`, files)
    expectSame(r)
    expect(r.rm['debian setup']).to.deep.equal(['ok debian'])
    const warnings = r.rmRun.events.flatMap((e) => (e.type === 'warning' ? [`${e.pos?.file.replace(/.*\/roles\//, '')}:${e.pos?.line} ${e.msg}`] : []))
    expect(warnings.join('\n')).to.match(/os\/tasks\/setup-RedHat\.yml:2 unknown module 'pacman'/)
    expect(warnings.join('\n')).to.match(/os\/tasks\/setup-RedHat\.yml:4 apt: unknown argument 'enablerepo'/)
    expect(warnings.join('\n')).to.match(/os\/tasks\/setup-Arch\.yml:2 unknown module 'pacman'/)
    expect(r.rmRun.exitCode).to.equal(0)
  })

  it('on a host that runs such an include, the include fails there (as in Ansible)', async () => {
    for (const family of ['RedHat', 'Arch']) {
      const r = await bothOnLocalhost(`- hosts: localhost\n  gather_facts: false\n  vars: {family: ${family}}\n  roles: [os]\n`, files)
      expect(r.ansCode, family).to.equal(2)
      expect(r.rmRun.exitCode, family).to.equal(2)
      const failed = (s: Record<string, string[]>) => Object.entries(s).flatMap(([t, v]) => (v.includes('failed') ? [t] : []))
      expect(failed(r.rm), family).to.deep.equal([family === 'RedHat' ? 'other OS setup' : 'templated setup'])
      expect(r.rm['after setup'], family).to.equal(undefined)
      expect(r.ans['after setup'], family).to.equal(undefined)
      const failure = r.rmRun.events.find((e) => e.type === 'host-result' && e.status === 'failed')
      expect(failure && 'msg' in failure ? failure.msg : '').to.match(/setup-(RedHat|Arch)\.yml:2:3: unknown module 'pacman'/)
    }
  })

  it('a statically reachable task with a module rm-play lacks stays a load error at file:line:col', async () => {
    const err = await bothOnLocalhost(`- hosts: localhost\n  gather_facts: false\n  tasks:\n    - import_tasks: arch.yml\n      when: false\n`, {
      'arch.yml': '- name: arch only\n  pacman: {name: redis}\n',
    }).catch((e: Error) => e)
    expect((err as RmErrors).errors.map(formatError).join('\n')).to.match(/arch\.yml:2:3: unknown module 'pacman'/)
  })
})
