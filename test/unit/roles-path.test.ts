// Where roles are found: a Galaxy-installed role by its full name, never by the part after the dot.
import { expect } from 'chai'
import { loadProject, project } from '../helpers/load-playbook.js'
import type { Node } from '../../src/playbook/model.js'

const titles = (nodes: Node[]): string[] =>
  nodes.flatMap((n) =>
    n.kind === 'task' ? [`${n.role?.name} : ${n.title}`] : n.kind === 'block' ? titles([...n.block, ...n.rescue, ...n.always]) : titles(n.nodes ?? []),
  )

describe('role search', function () {
  it('finds `geerlingguy.redis` in roles/geerlingguy.redis, not the project role roles/redis', function () {
    const { playbook, errors } = loadProject({
      'site.yml': '- hosts: all\n  roles: [geerlingguy.redis]\n',
      'roles/redis/tasks/main.yml': '- name: ours\n  ping:\n',
      'roles/geerlingguy.redis/tasks/main.yml': '- name: galaxy\n  ping:\n',
    })
    expect(errors).to.deep.equal([])
    // Ansible titles the task as "geerlingguy.redis : galaxy" (ansible-playbook --list-tasks).
    expect(titles(playbook!.plays[0]!.tasks)).to.deep.equal(['geerlingguy.redis : galaxy'])
  })

  it('a Galaxy name that is not installed is not found, even when a role of the short name is', function () {
    const { errors } = loadProject({
      'site.yml': '- hosts: all\n  roles: [geerlingguy.redis]\n',
      'roles/redis/tasks/main.yml': '- name: ours\n  ping:\n',
    })
    expect(errors.map((e) => e.message)).to.deep.equal(["role 'geerlingguy.redis' not found"])
  })

  it('finds a role in ANSIBLE_ROLES_PATH, after the playbook roles/', function () {
    const lib = project({ 'geerlingguy.nginx/tasks/main.yml': '- name: from the library\n  ping:\n' })
    const saved = process.env.ANSIBLE_ROLES_PATH
    process.env.ANSIBLE_ROLES_PATH = lib
    try {
      const { playbook, errors } = loadProject({ 'site.yml': '- hosts: all\n  roles: [geerlingguy.nginx]\n' })
      expect(errors).to.deep.equal([])
      expect(titles(playbook!.plays[0]!.tasks)).to.deep.equal(['geerlingguy.nginx : from the library'])
    } finally {
      if (saved === undefined) delete process.env.ANSIBLE_ROLES_PATH
      else process.env.ANSIBLE_ROLES_PATH = saved
    }
  })
})
