// The play's magic variables on several local hosts, with ansible-playbook as the judge: which
// hosts ansible_play_hosts, ansible_play_batch and play_hosts name once a host has failed, per
// serial batch, and groups/group_names in Ansible's order.
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost } from '../helpers/ansible-local.js'

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
    expect(sorted(r.rm), r.rmRun.text).to.deep.equal(sorted(r.ans))
    expect(r.rm.show).to.have.length(2)
  })

  it('the run magic variables (tags, skip tags, limit, forks, verbosity) and the host ones in hostvars', async () => {
    const r = await bothOnLocalhost(
      `- hosts: all
  gather_facts: false
  tasks:
    - name: show
      debug:
        msg: "{{ inventory_hostname }} tags={{ ansible_run_tags }} skip={{ ansible_skip_tags }} limit={{ ansible_limit }} forks={{ ansible_forks }} v={{ ansible_verbosity }} hv={{ hostvars[inventory_hostname].inventory_hostname }} short={{ hostvars['w1'].inventory_hostname_short }} gn={{ hostvars['w1'].group_names }} keys={{ 'group_names' in hostvars['d1'] }}"
      tags: [t]
`,
      {},
      INVENTORY,
      { limit: 'w*,d1', tags: ['t'], skipTags: ['other'], forks: 7 },
    )
    expect(sorted(r.rm), r.rmRun.text).to.deep.equal(sorted(r.ans))
    expect(r.rm.show).to.have.length(3)
  })
})
