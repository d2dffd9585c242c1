// Yes/no is read one way everywhere (keywords, module arguments, the bool filter, run-time values);
// a templated keyword is rendered when the task runs, or is a load error where it cannot be.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseBool } from '../../src/playbook/bool.js'
import type { RmError } from '../../src/playbook/errors.js'
import type { Task } from '../../src/playbook/model.js'
import { loadProject } from '../helpers/load-playbook.js'
import { play } from '../helpers/run-playbook.js'

function load(yaml: string): { tasks: Task[]; errors: RmError[] } {
  const { playbook, errors } = loadProject(yaml)
  return { tasks: (playbook?.plays[0]!.tasks ?? []) as Task[], errors }
}
const at = (e: RmError) => `${e.pos?.line}:${e.pos?.col} ${e.message}`

const scratch = mkdtempSync(join(tmpdir(), 'rmp-bool-run-'))
const inv = join(scratch, 'hosts')
writeFileSync(inv, '[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\nh3 ansible_connection=local\n')
const base = { inventory: [inv] }

describe('parseBool', () => {
  const cases: [unknown, boolean | undefined][] = [
    [true, true],
    [false, false],
    ['yes', true],
    ['No', false],
    ['on', true],
    ['OFF', false],
    ['true', true],
    ['False', false],
    ['1', true],
    ['0', false],
    [1, true],
    [0, false],
    ['y', true],
    ['n', false],
    ['t', true],
    ['f', false],
    [' yes ', true],
    ['maybe', undefined],
    ['', undefined],
    [2, undefined],
    [null, undefined],
    [undefined, undefined],
    [[], undefined],
    [{}, undefined],
  ]
  for (const [v, want] of cases) it(`${JSON.stringify(v)} → ${want}`, () => expect(parseBool(v)).to.equal(want))
})

describe('yes/no keywords at load time', () => {
  it('strings are read as booleans, not by their truthiness', () => {
    const { tasks, errors } = load(
      '- hosts: all\n  tasks:\n    - ping:\n      run_once: "false"\n      any_errors_fatal: "no"\n      ignore_unreachable: "off"\n      become: "no"\n',
    )
    expect(errors).to.deep.equal([])
    expect(tasks[0]).to.include({ runOnce: false, anyErrorsFatal: false, ignoreUnreachable: false, become: false })
  })
  it('a templated become (and ignore_errors, check_mode, diff, no_log) is kept to render when the task runs', () => {
    const { tasks } = load(
      '- hosts: all\n  become: "{{ play_sudo }}"\n  tasks:\n    - ping:\n      ignore_errors: "{{ x }}"\n    - ping:\n      become: "{{ use_sudo }}"\n',
    )
    expect(tasks[0]).to.include({ become: '{{ play_sudo }}', ignoreErrors: '{{ x }}' })
    expect(tasks[1]!.become).to.equal('{{ use_sudo }}')
  })
  it('a non-boolean, or a template where the play is shaped before hosts run, is an error at file:line:col', () => {
    const { errors } = load(
      '- hosts: all\n  gather_facts: "{{ g }}"\n  force_handlers: sometimes\n  tasks:\n    - ping:\n      become: maybe\n      run_once: "{{ once }}"\n      loop: [1]\n      loop_control: { extended: 2 }\n    - ping:\n      ignore_errors: perhaps\n',
    )
    expect(errors.map(at)).to.deep.equal([
      "6:15 become must be a boolean, got 'maybe'",
      '7:17 run_once cannot be templated: it is decided before any host runs',
      '9:33 loop_control.extended must be a boolean, got 2',
      "11:22 ignore_errors must be a boolean, got 'perhaps'",
      '2:17 gather_facts cannot be templated: it is decided before any host runs',
      "3:19 force_handlers must be a boolean, got 'sometimes'",
    ])
    expect(errors[0]!.pos?.file).to.match(/site\.yml$/)
    expect(errors[0]!.hint).to.match(/true or false/)
  })
  it('role become is read the same way', () => {
    const { playbook, errors } = loadProject({ 'site.yml': '- hosts: all\n  roles:\n    - { role: r, become: "no" }\n', 'roles/r/tasks/main.yml': '- ping:\n' })
    expect(errors).to.deep.equal([])
    expect(playbook!.plays[0]!.tasks[0]!.become).to.equal(false)
  })
})

describe('yes/no keywords at run time', () => {
  it('run_once: "false" runs on every host', async () => {
    const r = await play('- hosts: web\n  gather_facts: false\n  tasks:\n    - command: "true"\n      run_once: "false"\n', base)
    expect(
      r
        .results('command true')
        .map((e) => e.host)
        .sort(),
    ).to.deep.equal(['h1', 'h2', 'h3'])
  })
  it('become: "{{ use_sudo }}" is rendered per host: true means sudo, false means none', async () => {
    // sudo is absent here: a host that really tries to become another user fails saying so.
    const r = await play(
      '- hosts: web\n  gather_facts: false\n  tasks:\n    - command: "true"\n      become: "{{ inventory_hostname == \'h1\' }}"\n      become_user: nobody\n',
      base,
    )
    expect(r.results('command true', 'h1')[0]!.status).to.equal('failed')
    expect(r.results('command true', 'h1')[0]!.msg).to.match(/sudo/)
    expect(
      r
        .results('command true')
        .filter((e) => e.status === 'changed')
        .map((e) => e.host)
        .sort(),
    ).to.deep.equal(['h2', 'h3'])
  })
  it('a rendered ignore_errors that is not a boolean fails loudly instead of reading as false', async () => {
    const r = await play('- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: /bin/false\n      ignore_errors: "{{ \'maybe\' }}"\n', base)
    expect(r.exitCode).to.equal(2)
    expect(r.results('command /bin/false')[0]!.msg).to.match(/ignore_errors must be a boolean, got 'maybe'/)
  })
  it('a rendered no_log that is not a boolean hides the output and fails the task', async () => {
    const r = await play('- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: echo secret\n      no_log: "{{ \'perhaps\' }}"\n', base)
    expect(r.results()[0]!.status).to.equal('failed')
    expect(r.text).to.not.include('secret\n')
  })
  it('the bool filter reads the same spellings', async () => {
    const r = await play(
      "- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: { msg: \"{{ ['off' | bool, 'Yes' | bool, 't' | bool, 'maybe' | bool] }}\" }\n",
      base,
    )
    expect(r.results()[0]!.output!.msg).to.deep.equal([false, true, true, false])
  })
})
