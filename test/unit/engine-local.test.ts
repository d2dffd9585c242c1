// The engine's behaviour on several hosts over the local connection (no lab needed): parallel
// runs, handlers, blocks, loops, serial batches, failure isolation, check mode, tags, precedence.
import { expect } from 'chai'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { play } from '../helpers/run-playbook.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-eng-'))
const inv = join(scratch, 'hosts')
writeFileSync(inv, '[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\nh3 ansible_connection=local\n[db]\nd1 ansible_connection=local\n')
const base = { inventory: [inv] }

describe('engine on local hosts', () => {
  it('runs hosts in parallel: every host is inside the task while the others are', async () => {
    // Each host notes when it enters and leaves a 1 s task; in parallel, all the stays overlap.
    const log = join(scratch, 'parallel.log')
    rmSync(log, { force: true })
    const r = await play(
      `- hosts: web\n  gather_facts: false\n  tasks:\n    - shell: echo "{{ inventory_hostname }} $(date +%s%N) $(sleep 1; date +%s%N)" >> ${log}\n`,
      base,
    )
    expect(r.exitCode).to.equal(0)
    const stays = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1).map(Number) as [number, number])
    expect(stays).to.have.length(3)
    const lastIn = Math.max(...stays.map((x) => x[0]))
    const firstOut = Math.min(...stays.map((x) => x[1]))
    expect(lastIn).to.be.lessThan(firstOut)
  })

  it('linear strategy keeps hosts in step: no host starts task 2 before all finished task 1', async () => {
    const log = join(scratch, 'order.log')
    rmSync(log, { force: true })
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - shell: "sleep {{ '0.5' if inventory_hostname == 'h1' else '0' }}; echo t1 {{ inventory_hostname }} >> ${log}"
    - shell: echo t2 {{ inventory_hostname }} >> ${log}
`,
      base,
    )
    expect(r.exitCode).to.equal(0)
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    expect(lines).to.have.length(6)
    expect(lines.slice(0, 3).map((l) => l.split(' ')[0])).to.deep.equal(['t1', 't1', 't1'])
    expect(lines.slice(3).map((l) => l.split(' ')[0])).to.deep.equal(['t2', 't2', 't2'])
  })

  it('a failing host stops only itself; the others finish; exit code 2', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'h2'
    - debug: msg=after
`,
      base,
    )
    expect(r.exitCode).to.equal(2)
    expect(
      r
        .results('debug msg=after')
        .map((e) => e.host)
        .sort(),
    ).to.deep.equal(['h1', 'h3'])
    expect(r.stats.h2!.failed).to.equal(1)
    expect(r.text).to.match(/fatal: \[h2\]: FAILED!/)
  })

  it('any_errors_fatal stops every host after the failing task', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'h2'
    - debug: msg=after
    - debug: msg=later still
`,
      base,
    )
    expect(r.exitCode).to.equal(2)
    // h1 and h3 ran the failing task (skipped by when) and nothing after it.
    expect(
      r
        .results()
        .map((e) => `${e.host}:${e.task}`)
        .sort(),
    ).to.deep.equal(['h1:command /bin/false', 'h2:command /bin/false', 'h3:command /bin/false'])
    expect(r.text).to.match(/any_errors_fatal/)
  })

  it('trust 1: a playbook error (a variable undefined on one host) stops the run for every host, even under ignore_errors', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - set_fact: { only_some: 1 }
      when: inventory_hostname != 'h2'
    - debug: { msg: "{{ only_some }}" }
      ignore_errors: true
    - debug: msg=after
- hosts: web
  gather_facts: false
  tasks:
    - debug: msg=next play
`,
      base,
    )
    expect(r.exitCode).to.equal(2)
    const ran = r.results().map((e) => `${e.host}:${e.task}`)
    expect(ran.filter((t) => t.endsWith(':debug msg=after') || t.endsWith(':debug msg=next play'))).to.deep.equal([])
    expect(r.text).to.match(/playbook error on h2 stops the run/)
  })

  it('any_errors_fatal on a task or block stops every host; a rescued failure does not', async () => {
    const yaml = (rescue: string) => `- hosts: web
  gather_facts: false
  tasks:
    - debug: msg=before
    - block:
        - command: /bin/false
          when: inventory_hostname == 'h2'
${rescue}      any_errors_fatal: true
    - command: "true"
      any_errors_fatal: true
    - debug: msg=after
`
    const r = await play(yaml(''), base)
    expect(r.results('debug msg=after')).to.have.length(0)
    expect(r.text).to.match(/any_errors_fatal: h2 failed/)
    const rescued = await play(yaml('      rescue:\n        - debug: msg=rescued\n'), base)
    expect(
      rescued
        .results('debug msg=after')
        .map((e) => e.host)
        .sort(),
    ).to.deep.equal(['h1', 'h2', 'h3'])
    const task = await play(
      "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname == 'h3'\n      any_errors_fatal: true\n    - debug: msg=after\n",
      base,
    )
    expect(task.results('debug msg=after')).to.have.length(0)
  })

  it('serial runs batches one after the other; max_fail_percentage stops the play', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  serial: [1, 2]
  tasks:
    - debug: msg={{ ansible_play_batch | join(',') }}
`,
      base,
    )
    const batches = r.events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts)
    expect(batches).to.deep.equal([['h1'], ['h2', 'h3']])
    const r2 = await play(
      `- hosts: web
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - command: /bin/false
`,
      base,
    )
    expect(r2.results().map((e) => e.host)).to.deep.equal(['h1'])
    expect(r2.text).to.match(/max_fail_percentage/)
  })

  it('handlers run once, at the end of the play, only for hosts that notified; listen works', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - command: echo 1
      notify: restart
      changed_when: inventory_hostname != 'h3'
    - command: echo 2
      notify: [restart, topic]
      changed_when: inventory_hostname == 'h1'
    - debug: msg=last task
  handlers:
    - name: restart
      debug: msg=restarting
    - name: other
      debug: msg=by topic
      listen: topic
`,
      base,
    )
    const restarts = r
      .results('restart')
      .map((e) => e.host)
      .sort()
    expect(restarts).to.deep.equal(['h1', 'h2'])
    expect(r.results('other').map((e) => e.host)).to.deep.equal(['h1'])
    const order = r.events.filter((e) => e.type === 'task-start').map((e) => (e as { task: string }).task)
    expect(order.indexOf('restart')).to.be.greaterThan(order.indexOf('debug msg=last task'))
  })

  it('meta: flush_handlers runs notified handlers at that point', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: echo 1
      notify: h
    - meta: flush_handlers
    - debug: msg=after flush
  handlers:
    - name: h
      debug: msg=handler
`,
      base,
    )
    const order = r.events.filter((e) => e.type === 'task-start').map((e) => (e as { task: string }).task)
    expect(order).to.deep.equal(['command echo 1', 'meta flush_handlers', 'h', 'debug msg=after flush'])
  })

  it('block / rescue / always', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - command: /bin/false
        - debug: msg=not reached
      rescue:
        - debug: msg=rescued
      always:
        - debug: msg=always
`,
      base,
    )
    expect(r.exitCode).to.equal(0)
    expect(r.results('debug msg=not reached')).to.have.length(0)
    expect(r.results('debug msg=rescued')).to.have.length(1)
    expect(r.results('debug msg=always')).to.have.length(1)
    expect(r.stats.h1).to.include({ rescued: 1, failed: 0 })
  })

  it('loops with loop_control, register of results, when per item', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: echo {{ pkg.name }}
      loop: [{ name: a }, { name: b }, { name: c }]
      loop_control: { loop_var: pkg, label: "{{ pkg.name }}", index_var: i }
      when: pkg.name != 'b'
      register: out
      changed_when: false
    - debug: msg={{ out.results | map(attribute='stdout') | select | join(',') }}
`,
      base,
    )
    expect(r.results('command echo {{ pkg.name }}').map((e) => `${e.item}:${e.status}`)).to.deep.equal(['a:ok', 'b:skipped', 'c:ok'])
    expect(r.results('debug')[0]!.msg).to.equal('a,c')
  })

  it('retries / until', async () => {
    const f = join(scratch, 'count')
    writeFileSync(f, '0')
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - shell: n=$(cat ${f}); n=$((n+1)); echo $n > ${f}; echo $n
      register: c
      until: c.stdout | int >= 3
      retries: 5
      delay: 0
`,
      base,
    )
    expect(r.exitCode).to.equal(0)
    expect(readFileSync(f, 'utf8').trim()).to.equal('3')
  })

  it('check mode: an until on a command that would run leaves its result unknown, not undefined, to the next task', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: cmd
      command: echo 3
      register: c
      until: c.stdout | int >= 3
      retries: 2
      delay: 0
    - name: after
      debug: { msg: "got {{ c.stdout }}" }
`,
      { ...base, check: true },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results('after')[0]!.msg).to.match(/depends on c, which check mode cannot know/)
  })

  it('check mode: debug var of a result check mode cannot know says so (it is not undefined)', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: echo 3
      register: c
    - name: show
      debug: { var: c.stdout }
`,
      { ...base, check: true },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results('show')[0]!.msg).to.match(/depends on c, which check mode cannot know/)
    expect(r.text).to.not.include('NOT DEFINED')
  })

  it('check mode: commands are "would run", nothing runs, and a dependent condition "may change"', async () => {
    const marker = join(scratch, 'check-marker')
    rmSync(marker, { force: true })
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: touch ${marker}
      register: t
    - debug: msg=depends
      when: t is changed
    - command: echo skipped-when-unknown
      when: t.rc == 0
`,
      { ...base, check: true },
    )
    expect(existsSync(marker)).to.equal(false)
    expect(r.text).to.match(/would run: \[h1\] run: touch/)
    expect(r.text).to.match(/may change: \[h1\] run: echo skipped-when-unknown/)
    expect(r.exitCode).to.equal(0)
  })

  it('check mode: a value that needs a result only a real run produces is "may change", not a failure', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: hostname
      register: out
    - debug: msg="host is {{ out.stdout }}"
    - command: echo {{ out.stdout_lines[0] }}
`,
      { ...base, check: true },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results()[1]!.msg).to.match(/depends on out, which check mode cannot know/)
    expect(r.text).to.match(/may change: \[h1\] depends on out/)
  })

  it('check_mode: false runs a read-only command even under --check', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  tasks:
    - command: echo real
      check_mode: false
      register: o
      changed_when: false
    - debug: msg={{ o.stdout }}
`,
      { ...base, check: true },
    )
    expect(r.results('debug msg={{ o.stdout }}')[0]!.msg).to.equal('real')
  })

  it('tags select tasks, inherited through roles and blocks', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  roles:
    - { role: web, tags: [nginx] }
  tasks:
    - block:
        - debug: msg=in block
      tags: [blk]
    - debug: msg=untagged
    - debug: msg=always
      tags: [always]
`,
      { ...base, tags: ['nginx'], files: { 'roles/web/tasks/main.yml': '- debug: msg=from role\n' } },
    )
    expect(r.results().map((e) => e.task)).to.deep.equal(['debug msg=from role', 'debug msg=always'])
  })

  it('variable precedence: defaults < inventory < group_vars < host_vars < play vars < vars_files < role vars < set_fact < -e', async () => {
    const r = await play(
      `- hosts: h1
  gather_facts: false
  vars: { v2: play, v3: play, v4: play, v5: play, v6: play }
  vars_files: [vf.yml]
  roles: [r]
  tasks:
    - set_fact: { v6: fact }
    - debug: msg={{ [v0, v1, v2, v3, v4, v5, v6, v7] | join(' ') }}
`,
      {
        ...base,
        extraVars: { v7: 'extra' },
        files: {
          'group_vars/web.yml': 'v0: group\nv1: group\nv2: group\n',
          'host_vars/h1.yml': 'v1: host\nv2: host\n',
          'vf.yml': 'v3: vf\nv4: vf\nv5: vf\nv6: vf\nv7: vf\n',
          'roles/r/defaults/main.yml': 'v0: default\nv7: default\n',
          'roles/r/vars/main.yml': 'v4: rolevars\nv5: rolevars\nv6: rolevars\n',
          'roles/r/tasks/main.yml': '- debug: msg=role\n',
        },
      },
    )
    const msg = r.results().find((e) => e.task.startsWith('debug msg={{ ['))!.msg
    expect(msg).to.equal('group host play vf rolevars rolevars fact extra')
  })

  it('an undefined variable fails the task naming the variable and the place', async () => {
    const r = await play('- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg="{{ nope }}"\n', base)
    expect(r.exitCode).to.equal(2)
    expect(r.results()[0]!.msg).to.match(/undefined variable 'nope' in task .*site.yml:4:7/)
  })

  it('gathered facts are usable as ansible_facts.* and as ansible_* variables (os_family, processor_vcpus, service_mgr)', async () => {
    const r = await play(
      '- hosts: h1\n  tasks:\n    - debug: msg="{{ ansible_facts.os_family }} {{ ansible_processor_vcpus > 0 }} {{ ansible_service_mgr }}"\n',
      base,
    )
    expect(r.results().find((e) => e.task.startsWith('debug'))!.msg).to.match(/^Debian True \w+/)
  })

  it('ansible_python_interpreter from an Ansible inventory is accepted and ignored: no Python is needed', async () => {
    const pyInv = join(scratch, 'py-hosts')
    writeFileSync(
      pyInv,
      '[web]\np1 ansible_connection=local ansible_python_interpreter=/nonexistent/python9\n[all:vars]\nansible_python_interpreter=auto_silent\n',
    )
    const r = await play(
      '- hosts: p1\n  tasks:\n    - command: echo ran\n      register: out\n    - debug: msg="{{ out.stdout }} {{ ansible_python_interpreter }}"\n',
      { inventory: [pyInv] },
    )
    expect(r.exitCode).to.equal(0)
    expect(r.results().find((e) => e.task.startsWith('debug'))!.msg).to.equal('ran /nonexistent/python9')
  })

  it('no_log hides output, and -e secrets given to no_log arguments are masked', async () => {
    const r = await play('- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: echo s3cr3t-value\n      no_log: true\n', { ...base, verbosity: 2 })
    expect(r.text).to.not.include('s3cr3t-value')
    expect(r.text).to.match(/hidden/)
  })

  it('run_once runs on one host and shares the result', async () => {
    const r = await play(
      `- hosts: web
  gather_facts: false
  tasks:
    - command: echo {{ inventory_hostname }}
      run_once: true
      register: once
      changed_when: false
    - debug: msg={{ once.stdout }}
`,
      base,
    )
    expect(r.results('command echo {{ inventory_hostname }}')).to.have.length(1)
    expect(r.results('debug msg={{ once.stdout }}').map((e) => e.msg)).to.deep.equal(['h1', 'h1', 'h1'])
  })
})
