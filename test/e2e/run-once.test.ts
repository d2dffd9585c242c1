// run_once on lab hosts, with ansible-playbook as the judge: which host runs the task (the first
// host of the batch, in the play's order, that is still running), how its result reaches the
// others (registered on every host), and what the json callback reports per host.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeHostConnections } from '../helpers/host-shell.js'
import { ansiblePlaybook, hasAnsible, reachedByEvents } from '../helpers/ansible-reached.js'
import { testLab, type TestLab } from '../helpers/lab.js'
import { playFile } from '../helpers/run-playbook.js'

describe('run_once on lab hosts (Ansible as the judge)', function () {
  let lab: TestLab
  let H: string[]

  before(async function () {
    if (!hasAnsible()) this.skip()
    lab = await testLab(4)
    H = lab.names.slice(0, 4)
  })

  after(closeHostConnections)

  /**
   * The same playbook through rm-play and ansible-playbook: per host the tasks reached and their
   * status, the recap and the exit code agree. `chose` is a task that fails on every host whose
   * registered `picked` does not name it, so the statuses say which host ran the run_once task.
   */
  async function expectSameAsAnsible(yaml: string): Promise<Record<string, string[]>> {
    const file = join(mkdtempSync(join(tmpdir(), 'rmp-run-once-')), 'play.yml')
    writeFileSync(file, yaml)
    const rm = await playFile(file, { inventory: [lab.inventory], limit: H.join(',') })
    const ans = ansiblePlaybook(file, lab.inventory, ['--limit', H.join(',')])
    const mine = reachedByEvents(rm.events)
    expect(mine.seq, `tasks reached per host\n${rm.text}`).to.deep.equal(ans.seq)
    expect(mine.stats, 'recap').to.deep.equal(ans.stats)
    expect(rm.exitCode, 'exit code').to.equal(ans.exitCode)
    return mine.seq
  }

  const picks = (hosts: string) => `- hosts: ${hosts}
  gather_facts: false
  tasks:
    - name: pick
      command: echo {{ inventory_hostname }}
      run_once: true
      register: picked
    - name: chose
      command: "true"
      changed_when: false
      failed_when: picked.stdout != inventory_hostname
`

  it('the first host of the play, in the order of its hosts pattern, not the inventory order', async () => {
    const seq = await expectSameAsAnsible(picks(`${H[2]},${H[0]},${H[3]},${H[1]}`))
    expect(seq[H[2]!]).to.deep.equal(['pick:changed', 'chose:ok'])
    for (const h of [H[0], H[1], H[3]]) expect(seq[h!]).to.deep.equal(['chose:failed'])
  })

  it('with serial, once per batch: the first host of each batch', async () => {
    const seq = await expectSameAsAnsible(picks('runmaster').replace('gather_facts: false', 'gather_facts: false\n  serial: 2'))
    for (const h of [H[0], H[2]]) expect(seq[h!]).to.deep.equal(['pick:changed', 'chose:ok'])
    for (const h of [H[1], H[3]]) expect(seq[h!]).to.deep.equal(['chose:failed'])
  })

  it('the play keyword order (reverse_sorted) decides the first host', async () => {
    const seq = await expectSameAsAnsible(picks('runmaster').replace('gather_facts: false', 'gather_facts: false\n  order: reverse_sorted'))
    const last = [...H].sort().at(-1)!
    expect(seq[last]).to.deep.equal(['pick:changed', 'chose:ok'])
  })

  it('a host that failed earlier is passed over: the next host of the play runs it', async () => {
    const yaml = picks('runmaster').replace('  tasks:\n', `  tasks:\n    - name: first host fails\n      shell: test {{ inventory_hostname }} != ${H[0]}\n`)
    const seq = await expectSameAsAnsible(yaml)
    expect(seq[H[0]!]).to.deep.equal(['first host fails:failed'])
    expect(seq[H[1]!]).to.deep.equal(['first host fails:changed', 'pick:changed', 'chose:ok'])
  })

  it('a host skipped by `when` still decides: the task is skipped for every host when the first one skips', async () => {
    const yaml = `- hosts: runmaster
  gather_facts: false
  tasks:
    - name: pick unless first
      command: echo {{ inventory_hostname }}
      run_once: true
      when: inventory_hostname != '${H[0]}'
      register: picked
    - name: skipped everywhere
      command: "true"
      changed_when: false
      failed_when: picked is not skipped
`
    const seq = await expectSameAsAnsible(yaml)
    for (const h of H) expect(seq[h]!.at(-1)).to.equal('skipped everywhere:ok')
  })
})
