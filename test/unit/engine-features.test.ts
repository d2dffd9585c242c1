// More of the playbook language through the real engine on local hosts: includes and imports,
// start-at-task, delegate_to, environment, the free strategy, diff output and the JSON events.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import type { HostResultEvent } from '../../src/engine/events.js'
import { play } from '../helpers/run-playbook.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-feat-'))
const inv = join(scratch, 'hosts')
writeFileSync(inv, '[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n')
const base = { inventory: [inv] }
// debug's message: a string in msg, any other value (a number, a list) in output.msg as Ansible keeps
// it (a command's result has a msg too, empty after a run: not a message)
const shown = (e: HostResultEvent) => e.msg ?? (e.output?.msg === undefined || 'cmd' in e.output ? undefined : String(e.output.msg))
const msgs = (r: Awaited<ReturnType<typeof play>>) =>
  r
    .results()
    .filter((e) => shown(e) !== undefined && e.status === 'ok')
    .map((e) => `${e.host}:${shown(e)}`)

describe('includes, imports and roles at run time', () => {
  it('include_tasks with a loop and a templated file name', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  vars: { which: b }
  tasks:
    - include_tasks: "inc-{{ which }}.yml"
      loop: [1, 2]
      loop_control: { loop_var: n }
`,
      { ...base, files: { 'inc-b.yml': '- debug: msg="b{{ n }}"\n' } },
    )
    expect(msgs(r)).to.deep.equal(['h1:b1', 'h1:b2'])
  })
  it('include_role and import_role with tasks_from and vars', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - import_role: { name: greet }
      vars: { who: imported }
    - include_role: { name: greet, tasks_from: other }
      vars: { who: included }
`,
      {
        ...base,
        files: {
          'roles/greet/tasks/main.yml': '- debug: msg="main {{ who }}"\n',
          'roles/greet/tasks/other.yml': '- debug: msg="other {{ who }}"\n',
          'roles/greet/defaults/main.yml': 'who: nobody\n',
        },
      },
    )
    expect(msgs(r)).to.deep.equal(['h1:main imported', 'h1:other included'])
  })
  it('include_role with a templated name finds a role given only with --roles-path', async () => {
    const dir = mkdtempSync(join(scratch, 'rp-'))
    mkdirSync(join(dir, 'elsewhere/greet/tasks'), { recursive: true })
    writeFileSync(join(dir, 'elsewhere/greet/tasks/main.yml'), '- debug: msg="hi {{ n }}"\n')
    mkdirSync(join(dir, 'book'))
    const pb = join(dir, 'book/site.yml')
    writeFileSync(
      pb,
      '- hosts: web\n  gather_facts: false\n  vars: { which: greet }\n  tasks:\n    - include_role: { name: "{{ which }}" }\n      loop: [1, 2]\n      loop_control: { loop_var: n }\n',
    )
    let out = ''
    let err = ''
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), tty: false }
    expect(await main([pb, '-i', inv, '--json', '--roles-path', join(dir, 'elsewhere')], io), err).to.equal(0)
    const said = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string; msg?: string })
      .filter((e) => e.type === 'host-result')
      .map((e) => `${e.host}:${e.msg}`)
    expect(said.sort()).to.deep.equal(['h1:hi 1', 'h1:hi 2', 'h2:hi 1', 'h2:hi 2'])
  })
  it("tasks of a templated include get their own task headers (their indices once repeated the play's)", async () => {
    const r = await play(
      '- hosts: web\n  gather_facts: false\n  vars: { f: inc.yml }\n  tasks:\n    - debug: msg=a\n    - debug: msg=b\n    - include_tasks: "{{ f }}"\n    - command: "true"\n      run_once: true\n',
      { ...base, files: { 'inc.yml': '- debug: msg=c\n- command: echo d\n  run_once: true\n' } },
    )
    expect(r.text.match(/^TASK \[[^\]]+\]/gm)).to.deep.equal([
      'TASK [debug msg=a]',
      'TASK [debug msg=b]',
      'TASK [debug msg=c]',
      'TASK [command echo d]',
      'TASK [command true]',
    ])
    expect(r.results('command echo d')).to.have.length(1)
    expect(r.results('command true')).to.have.length(1)
  })
  it('import_playbook pulls in plays', async () => {
    const r = await play('- import_playbook: other.yml\n- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg=second\n', {
      ...base,
      files: { 'other.yml': '- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg=first\n' },
    })
    expect(msgs(r)).to.deep.equal(['h1:first', 'h1:second'])
  })
})

describe('task keywords', () => {
  it('--start-at-task skips what comes before the named task', async () => {
    const r = await play(
      '- hosts: h1\n  gather_facts: false\n  tasks:\n    - { name: one, debug: msg=1 }\n    - { name: two, debug: msg=2 }\n    - { name: three, debug: msg=3 }\n',
      { ...base, startAtTask: 'tw*' },
    )
    expect(msgs(r)).to.deep.equal(['h1:2', 'h1:3'])
  })
  it('delegate_to runs on another host with the task host variables', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - command: echo {{ inventory_hostname }}
      delegate_to: localhost
      register: d
      changed_when: false
    - debug: msg={{ d.stdout }}
`,
      base,
    )
    expect(msgs(r).sort()).to.deep.equal(['h1:h1', 'h2:h2'])
    expect(r.results().find((e) => e.delegatedTo)?.delegatedTo).to.equal('localhost')
  })
  it('environment reaches the command, inherited from the play and merged with the task', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  environment: { A: play }
  tasks:
    - shell: echo "$A $B"
      environment: { B: "{{ 1 + 1 }}" }
      register: e
      changed_when: false
    - debug: msg={{ e.stdout }}
`,
      base,
    )
    expect(msgs(r)).to.deep.equal(['h1:play 2'])
  })
  it('the free strategy lets a fast host run ahead', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  strategy: free
  tasks:
    - command: sleep {{ '1' if inventory_hostname == 'h1' else '0' }}
    - command: "true"
`,
      base,
    )
    const order = r.results().map((e) => `${e.host}:${e.task.split(' ')[1]}`)
    expect([...order].sort()).to.deep.equal(['h1:sleep', 'h1:true', 'h2:sleep', 'h2:true'])
    expect(order.indexOf('h2:true')).to.be.lessThan(order.indexOf('h1:sleep'))
  })
  it("meta: end_host ends the host's play only: the next play runs on it (as in Ansible)", async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'h1'
    - debug: { msg: play1 }
- hosts: web
  gather_facts: false
  tasks:
    - debug: { msg: play2 }
`,
      base,
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(msgs(r)).to.deep.equal(['h2:play1', 'h1:play2', 'h2:play2'])
  })
  it('retries and delay may be templates (as in Ansible); one that is not a number fails the task', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  vars: { tries: 2, pause: 0, bad: soon }
  tasks:
    - command: "true"
      register: out
      until: out.rc == 1
      retries: "{{ tries }}"
      delay: "{{ pause }}"
      ignore_errors: true
    - command: "true"
      register: out2
      until: out2.rc == 1
      retries: "{{ bad }}"
`,
      base,
    )
    const [first, second] = r.results()
    expect(first?.msg, r.text).to.match(/retries exhausted \(2\)/)
    expect(second?.status, r.text).to.equal('failed')
    expect(second?.msg, r.text).to.match(/retries must be a number of 0 or more, got '\{\{ bad \}\}'/)
  })
  it('failed_when, changed_when and ignore_errors', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: sh -c 'exit 3'
      register: x
      failed_when: x.rc not in [0, 3]
      changed_when: false
    - command: /bin/false
      ignore_errors: true
    - debug: msg={{ x.rc }}
`,
      base,
    )
    expect(r.exitCode).to.equal(0)
    expect(r.stats.h1).to.include({ ignored: 1, failed: 0 })
    expect(msgs(r)).to.deep.equal(['h1:3'])
  })
})

describe('core modules on the local host', () => {
  it('wait_for: a port that opens, a file that appears (with a pattern), a timeout that fails', async () => {
    const { createServer } = await import('node:net')
    const server = createServer((c) => c.end()).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const port = (server.address() as { port: number }).port
    const f = join(scratch, 'appears')
    setTimeout(() => writeFileSync(f, 'ready now\n'), 700)
    try {
      const r = await play(
        `- hosts: h1
  gather_facts: false
  tasks:
    - wait_for: { port: ${port}, timeout: 5 }
    - wait_for: { path: ${f}, search_regex: "^ready", timeout: 5 }
      register: w
    - wait_for: { path: ${scratch}/never, timeout: 1 }
      ignore_errors: true
    - assert: { that: "w.elapsed >= 0 and 'b' in ['a', 'b']" }
`,
        base,
      )
      expect(r.results().map((e) => e.status)).to.deep.equal(['ok', 'ok', 'failed', 'ok'])
      expect(r.results()[2]!.msg).to.match(/Timeout when waiting for .*never/)
    } finally {
      server.close()
    }
  })
})

describe('output', () => {
  it('the reporter prints Ansible-like lines, deterministic without timings', async () => {
    const r = await play(
      '- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug: msg=hi\n    - command: /bin/false\n      ignore_errors: yes\n',
      base,
    )
    expect(r.text).to.equal(
      [
        '',
        'PLAY [h1] *********************************************************************',
        '',
        'TASK [hello] ******************************************************************',
        'ok: [h1] => {',
        '    "msg": "hi"',
        '}',
        '',
        'TASK [command /bin/false] *****************************************************',
        'fatal: [h1]: FAILED! => run: /bin/false: exit 1 (general error)',
        '...ignoring',
        '',
        'PLAY RECAP ********************************************************************',
        'h1 : ok=1  changed=0  unreachable=0  failed=0  skipped=0  rescued=0  ignored=1',
        '',
        '0 changes',
        '',
      ].join('\n'),
    )
  })
  it('--json prints one event per line, and a playbook error exits 1 touching nothing', async () => {
    const pb = join(scratch, 'j.yml')
    writeFileSync(pb, '- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg=json\n')
    let out = ''
    let err = ''
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), tty: false }
    expect(await main([pb, '-i', inv, '--json'], io)).to.equal(0)
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
    expect(events.map((e) => e.type)).to.deep.equal(['run-start', 'play-start', 'task-start', 'host-result', 'play-end', 'recap'])
    writeFileSync(pb, '- hosts: h1\n  tasks:\n    - debgu: msg=x\n')
    out = ''
    expect(await main([pb, '-i', inv], io)).to.equal(1)
    expect(err)
      .to.match(/j.yml:3:7: unknown module 'debgu'/)
      .and.to.match(/No host was touched/)
    expect(out).to.equal('')
  })
  it('usage errors exit 1 with a hint', async () => {
    let err = ''
    expect(await main(['x.yml', '--forks', 'many'], { out: () => undefined, err: (s) => (err += s), tty: false })).to.equal(1)
    expect(err).to.match(/--forks needs a positive number/)
  })
})
