// package on a Debian lab host, judged by ansible-playbook's package on a twin host: the same
// playbooks, the same changed/failed per task on the first run, the second run and --check, and
// the same dpkg status at the end. rm-play's --diff names each package before and after.
import { expect } from 'chai'
import { ansiblePlay, hasAnsible, type AnsibleOutcome } from '../../helpers/ansible.js'
import { sh } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'

const PACKAGES = ['tree', 'jq', 'libjq1', 'libonig5']

const pb = (tasks: string, gather = true) => `- hosts: all\n  gather_facts: ${gather}\n  tasks:\n${tasks}`

const INSTALL = pb(`    - name: install tree and jq
      package: { name: [tree, jq], state: present }
    - name: latest tree
      ansible.builtin.package: { name: tree, state: latest }
    - name: jq through apt, its own argument passed on
      package: { name: jq, state: present, use: apt, install_recommends: false }
`)

const REMOVE = pb(
  `    - name: remove tree
      package: { name: tree, state: absent }
`,
  false,
)

// The manager's name comes from a variable: a literal one rm-play lacks is a load-time error.
const WRONG = pb(`    - name: an argument apt does not take
      package: { name: tree, state: present, enablerepo: [crb] }
      ignore_errors: true
    - name: a package manager there is no module for here
      package: { name: tree, state: present, use: "{{ other_manager }}" }
      vars: { other_manager: zypper }
      ignore_errors: true
`)

/** Per task title: changed / failed, from either tool. */
function flags(tasks: { task: string; changed: boolean; failed: boolean }[]): Record<string, string> {
  return Object.fromEntries(tasks.map((t) => [t.task, t.failed ? 'failed' : t.changed ? 'changed' : 'ok']))
}
const ours = (r: PlayOutcome) =>
  flags(
    r
      .results()
      .filter((e) => e.task !== 'Gathering Facts')
      .map((e) => ({ task: e.task, changed: e.status === 'changed', failed: e.status === 'failed' })),
  )
const theirs = (r: AnsibleOutcome) => flags(r.tasks.filter((t) => t.task !== 'Gathering Facts'))

describe('package on a lab host, as ansible-playbook does it', function () {
  this.timeout(900_000)
  let lab: TestLab
  let mine: string
  let judge: string

  const dpkg = async (host: string) =>
    (await sh(lab.inventory, host, `dpkg-query -W -f '\${Package} \${db:Status-Abbrev} \${Version}\\n' ${PACKAGES.join(' ')} 2>/dev/null; :`)).stdout

  /** The playbook under both tools (Ansible on the judge host); both outcomes. */
  async function both(yaml: string, o: { check?: boolean; diff?: boolean } = {}) {
    const a = await ansiblePlay(yaml, { inventory: lab.inventory, limit: judge, check: o.check })
    const r = await play(yaml, { inventory: [lab.inventory], limit: mine, check: o.check, diff: o.diff })
    return { a, r }
  }

  before(async function () {
    if (!hasAnsible()) this.skip()
    lab = await testLab(2)
    ;[mine, judge] = [lab.names[0]!, lab.names[1]!]
    await resetHosts(lab, [mine, judge])
    // Fresh package lists on both (a cache refresh is not what this compares), and python3-apt,
    // without which Ansible's apt refuses check mode.
    for (const h of [mine, judge])
      await sh(
        lab.inventory,
        h,
        'apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-apt >/dev/null 2>&1',
      )
  })
  after(async function () {
    if (lab) await resetHosts(lab, [mine, judge])
  })

  it('install: --check, first run, second run, --check --diff: the same changed per task, the same dpkg status', async () => {
    const before = await dpkg(mine)
    const check = await both(INSTALL, { check: true })
    expect(check.a.code, check.a.stderr).to.equal(0)
    expect(ours(check.r), check.r.text).to.deep.equal(theirs(check.a))
    expect(ours(check.r)['install tree and jq']).to.equal('changed')
    expect(await dpkg(mine), 'check mode changed nothing').to.equal(before)

    const first = await both(INSTALL, { diff: true })
    expect(ours(first.r), first.r.text).to.deep.equal(theirs(first.a))
    expect(first.r.text)
      .to.match(/\+jq: 1\.6-/)
      .and.match(/-tree: \(absent\)/)
    expect(await dpkg(mine))
      .to.equal(await dpkg(judge))
      .and.match(/^tree ii /m)

    const second = await both(INSTALL)
    expect(ours(second.r), second.r.text).to.deep.equal(theirs(second.a))
    expect(second.r.changed(mine)).to.equal(0)
    const again = await both(INSTALL, { check: true, diff: true })
    expect(ours(again.r), again.r.text).to.deep.equal(theirs(again.a))
    expect(again.r.changed(mine)).to.equal(0)
  })

  it('absent in a play without facts (package reads ansible_pkg_mgr itself): removed, then ok', async () => {
    const first = await both(REMOVE)
    expect(first.a.code, first.a.stderr).to.equal(0)
    expect(ours(first.r), first.r.text).to.deep.equal(theirs(first.a))
    expect(ours(first.r)['remove tree']).to.equal('changed')
    const second = await both(REMOVE)
    expect(ours(second.r), second.r.text).to.deep.equal(theirs(second.a))
    expect(await dpkg(mine))
      .to.equal(await dpkg(judge))
      .and.not.match(/^tree ii /m)
  })

  it('an argument apt lacks, and a manager without a module, fail the task as in Ansible', async () => {
    const { a, r } = await both(WRONG)
    expect(ours(r), r.text).to.deep.equal(theirs(a))
    expect(Object.values(ours(r))).to.deep.equal(['failed', 'failed'])
    expect(r.results('an argument apt does not take')[0]!.msg).to.match(/package: \(apt\) unknown argument 'enablerepo'/)
    expect(r.results('a package manager there is no module for here')[0]!.msg).to.include("rm-play has no module for the package manager 'zypper'")
  })
})
