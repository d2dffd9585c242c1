// What `register` holds after a loop, a skipped task and failed_when, compared with
// ansible-playbook on localhost: the loop's `failed` (also when ignore_errors hid an item's
// failure), its message (completed, skipped, failed), the items' keys (`skip_reason` on an item
// `when` skipped, no `skipped` on one that ran), an empty loop's `skipped_reason`,
// `failed_when_result`, command's `cmd` (its argument list) and `msg`, and debug's undefined var.
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost } from '../helpers/ansible-local.js'

const REGISTERED = ['s', 'el', 'ls', 'als', 'fw', 'fw2', 'cw', 'lf', 'lc', 'sc', 'lfw', 'sh', 'dv']

const PLAY = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: skipped
      command: echo hi
      when: false
      register: s
    - name: empty loop
      command: echo {{ item }}
      loop: []
      register: el
    - name: loop with a skipped item
      command: echo {{ item }}
      loop: [1, 2]
      when: item != 2
      register: ls
    - name: every item skipped
      command: echo {{ item }}
      loop: [1, 2]
      when: false
      register: als
    - name: failed_when true
      command: echo abc
      register: fw
      failed_when: fw.rc == 0
      ignore_errors: true
    - name: failed_when false
      command: echo abc
      register: fw2
      failed_when: fw2.rc != 0
    - name: changed_when
      command: echo abc
      register: cw
      changed_when: false
    - name: an ignored item failure
      command: "{{ item }}"
      loop: ["true", "false"]
      register: lf
      ignore_errors: true
    - name: creates in a loop
      command: echo hi
      args: { creates: / }
      loop: [1]
      register: lc
    - name: creates
      command: echo hi
      args: { creates: / }
      register: sc
    - name: failed_when in a loop
      command: echo {{ item }}
      loop: [1, 2]
      failed_when: item == 5
      register: lfw
    - name: shell
      shell: echo {{ '{{' }} hi {{ '}}' }} | cat
      register: sh
    - name: debug of an undefined variable
      debug: { var: nope }
      register: dv
    - name: show
      debug: { msg: "{{ [${REGISTERED.join(', ')}] | to_json(sort_keys=true) }}" }
`

/**
 * Without keys that differ by the moment, Ansible's module arguments and interpreter discovery,
 * and a failure's wording (rm-play's own, README).
 */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => comparable(x))
  if (!v || typeof v !== 'object') return v
  const r = v as Record<string, unknown>
  const drop = ['delta', 'start', 'end', 'invocation', 'ansible_facts', ...(r.failed === true ? ['msg', 'cmd'] : [])]
  const isLoop = Array.isArray(r.results)
  return Object.fromEntries(
    Object.entries(r)
      .filter(([k]) => !drop.includes(k) || (isLoop && k === 'msg'))
      .map(([k, x]) => [k, comparable(x)]),
  )
}

describe('registered results of loops, skips and failed_when, compared with ansible-playbook (localhost)', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('each registered value has the keys and values Ansible gives it', async () => {
    const r = await bothOnLocalhost(PLAY)
    const parse = (seen: string[] | undefined) => JSON.parse((seen?.[0] ?? '').replace(/^ok /, '')) as unknown[]
    const ans = parse(r.ans.show)
    const rm = parse(r.rm.show)
    expect(ans, r.ansStderr).to.have.length(REGISTERED.length)
    for (const [i, name] of REGISTERED.entries()) expect(comparable(rm[i]), name).to.deep.equal(comparable(ans[i]))
    // what the comparison covers, as ansible-core 2.14 gives it
    const [el, ls, als, , , , lf, , sc] = ans.slice(1) as Record<string, unknown>[]
    expect(el).to.include({ skipped: true, skipped_reason: 'No items in the list' })
    expect((ls!.results as object[])[1]).to.include({ skip_reason: 'Conditional result was False' })
    expect(als).to.include({ msg: 'All items skipped' })
    expect(lf).to.include({ failed: true, msg: 'One or more items failed' })
    expect(sc).to.deep.include({ cmd: ['echo', 'hi'], msg: "Did not run command since '/' exists" })
    expect(ans[12]).to.deep.include({ nope: 'VARIABLE IS NOT DEFINED!' })
  })
})
