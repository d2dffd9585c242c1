// with_<lookup> loops as Ansible runs them (with_first_found, with_together, with_sequence,
// with_subelements, with_nested, with_fileglob ...): the same playbook through ansible-playbook
// and rm-play on localhost, every item's status and message compared.
import { expect } from 'chai'
import { formatError, RmErrors } from '../../src/playbook/errors.js'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost, type Both } from '../helpers/ansible-local.js'

const expectSame = (r: Both) => expect(r.rm, `rm-play:\n${r.rmRun.text}\nansible stderr:\n${r.ansStderr}`).to.deep.equal(r.ans)

describe('with_<lookup> loops, Ansible as the judge', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('with_together, with_nested, with_sequence, with_subelements (skip_missing), with_items and with_dict give the same items', async () => {
    const r = await bothOnLocalhost(`- hosts: localhost
  gather_facts: false
  vars:
    letters: [a, b]
    users:
      - {name: alice, keys: [k1, k2]}
      - {name: bob}
    ports: {http: 80, https: 443}
  tasks:
    - name: together
      debug: {msg: "{{ item | to_json }}"}
      with_together: [[1, 2, 3], "{{ letters }}"]
    - name: nested
      debug: {msg: "{{ item.0 }}-{{ item.1 }}"}
      with_nested: [[1, 2], "{{ letters }}"]
    - name: sequence
      debug: {msg: "{{ item }}"}
      with_sequence: start=2 end=8 stride=3 format=web%02d
    - name: sequence count
      debug: {msg: "{{ item }}"}
      with_sequence: count=2
    - name: subelements
      debug: {msg: "{{ item.0.name }} {{ item.1 }}"}
      with_subelements: ["{{ users }}", keys, {skip_missing: true}]
    - name: items
      debug: {msg: "{{ item | to_json }}"}
      with_items: [[1, 2], 3]
    - name: dict
      debug: {msg: "{{ item.key }}={{ item.value }}"}
      with_dict: "{{ ports }}"
    - name: registered
      debug: {msg: "{{ item | to_json }}"}
      with_together: [[x, y], [1]]
      register: reg
    - name: what register holds
      debug: {msg: "{{ reg.results | map(attribute='item') | list | to_json }}"}
`)
    expectSame(r)
    expect(r.rm.sequence).to.deep.equal(['ok web02', 'ok web05', 'ok web08'])
  })

  it('with_first_found looks in the role (vars/ for include_vars, files/ otherwise), then the playbook dir; files/paths/skip', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  roles: [r]
  tasks:
    - name: playbook files
      debug: {msg: "{{ item | basename }}"}
      with_first_found:
        - missing.txt
        - top.txt
    - name: files and paths
      debug: {msg: "{{ item | replace(playbook_dir, '') }}"}
      with_first_found:
        - files: [nope.txt, deep.txt]
          paths: [other, files/sub]
    - name: skip
      debug: {msg: "{{ item }}"}
      with_first_found:
        - files: [none.txt]
          skip: true
`,
      {
        'files/top.txt': 'top\n',
        'files/sub/deep.txt': 'deep\n',
        'roles/r/tasks/main.yml': `- name: role vars
  include_vars: "{{ item }}"
  with_first_found:
    - "{{ undefined_os }}.yml"
    - "Debian-{{ 12 }}.yml"
    - Debian.yml
- name: what the vars say
  debug: {msg: "{{ picked }}"}
- name: role file
  debug: {msg: "{{ lookup('file', item) }}"}
  with_first_found: [nope.cfg, role.cfg]
`,
        // include_vars files are the controller's: their templates render when read, as in Ansible
        'roles/r/vars/Debian.yml': 'family: debian\npicked: "{{ family }}-{{ 6 * 2 }}"\n',
        'roles/r/files/role.cfg': 'from the role\n',
      },
    )
    expectSame(r)
    expect(r.rm['what the vars say']).to.deep.equal(['ok debian-12'])
    expect(r.rm['role file']).to.deep.equal(['ok from the role'])
  })

  it('with_fileglob finds the files of the playbook files/ dir (sorted: Ansible gives directory order)', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  tasks:
    - name: glob
      debug: {msg: "{{ item | basename }}"}
      with_fileglob: ["*.conf"]
`,
      { 'files/b.conf': '', 'files/a.conf': '', 'files/c.txt': '' },
    )
    expect(r.rm.glob).to.deep.equal(['ok a.conf', 'ok b.conf'])
    expect([...r.ans.glob!].sort()).to.deep.equal(r.rm.glob)
  })

  it('an unknown with_<name> is a load error at its key', async () => {
    const r = await bothOnLocalhost(`- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: "{{ item }}"}
      with_nosuchlookup: [1]
`).catch((e: Error) => e)
    expect(r).to.be.instanceOf(Error)
    expect((r as RmErrors).errors.map(formatError).join('\n')).to.match(/site\.yml:5:7: unknown loop 'with_nosuchlookup'/)
  })
})
