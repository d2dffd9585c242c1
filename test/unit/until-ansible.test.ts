// retries/until compared with ansible-playbook on localhost: how many times a task runs, the
// `attempts` it registers (Ansible says `retries` once they run out, one fewer than it ran), that
// `attempts` is there for `until` itself, a module failure on the last try, and `retries: 0`
// (one run, `until` not looked at).
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost } from '../helpers/ansible-local.js'

/** A shell task that counts its runs in the file `name` beside the playbook and prints the count (then runs `then`). */
const counting = (name: string, then = '') =>
  `shell: "n=$(cat {{ playbook_dir }}/${name} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {{ playbook_dir }}/${name}; echo $n${then}"`
const runs = (name: string) => `{{ lookup('file', playbook_dir + '/${name}') }}`

const PLAY = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: start counting (each tool runs in the same directory)
      shell: rm -f {{ playbook_dir }}/n[0-9]
    - name: second try
      ${counting('n1')}
      register: r1
      until: r1.stdout == '2'
      retries: 3
      delay: 0
    - name: show1
      debug: { msg: "attempts={{ r1.attempts }} failed={{ r1.failed }} runs=${runs('n1')}" }
    - name: never
      ${counting('n2')}
      register: r2
      until: r2.stdout == 'never'
      retries: 2
      delay: 0
      ignore_errors: true
    - name: show2
      debug: { msg: "attempts={{ r2.attempts }} failed={{ r2.failed }} runs=${runs('n2')}" }
    - name: zero retries
      ${counting('n3')}
      register: r3
      until: r3.stdout == 'never'
      retries: 0
      delay: 0
      ignore_errors: true
    - name: show3
      debug: { msg: "attempts={{ r3.attempts | default('none') }} failed={{ r3.failed }} runs=${runs('n3')}" }
    - name: default retries
      ${counting('n4')}
      register: r4
      until: r4.stdout == 'never'
      delay: 0
      ignore_errors: true
    - name: show4
      debug: { msg: "attempts={{ r4.attempts }} failed={{ r4.failed }} runs=${runs('n4')}" }
    - name: failing module
      command: "false"
      register: r5
      until: r5.rc == 0
      retries: 1
      delay: 0
      ignore_errors: true
    - name: show5
      debug: { msg: "attempts={{ r5.attempts | default('none') }} failed={{ r5.failed }} rc={{ r5.rc }}" }
    - name: until holds on a failed try
      ${counting('n6', '; false')}
      register: r6
      until: r6.stdout == '2'
      retries: 3
      delay: 0
      ignore_errors: true
    - name: show6
      debug: { msg: "attempts={{ r6.attempts | default('none') }} failed={{ r6.failed }} runs=${runs('n6')}" }
    - name: until reads attempts
      command: echo x
      register: r7
      until: r7.attempts >= 3
      retries: 5
      delay: 0
    - name: show7
      debug: { msg: "attempts={{ r7.attempts }} failed={{ r7.failed }}" }
`

describe('retries and until, compared with ansible-playbook (localhost)', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('runs, attempts and the outcome agree, task by task', async () => {
    const r = await bothOnLocalhost(PLAY)
    // rm-play's failure message for retries that ran out is its own (Ansible keeps the module's)
    const statuses = (seen: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(seen).map(([t, v]) => [t, t.startsWith('show') ? v : v.map((x) => x.split(' ')[0])]))
    expect(statuses(r.rm), r.rmRun.text).to.deep.equal(statuses(r.ans))
    // the answers, as ansible-core 2.14 gives them: the comparison above is not of two empty tables
    expect(r.ans.show2).to.deep.equal(['ok attempts=2 failed=True runs=3'])
    expect(r.ans.show3).to.deep.equal(['ok attempts=1 failed=False runs=1'])
    expect(r.ans.show4).to.deep.equal(['ok attempts=3 failed=True runs=4'])
    expect(r.ans.show7).to.deep.equal(['ok attempts=3 failed=False'])
  })
})
