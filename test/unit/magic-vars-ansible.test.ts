// The play's magic variables on several local hosts, with ansible-playbook as the judge: which
// hosts ansible_play_hosts, ansible_play_batch and play_hosts name once a host has failed, per
// serial batch, and groups/group_names in Ansible's order.
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost, type Both } from '../helpers/ansible-local.js'

const INVENTORY = `[web]
w2 ansible_connection=local
w1 ansible_connection=local
[db]
d1 ansible_connection=local
w1
[all:vars]
ansible_python_interpreter=/usr/bin/python3
`

/** Per task, the results sorted: hosts answer in any order. */
const sorted = (seen: Record<string, string[]>) => Object.fromEntries(Object.entries(seen).map(([t, v]) => [t, [...v].sort()]))

/** A play of one debug task named `show` (with `extra` lines under it, such as tags). */
const showPlay = (hosts: string, msg: string, extra = '') =>
  `- hosts: ${hosts}\n  gather_facts: false\n  tasks:\n    - name: show\n      debug:\n        msg: "${msg}"\n${extra}`

/** Both tools gave the same results, and `task` ran on `count` hosts (a test that ran nothing proves nothing). */
function expectAgree(r: Both, task: string, count: number): void {
  expect(sorted(r.rm), r.rmRun.text).to.deep.equal(sorted(r.ans))
  expect(r.rm[task], r.rmRun.text).to.have.length(count)
}

describe('magic variables of a play, compared with ansible-playbook (local hosts)', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('a failed host leaves ansible_play_hosts, ansible_play_batch and play_hosts; ansible_play_hosts_all keeps it', async () => {
    const r = await bothOnLocalhost(
      `- hosts: db,web
  gather_facts: false
  serial: 2
  tasks:
    - name: fail d1
      fail: { msg: boom }
      when: inventory_hostname == 'd1'
    - name: rescued on w2
      block:
        - fail: { msg: rescued }
          when: inventory_hostname == 'w2'
      rescue:
        - debug: { msg: rescued }
    - name: show
      debug:
        msg: "{{ inventory_hostname }} hosts={{ ansible_play_hosts | join(',') }} all={{ ansible_play_hosts_all | join(',') }} batch={{ ansible_play_batch | join(',') }} ph={{ play_hosts | join(',') }} gn={{ group_names | join(',') }} web={{ groups['web'] | join(',') }} first={{ ansible_play_batch | first }}"
`,
      {},
      INVENTORY,
    )
    expectAgree(r, 'show', 2)
  })

  it('the run magic variables (tags, skip tags, limit, forks, verbosity) and the host ones in hostvars', async () => {
    const r = await bothOnLocalhost(
      showPlay(
        'all',
        `{{ inventory_hostname }} tags={{ ansible_run_tags }} skip={{ ansible_skip_tags }} limit={{ ansible_limit }} forks={{ ansible_forks }} v={{ ansible_verbosity }} hv={{ hostvars[inventory_hostname].inventory_hostname }} short={{ hostvars['w1'].inventory_hostname_short }} gn={{ hostvars['w1'].group_names }} keys={{ 'group_names' in hostvars['d1'] }}`,
        '      tags: [t]\n',
      ),
      {},
      INVENTORY,
      { limit: 'w*,d1', tags: ['t'], skipTags: ['other'], forks: 7 },
    )
    expectAgree(r, 'show', 3)
  })

  it('inventory_file and inventory_dir: the source where each host was first seen (an inventory directory of two files)', async () => {
    const r = await bothOnLocalhost(
      showPlay(
        'all',
        `{{ inventory_hostname }} file={{ inventory_file | basename }} dir={{ inventory_dir | basename }} hv={{ hostvars['b1'].inventory_file | basename }} sources={{ ansible_inventory_sources | map('basename') | list }}`,
      ),
      {},
      {
        'a.yml':
          'all:\n  vars: { ansible_connection: local, ansible_python_interpreter: /usr/bin/python3 }\n  children:\n    web:\n      hosts: { a1: {}, b1: {} }\n',
        b: '[db]\nb1\nb2\n[db:vars]\nansible_connection=local\n',
      },
    )
    expectAgree(r, 'show', 3)
  })

  it('the run magic variables are in hostvars[h] too, and the play ones are not', async () => {
    // Ansible's hostvars[h] also has ansible_playbook_python, ansible_config_file and
    // ansible_version, which rm-play does not define (README: an error when used, not a guess).
    const r = await bothOnLocalhost(
      showPlay(
        'w1',
        `{{ hostvars['w2'] | dict2items | map(attribute='key') | reject('in', ['ansible_playbook_python', 'ansible_config_file', 'ansible_version']) | sort }} {{ hostvars['w2'].groups.web }} {{ hostvars['w2'].playbook_dir == playbook_dir }} {{ hostvars['w2'].omit == omit }} {{ hostvars['w2'].ansible_check_mode }} {{ hostvars['w2'].ansible_facts }}`,
      ),
      {},
      INVENTORY,
      { forks: 3 },
    )
    expectAgree(r, 'show', 1)
  })

  it('role names: role_names, ansible_play_role_names, ansible_role_names, ansible_dependent_role_names, role_name, ansible_role_name', async () => {
    const inRole = (n: string) =>
      `- name: in ${n}\n  debug:\n    msg: "{{ role_name }} {{ ansible_role_name }} {{ role_path | basename }} prn={{ ansible_play_role_names }}"\n`
    const r = await bothOnLocalhost(
      `- hosts: w1
  gather_facts: false
  roles:
    - r1
    - r2
  tasks:
    - import_role: { name: r4 }
    - name: play names
      debug:
        msg: "rn={{ role_names }} prn={{ ansible_play_role_names }} arn={{ ansible_role_names | sort }} drn={{ ansible_dependent_role_names | sort }} defined={{ role_name is defined }}"
`,
      {
        'roles/r1/tasks/main.yml': inRole('r1'),
        'roles/r2/tasks/main.yml': inRole('r2'),
        'roles/r2/meta/main.yml': 'dependencies: [r3]\n',
        'roles/r3/tasks/main.yml': inRole('r3'),
        'roles/r4/tasks/main.yml': inRole('r4'),
      },
      INVENTORY,
    )
    expectAgree(r, 'play names', 1)
  })
})
