// A task's arguments are rendered once per host: read-ahead's render is kept for the task's turn
// (engine/arg-cache.ts), and not used when anything it read may have changed in between.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ArgCache } from '../../src/engine/arg-cache.js'
import type { ResolvedTask } from '../../src/engine/resolved-task.js'
import { renderValue } from '../../src/playbook/expression.js'
import type { Task } from '../../src/playbook/model.js'
import { VarScope } from '../../src/playbook/vars.js'
import { play } from '../helpers/run-playbook.js'

const task = (over: Partial<Task> = {}): Task =>
  ({ kind: 'task', module: 'stat', args: { path: '{{ p }}' }, vars: [], environment: [], when: [], tags: [], notify: [], listen: [], ...over }) as Task

describe('arg cache: what a kept render depends on', () => {
  const resolved: ResolvedTask = { check: false, diff: false }
  /** Renders the task's path in a scope of `vars` (the set_fact layer), recording what it reads. */
  function kept(cache: ArgCache, t: Task, vars: Record<string, unknown>, gen = 0): void {
    const scope = new VarScope([{ name: 'set_fact and register', values: vars, data: true }])
    const reads = scope.recordReads()
    const args = renderValue(t.args, scope) as Record<string, unknown>
    cache.keep(gen, t, 'h1', reads, { args, resolved })
  }
  const scopeOf = (vars: Record<string, unknown>) => new VarScope([{ name: 'set_fact and register', values: vars, data: true }])

  it('the same variables, generation and task: the kept arguments', () => {
    const c = new ArgCache()
    const t = task()
    const p = { dir: '/a' }
    kept(c, t, { p: '/a', q: p })
    expect(c.find(0, t, 'h1', scopeOf({ p: '/a', q: { dir: '/b' } }), true)?.args).to.deep.equal({ path: '/a' })
  })

  it('a variable it read that changed (a set_fact or register in between) misses', () => {
    const c = new ArgCache()
    const t = task()
    kept(c, t, { p: '/a' })
    expect(c.find(0, t, 'h1', scopeOf({ p: '/b' }), false)).to.equal(undefined)
    // an object read is compared as the object: a new result of the same shape misses too
    const t2 = task({ args: { path: '{{ r.path }}' } })
    kept(c, t2, { r: { path: '/a' } })
    expect(c.find(0, t2, 'h1', scopeOf({ r: { path: '/a' } }), false)).to.equal(undefined)
  })

  it('a variable that was undefined and now is defined misses', () => {
    const c = new ArgCache()
    const t = task({ args: { path: "{{ p | default('/a') }}" } })
    kept(c, t, {})
    expect(c.find(0, t, 'h1', scopeOf({}), false)?.args).to.deep.equal({ path: '/a' })
    expect(c.find(0, t, 'h1', scopeOf({ p: '/b' }), false)).to.equal(undefined)
  })

  it('another generation (a step ran somewhere), another host or another keyword misses', () => {
    const c = new ArgCache()
    const t = task()
    kept(c, t, { p: '/a' })
    expect(c.find(1, t, 'h1', scopeOf({ p: '/a' }), false)).to.equal(undefined)
    expect(c.find(0, t, 'h2', scopeOf({ p: '/a' }), false)).to.equal(undefined)
    expect(c.find(0, { ...t, become: true }, 'h1', scopeOf({ p: '/a' }), false)).to.equal(undefined)
    expect(c.find(0, { ...t, args: { ...t.args } }, 'h1', scopeOf({ p: '/a' }), false)).to.equal(undefined)
  })

  it("the task's turn takes the kept render out", () => {
    const c = new ArgCache()
    const t = task()
    kept(c, t, { p: '/a' })
    expect(c.find(0, t, 'h1', scopeOf({ p: '/a' }), true)).not.to.equal(undefined)
    expect(c.find(0, t, 'h1', scopeOf({ p: '/a' }), true)).to.equal(undefined)
  })
})

describe('arg cache: in a run (local connection)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-argcache-'))
  writeFileSync(join(dir, 'a'), 'a\n')
  const inventory = [join(dir, 'hosts')]
  writeFileSync(inventory[0]!, 'h1 ansible_connection=local\nh2 ansible_connection=local\n')
  const msgs = (r: Awaited<ReturnType<typeof play>>) => r.results('report').map((e) => `${e.host}:${String(e.output?.msg)}`)

  it('tasks read ahead use the arguments rendered then: one render per task and host', async () => {
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars: { d: ${dir} }\n  tasks:\n` +
        [1, 2, 3, 4].map((i) => `    - stat: { path: "{{ d }}/a${i}" }\n`).join('') +
        `    - name: report\n      debug: { msg: ok }\n`,
      { inventory },
    )
    expect(r.exitCode, r.text).to.equal(0)
    // the first stat reads the other three ahead, on each of the two hosts
    expect(r.run.counters.argsReused).to.equal(6)
  })

  it('a set_fact between the read-ahead and the task: the task renders with the new value', async () => {
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars: { p: ${dir}/a }\n  tasks:\n` +
        `    - stat: { path: ${dir} }\n` +
        `    - set_fact: { p: ${dir}/b }\n` +
        `    - stat: { path: "{{ p }}" }\n      register: t\n` +
        `    - name: report\n      debug: { msg: "{{ t.stat.exists }}" }\n`,
      { inventory },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(msgs(r)).to.deep.equal(['h1:false', 'h2:false'])
  })

  it('a register between the read-ahead and the task: the task renders with the registered result', async () => {
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars: { s: { stat: { path: ${dir}/a } } }\n  tasks:\n` +
        `    - stat: { path: ${dir} }\n` +
        `    - stat: { path: ${dir}/b }\n      register: s\n` +
        `    - stat: { path: "{{ s.stat.path | default('${dir}/b') }}" }\n      register: t\n` +
        `    - name: report\n      debug: { msg: "{{ t.stat.exists }}" }\n`,
      { inventory },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(msgs(r)).to.deep.equal(['h1:false', 'h2:false'])
  })
})
