// include_tasks / import_tasks / include_role in their key=value forms, and handlers defined
// through include_tasks / import_tasks in a role's handlers/main.yml, notified by name, by
// `role : name` and by listen: the same playbook through ansible-playbook and rm-play on localhost.
import { expect } from 'chai'
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
