// What register and rescue see, and how meta and debug steer, compared with ansible-playbook on
// two local hosts: `diff` in a result under --diff, ansible_failed_result / ansible_failed_task
// in rescue, meta: clear_host_errors (the failed host is back for the next play, exit code 0),
// debug's verbosity (skipped below -v N, registered as Ansible registers it), and a
// check_mode: true task that changes nothing.
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasAnsible } from '../helpers/ansible.js'
import { ansiblePlaybook, reachedByEvents } from '../helpers/ansible-reached.js'
import { play } from '../helpers/run-playbook.js'

const playbook = (dir: string) => `- hosts: all
  gather_facts: false
  tasks:
    - name: write
      copy: { content: "hello {{ inventory_hostname }}\\n", dest: "${dir}/{{ inventory_hostname }}-{{ tool }}.txt" }
      register: c
    - name: the diff
      debug: { msg: "{{ c.diff | length }}|{{ c.diff[0].before }}|{{ c.diff[0].after }}" }
    - name: same again in check mode
      copy: { content: "hello {{ inventory_hostname }}\\n", dest: "${dir}/{{ inventory_hostname }}-{{ tool }}.txt" }
      check_mode: true
      register: cm
    - name: check mode result
      debug: { msg: "{{ cm.changed }} {{ cm.failed }} {{ cm.dest == c.dest }}" }
    - name: a block
      block:
        - name: boom
          fail: { msg: "boom on {{ inventory_hostname }}" }
      rescue:
        - name: the failure
          debug:
            msg: "{{ ansible_failed_result.msg }}|{{ ansible_failed_result.failed }}|{{ ansible_failed_task.name }}|{{ ansible_failed_task.action }}|{{ ansible_failed_task.args }}"
    - name: quiet
      debug: { msg: "only with -vv", verbosity: 2 }
      register: dv
    - name: loud
      debug: { msg: hi }
      register: d
    - name: the debug results
      debug: { msg: "{{ dv | to_json(sort_keys=true) }} {{ d | to_json(sort_keys=true) }}" }
    - name: h1 fails
      command: /bin/false
      when: inventory_hostname == 'h1'
    - name: clear
      meta: clear_host_errors
    - name: after clearing
      debug: { msg: "still here" }
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      debug: { msg: "back" }
`

const MSGS = ['the diff', 'check mode result', 'the failure', 'the debug results', 'after clearing', 'second play']

describe('registered results, rescue variables, clear_host_errors and debug verbosity, as ansible-playbook 2.14', function () {
  this.timeout(300_000)
  let dir: string
  before(function () {
    if (!hasAnsible()) this.skip()
    dir = mkdtempSync(join(tmpdir(), 'rmp-shapes-'))
  })
  after(() => dir && rmSync(dir, { recursive: true, force: true }))

  it('reaches the same tasks with the same statuses, recap and exit code, and the same values', async () => {
    const inv = join(dir, 'hosts')
    const pb = join(dir, 'site.yml')
    writeFileSync(pb, playbook(dir))
    writeFileSync(
      inv,
      'h1 ansible_connection=local tool=ansible ansible_python_interpreter=/usr/bin/python3\nh2 ansible_connection=local tool=ansible ansible_python_interpreter=/usr/bin/python3\n',
    )
    const theirs = ansiblePlaybook(pb, inv, ['--diff'])
    const theirMsgs = theirs.report.plays.flatMap((p) =>
      p.tasks.filter((t) => MSGS.includes(t.task.name)).flatMap((t) => Object.entries(t.hosts).map(([h, r]) => `${t.task.name}@${h}: ${String(r.msg)}`)),
    )

    writeFileSync(inv, 'h1 ansible_connection=local tool=rmplay\nh2 ansible_connection=local tool=rmplay\n')
    const ours = await play(playbook(dir), { inventory: [inv], diff: true })
    const reached = reachedByEvents(ours.events)
    const ourMsgs = MSGS.flatMap((name) => ours.results(name).map((r) => `${name}@${r.host}: ${String(r.msg ?? r.output?.msg)}`))

    expect(ours.exitCode, ours.text).to.equal(theirs.exitCode)
    expect(reached.seq).to.deep.equal(theirs.seq)
    expect(reached.stats).to.deep.equal(theirs.stats)
    expect(ourMsgs.sort()).to.deep.equal(theirMsgs.sort())
  })
})
