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
  'ansible_processor_count',
  'ansible_processor_cores',
  'ansible_processor_threads_per_core',
  'ansible_processor_nproc',
  'ansible_user_id',
  'ansible_fips',
  'ansible_fqdn',
  'ansible_domain',
]

/** Keys of ansible_date_time whose value cannot move between the two runs (a minute apart at most). */
const STABLE_TIME = ['tz', 'tz_dst', 'tz_offset']

const PLAYBOOK = `- hosts: all
  gather_facts: true
  tasks:
    - name: facts
      debug:
        msg: "{{ {${FACTS.map((f) => `'${f}': ${f}`).join(', ')}} | to_json }}"
    - name: date_time
      debug:
        msg: "{{ ansible_date_time | to_json }}"
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

    // ansible_date_time: every key, each value in Ansible's format, the zone's names alike
    const theirTime = JSON.parse(theirs.tasks.find((t) => t.task === 'date_time')!.msg!) as Record<string, string>
    const ourTime = JSON.parse(String(ours.results('date_time', host)[0]!.msg)) as Record<string, string>
    expect(Object.keys(ourTime).sort()).to.deep.equal(Object.keys(theirTime).sort())
    const shape = (v: string) => v.replace(/[0-9]/g, '9').replace(/^[A-Z][a-z]+day$/, 'Weekday')
    for (const k of Object.keys(theirTime)) expect(shape(ourTime[k]!), k).to.equal(shape(theirTime[k]!))
    for (const k of STABLE_TIME) expect(ourTime[k], k).to.equal(theirTime[k])
    expect(Math.abs(Number(ourTime.epoch) - Number(theirTime.epoch))).to.be.below(600)
    expect(ourTime.iso8601!.slice(0, 10)).to.equal(new Date(Number(ourTime.epoch) * 1000).toISOString().slice(0, 10))
  })
})
