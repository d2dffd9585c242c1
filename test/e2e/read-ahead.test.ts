// Read-ahead on a lab host: a run that changes nothing reads the state of a stretch of tasks in
// one round trip, and a read taken ahead is never used after something may have changed the host
// (a step, a command, a retry) or when the task's arguments changed since (a set_fact between).
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { closeHostConnections } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'

async function rmPlay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

/** The commands -vvv shows for a host: each is one round trip. */
const roundTrips = (text: string, host: string) => text.split('\n').filter((l) => l.startsWith(`<${host}> EXEC `)).length

const FILES = Array.from({ length: 10 }, (_, i) => i + 1)

const STRETCH = `- hosts: all
  gather_facts: false
  tasks:
    - name: directory
      file: { path: /opt/ra, state: directory, mode: "0755" }
${FILES.map((i) => `    - name: file ${i}\n      copy: { content: "value ${i}\\n", dest: /opt/ra/f${i}.conf, mode: "0644" }\n`).join('')}${FILES.slice(0, 5)
  .map((i) => `    - name: line ${i}\n      lineinfile: { path: /opt/ra/lines.conf, line: "k${i} = v${i}", regexp: "^k${i} ", create: true }\n`)
  .join('')}    - name: stat
      stat: { path: /opt/ra/f1.conf }
      register: st
    - name: the stat is right
      assert: { that: [st.stat.size == 8] }
`

// Each check reads a state that an earlier task changed after read-ahead could have read it.
const STALE = `- hosts: all
  gather_facts: false
  vars:
    target: /opt/ra2/a
  tasks:
    - name: directory
      file: { path: /opt/ra2, state: directory, mode: "0755" }
    - name: write a
      copy: { content: "one\\n", dest: /opt/ra2/a }
    - name: stat a after the copy
      stat: { path: /opt/ra2/a }
      register: s1
    - name: a command rewrites a (changed_when false)
      shell: echo twelve-bytes > /opt/ra2/a
      changed_when: false
    - name: stat a after the command
      stat: { path: /opt/ra2/a }
      register: s2
    - name: point at b
      set_fact: { target: /opt/ra2/b }
    - name: stat the target (b, not a)
      stat: { path: "{{ target }}" }
      register: s3
    - name: b appears a second later
      shell: (sleep 1; touch /opt/ra2/late) >/dev/null 2>&1 &
      changed_when: false
    - name: wait for it by retries
      stat: { path: /opt/ra2/late }
      register: s4
      until: s4.stat.exists
      retries: 20
      delay: 1
    - name: every read saw the state of its own turn
      assert:
        that:
          - s1.stat.size == 4
          - s2.stat.size == 13
          - not s3.stat.exists
          - s4.stat.exists
`

// Facts are gathered in the round trip that reads the first tasks' state, whose arguments are
// rendered before the facts are known: a task named after a fact (with a default for when there
// is none) reads again at its turn, with the fact.
const FACTS = `- hosts: all
  tasks:
    - name: directory
      file: { path: /opt/ra3, state: directory, mode: "0755" }
${FILES.slice(0, 5)
  .map((i) => `    - name: file ${i}\n      copy: { content: "value ${i}\\n", dest: /opt/ra3/f${i}.conf, mode: "0644" }\n`)
  .join('')}`

const NAMED_BY_FACT = `- hosts: all
  tasks:
    - name: a file named after a fact
      copy: { content: "mine\\n", dest: "/opt/ra3/{{ ansible_hostname | default('nohost') }}.conf", mode: "0644" }
    - name: stat it
      stat: { path: "/opt/ra3/{{ ansible_hostname | default('nohost') }}.conf" }
      register: st
    - name: stat the name it has without facts
      stat: { path: /opt/ra3/nohost.conf }
      register: nohost
    - name: the file has the fact's name and what the copy wrote
      assert: { that: [st.stat.exists, st.stat.size == 5, not nohost.stat.exists] }
`

// What read-ahead must not read: a task its `when` already skips, and anything past a command,
// which ends what was read before it (so a read past it would be sent twice).
const NOT_AHEAD = `- hosts: all
  gather_facts: false
  vars: { skip_it: true }
  tasks:
    - name: first read
      stat: { path: /opt/ra3-first }
    - name: skipped
      stat: { path: /opt/ra3-skipped }
      when: not skip_it
    - name: a command
      command: "true"
      changed_when: false
    - name: after the command
      stat: { path: /opt/ra3-after }
`

describe('read-ahead (lab host)', function () {
  this.timeout(300000)
  let lab: TestLab
  let host: string
  let dir: string

  before(async function () {
    lab = await testLab(3)
    host = lab.names[1]!
    await resetHosts(lab, [host])
    dir = mkdtempSync(join(tmpdir(), 'rmp-read-ahead-'))
    writeFileSync(join(dir, 'stretch.yml'), STRETCH)
    writeFileSync(join(dir, 'stale.yml'), STALE)
    writeFileSync(join(dir, 'facts.yml'), FACTS)
    writeFileSync(join(dir, 'named-by-fact.yml'), NAMED_BY_FACT)
    writeFileSync(join(dir, 'not-ahead.yml'), NOT_AHEAD)
  })

  after(async function () {
    await closeHostConnections()
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (lab) await resetHosts(lab, [host])
  })

  it('a no-change run of 17 probing tasks reads their state in one round trip', async function () {
    const run = () => rmPlay([join(dir, 'stretch.yml'), '-i', lab.inventory, '-l', host, '-vvv'])
    const first = await run()
    expect(first.code, first.out + first.err).to.equal(0)
    const second = await run()
    expect(second.code, second.out + second.err).to.equal(0)
    expect(second.out).to.match(new RegExp(`${host}\\s*: ok=18 +changed=0 `))
    const text = second.out + second.err
    expect(roundTrips(text, host), text).to.equal(1)
  })

  it("a no-change run gathers facts in the round trip that reads the first tasks' state", async function () {
    const run = () => rmPlay([join(dir, 'facts.yml'), '-i', lab.inventory, '-l', host, '-vvv'])
    const first = await run()
    expect(first.code, first.out + first.err).to.equal(0)
    const second = await run()
    const text = second.out + second.err
    expect(second.out).to.match(new RegExp(`${host}\\s*: ok=7 +changed=0 `))
    expect(roundTrips(text, host), text).to.equal(1)
  })

  it('a task whose arguments a fact changes reads at its turn, with the fact', async function () {
    const run = () => rmPlay([join(dir, 'named-by-fact.yml'), '-i', lab.inventory, '-l', host])
    const first = await run()
    expect(first.code, first.out + first.err).to.equal(0)
    expect(first.out).to.match(new RegExp(`${host}\\s*: ok=5 +changed=1 `))
    const second = await run()
    expect(second.code, second.out + second.err).to.equal(0)
    expect(second.out).to.match(new RegExp(`${host}\\s*: ok=5 +changed=0 `))
  })

  it('a read taken ahead is not used after a step, a command, a changed argument or a retry', async function () {
    const r = await rmPlay([join(dir, 'stale.yml'), '-i', lab.inventory, '-l', host])
    expect(r.code, r.out + r.err).to.equal(0)
    // and the second run, where nothing changes in between, agrees
    const again = await rmPlay([join(dir, 'stale.yml'), '-i', lab.inventory, '-l', host])
    expect(again.code, again.out + again.err).to.equal(0)
  })

  it('a task whose when is false is not read for, and nothing is read past a command that will run', async function () {
    const r = await rmPlay([join(dir, 'not-ahead.yml'), '-i', lab.inventory, '-l', host, '-vvv'])
    const text = r.out + r.err
    expect(r.code, text).to.equal(0)
    // a path probe's script starts `rmp_path=PATH` (the batch's shared stat names the path too: not counted)
    const sent = (path: string) => text.split('\n').filter((l) => l.includes(`rmp_path=${path}`)).length
    expect([sent('/opt/ra3-first'), sent('/opt/ra3-skipped'), sent('/opt/ra3-after')], text).to.deep.equal([1, 0, 1])
    expect(roundTrips(text, host), text).to.equal(3)
  })

  it('--check predicts the same as without read-ahead: the copy that would change, and the stat of the old state', async function () {
    await rmPlay([join(dir, 'stretch.yml'), '-i', lab.inventory, '-l', host])
    const changedTask = `- hosts: all
  gather_facts: false
  tasks:
    - name: change f1
      copy: { content: "other\\n", dest: /opt/ra/f1.conf, mode: "0644" }
    - name: stat f1
      stat: { path: /opt/ra/f1.conf }
      register: st
    - name: check mode saw the file as it is
      assert: { that: [st.stat.size == 8] }
`
    writeFileSync(join(dir, 'check.yml'), changedTask)
    const r = await rmPlay([join(dir, 'check.yml'), '-i', lab.inventory, '-l', host, '--check'])
    expect(r.code, r.out + r.err).to.equal(0)
    expect(r.out).to.match(new RegExp(`${host}\\s*: ok=3 +changed=1 `))
  })
})
