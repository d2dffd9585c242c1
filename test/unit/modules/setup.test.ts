// setup: the facts as Ansible's setup returns them, and its filter (fnmatch patterns).
import { expect } from 'chai'
import { fnmatch, setup, setupFacts } from '../../../src/modules/setup.js'
import { checkArgs } from '../../../src/modules/schema.js'

const FACTS = { hostname: 'web1', distribution: 'Debian', distribution_major_version: '12', os_family: 'Debian' }

describe('setup', () => {
  it('fnmatch as Python: *, ?, [seq], [!seq], everything else literal', () => {
    expect(fnmatch('ansible_distribution', 'ansible_dist*')).to.equal(true)
    expect(fnmatch('ansible_os_family', 'ansible_os_famil?')).to.equal(true)
    expect(fnmatch('ansible_os_family', 'ansible_[o]s*')).to.equal(true)
    expect(fnmatch('ansible_os_family', 'ansible_[!o]s*')).to.equal(false)
    expect(fnmatch('ansible_hostname', 'ansible.hostname')).to.equal(false)
  })

  it('returns every fact by its ansible_ name, or those a pattern names (with or without the prefix)', () => {
    expect(Object.keys(setupFacts(FACTS, []))).to.deep.equal([
      'ansible_hostname',
      'ansible_distribution',
      'ansible_distribution_major_version',
      'ansible_os_family',
    ])
    expect(setupFacts(FACTS, ['ansible_distribution*'])).to.deep.equal({ ansible_distribution: 'Debian', ansible_distribution_major_version: '12' })
    expect(setupFacts(FACTS, ['hostname', 'os_*'])).to.deep.equal({ ansible_hostname: 'web1', ansible_os_family: 'Debian' })
    expect(setupFacts(FACTS, ['*'])).to.have.all.keys('ansible_hostname', 'ansible_distribution', 'ansible_distribution_major_version', 'ansible_os_family')
  })

  it('never changes anything and runs in check mode', () => {
    const a = checkArgs(setup.args, { filter: 'ansible_hostname', gather_subset: '!all' }, false)
    expect(a.problems).to.deep.equal([])
    expect(setup.plan(a.args as never, { facts: FACTS }, { host: 'h', facts: {}, diff: false })).to.deep.equal([])
    expect(setup.readOnly).to.equal(true)
    expect(setup.result!(a.args as never, { facts: FACTS }, [], { host: 'h', facts: {}, diff: false, check: false })).to.deep.equal({
      ansible_facts: { ansible_hostname: 'web1' },
    })
  })
})
