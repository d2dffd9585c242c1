// The facts real roles read, as ansible-core's setup reports them on the same lab host. A role that
// branches on `ansible_distribution_version` must take the same branch under both tools.
import { expect } from 'chai'
import { ansiblePlay, hasAnsible } from '../helpers/ansible.js'
import { testLab, type TestLab } from '../helpers/lab.js'
import { play } from '../helpers/run-playbook.js'

const FACTS = [
  'ansible_distribution',
  'ansible_distribution_version',
  'ansible_distribution_major_version',
  'ansible_distribution_minor_version',
  'ansible_distribution_release',
  'ansible_os_family',
  'ansible_hostname',
  'ansible_system',
  'ansible_architecture',
  'ansible_pkg_mgr',
  'ansible_processor_vcpus',
  'ansible_user_id',
]

const PLAYBOOK = `- hosts: all
  gather_facts: true
  tasks:
    - name: facts
      debug:
        msg: "{{ {${FACTS.map((f) => `'${f}': ${f}`).join(', ')}} | to_json }}"
`

describe('facts: the same values as ansible-core setup', function () {
  this.timeout(300_000)
  let lab: TestLab
  before(async function () {
    if (!hasAnsible()) this.skip()
    lab = await testLab(1)
  })

  it(`gives ${FACTS.length} facts roles branch on as Ansible does (Debian 12: version "12", the point release as minor)`, async () => {
    const host = lab.names[0]!
    const theirs = await ansiblePlay(PLAYBOOK, { inventory: lab.inventory, limit: host })
    expect(theirs.code, theirs.stderr).to.equal(0)
    const ours = await play(PLAYBOOK, { inventory: [lab.inventory], limit: host })
    expect(ours.exitCode, ours.text).to.equal(0)
    const expected = JSON.parse(theirs.tasks.find((t) => t.task === 'facts')!.msg!) as Record<string, unknown>
    const got = JSON.parse(String(ours.results('facts', host)[0]!.msg)) as Record<string, unknown>
    expect(got).to.deep.equal(expected)
  })
})
