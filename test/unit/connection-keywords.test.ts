// The play and task keywords remote_user, connection and ignore_unreachable take effect (variables
// win over them, as in Ansible); Ansible keywords rm-play does not implement are load errors.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SshConnection } from '../../src/connection/ssh.js'
import { ConnectionPool } from '../../src/engine/connect.js'
import type { RunOptions } from '../../src/engine/options.js'
import { connectionFor, type PlayRuntime } from '../../src/engine/runtime.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import type { RmError } from '../../src/playbook/errors.js'
import { loadErrors } from '../helpers/load-playbook.js'
import { play } from '../helpers/run-playbook.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-kw-'))
// An ssh host that refuses at once: reachable only if a keyword makes the connection local.
const inv = join(scratch, 'hosts')
writeFileSync(inv, '[refused]\nfar ansible_host=127.0.0.1 ansible_port=1\n[locals]\nnear ansible_connection=local\n')
const base = { inventory: [inv] }

const errorsOf = (yaml: string) => loadErrors(yaml)
const at = (e: RmError) => `${e.pos?.line}:${e.pos?.col}`

function runtimeWith(play: { remoteUser?: string }, remoteUser?: string): PlayRuntime {
  const opts = { hostKeyChecking: 'yes', connectTimeoutMs: 1000, remoteUser, inventory: loadInventory([]) } as unknown as RunOptions
  return { options: opts, pool: new ConnectionPool(opts), play } as unknown as PlayRuntime
}
const userOf = (c: unknown) => (c as SshConnection).target.user

describe('remote_user and connection keywords', () => {
  it('remote_user is the login user unless a variable names one; it beats -u', () => {
    const rt = runtimeWith({}, 'cli-user')
    expect(userOf(connectionFor(rt, 'web1', {}, { remoteUser: 'deploy' }))).to.equal('deploy')
    expect(userOf(connectionFor(rt, 'web2', { ansible_user: 'inv' }, { remoteUser: 'deploy' }))).to.equal('inv')
    expect(userOf(connectionFor(rt, 'web3', {}, {}))).to.equal('cli-user')
  })
  it('a remote_user in effect gets its own connection, to the same address', () => {
    const rt = runtimeWith({})
    const plain = connectionFor(rt, 'web1', { ansible_user: undefined, ansible_host: '10.0.0.5' }, {})
    const deploy = connectionFor(rt, 'web1', { ansible_host: '10.0.0.5' }, { remoteUser: 'deploy' })
    expect(deploy).to.not.equal(plain)
    expect((deploy as SshConnection).target.address).to.equal('10.0.0.5')
    expect(connectionFor(rt, 'web1', { ansible_host: '10.0.0.5' }, { remoteUser: 'deploy' })).to.equal(deploy)
  })
  it('a templated task remote_user is rendered and used to log in', async () => {
    const r = await play(
      '- hosts: refused\n  gather_facts: false\n  vars: { u: deploy }\n  tasks:\n    - command: "true"\n      remote_user: "{{ u }}"\n',
      base,
    )
    expect(r.results('command true')[0]).to.include({ status: 'unreachable' })
    expect(r.results('command true')[0]!.msg).to.match(/^ssh deploy@127\.0\.0\.1:1: /)
  })
  it('facts gathering logs in as the play remote_user, and runs locally under play connection: local', async () => {
    const r = await play('- hosts: refused\n  remote_user: deploy\n  tasks:\n    - command: "true"\n', base)
    expect(r.results('Gathering Facts')[0]!.msg).to.match(/^ssh deploy@127\.0\.0\.1:1: /)
    const local = await play('- hosts: refused\n  connection: local\n  tasks:\n    - command: "true"\n', base)
    expect(local.exitCode, local.text).to.equal(0)
    expect(local.stats.far!.ok).to.equal(2)
  })
  it('play connection: local runs an ssh host locally', async () => {
    const r = await play('- hosts: refused\n  gather_facts: false\n  connection: local\n  tasks:\n    - command: "true"\n', base)
    expect(r.exitCode).to.equal(0)
    expect(r.stats.far!.ok).to.equal(1)
  })
  it('task connection: local, templated, on one task only', async () => {
    const r = await play(
      '- hosts: refused\n  gather_facts: false\n  vars: { how: local }\n  tasks:\n    - command: "true"\n      connection: "{{ how }}"\n    - command: "true"\n',
      base,
    )
    expect(r.stats.far).to.include({ ok: 1, unreachable: 1 })
  })
  it('the inventory ansible_connection wins over the play keyword', async () => {
    const r = await play('- hosts: locals\n  gather_facts: false\n  connection: ssh\n  tasks:\n    - command: "true"\n', base)
    expect(r.exitCode).to.equal(0)
  })
  it('play ignore_unreachable is inherited by its tasks', async () => {
    const r = await play('- hosts: refused\n  gather_facts: false\n  ignore_unreachable: true\n  tasks:\n    - command: "true"\n    - debug: msg=after\n', base)
    expect(r.results('debug msg=after').map((e) => e.host)).to.deep.equal(['far'])
  })
  it('play environment may be a template (it was dropped unless a literal mapping) or is an error', async () => {
    const r = await play(
      '- hosts: locals\n  gather_facts: false\n  vars: { envs: { GREETING: hi } }\n  environment: "{{ envs }}"\n  tasks:\n    - shell: echo "$GREETING"\n      register: out\n    - debug: msg={{ out.stdout }}\n',
      base,
    )
    expect(r.results('debug msg={{ out.stdout }}')[0]!.msg).to.equal('hi')
    expect(errorsOf('- hosts: all\n  environment: [A=1]\n  tasks: []\n').map((e) => `${at(e)} ${e.message}`)).to.deep.equal([
      '2:16 environment must be a mapping of names to values',
    ])
  })
  it('task keywords on a role entry apply to its tasks instead of becoming role variables', async () => {
    const r = await play(
      '- hosts: locals\n  gather_facts: false\n  roles:\n    - { role: r, ignore_errors: true, who: param }\n  tasks:\n    - debug: msg=after\n',
      { ...base, files: { 'roles/r/tasks/main.yml': '- command: /bin/false\n- debug: msg="{{ who }} {{ ignore_errors | default(\'unset\') }}"\n' } },
    )
    expect(r.exitCode).to.equal(0)
    expect(
      r
        .results()
        .filter((e) => e.task.startsWith('debug msg="'))
        .map((e) => e.msg),
    ).to.deep.equal(['param unset'])
    expect(r.results('debug msg=after')).to.have.length(1)
  })
  it('an unknown connection plugin is a load error', () => {
    const errs = errorsOf('- hosts: all\n  connection: winrm\n  tasks:\n    - ping:\n      connection: docker\n')
    expect(errs.map((e) => `${at(e)} ${e.message}`)).to.deep.equal(["2:15 connection 'winrm' is not supported", "5:19 connection 'docker' is not supported"])
  })
  it('a templated play remote_user is rendered per task and checked at load time', () => {
    const errs = errorsOf('- hosts: all\n  remote_user: "{{ who | }}"\n  tasks: []\n')
    expect(errs.map(at)).to.deep.equal(['2:17']) // the `{{` that does not parse, inside the quotes
    expect(errs[0]!.message).to.match(/^bad expression/)
  })
})

describe('Ansible keywords rm-play does not implement', () => {
  it('are errors at file:line:col on plays, tasks and blocks', () => {
    const errs = errorsOf(
      '- hosts: all\n  port: 2222\n  order: sideways\n  throttle: 2\n  timeout: 5\n  tasks:\n    - ping:\n      throttle: 1\n      delegate_facts: true\n    - block:\n        - ping:\n      debugger: on_failed\n      timeout: 3\n',
    )
    expect(errs.map((e) => `${at(e)} ${e.message}`)).to.deep.equal([
      "2:3 the Ansible keyword 'port' is not supported on a play",
      "4:3 the Ansible keyword 'throttle' is not supported on a play",
      "5:3 the Ansible keyword 'timeout' is not supported on a play",
      "8:7 the Ansible keyword 'throttle' is not supported on a task or block",
      "9:7 the Ansible keyword 'delegate_facts' is not supported on a task or block",
      "12:7 the Ansible keyword 'debugger' is not supported on a task or block",
      "13:7 the Ansible keyword 'timeout' is not supported on a task or block",
      "3:10 unknown order 'sideways'",
    ])
    expect(errs[0]!.pos?.file).to.match(/site\.yml$/)
    expect(errs[0]!.hint).to.match(/remove it/)
  })
  it('on a role entry too', () => {
    const errs = errorsOf('- hosts: all\n  roles:\n    - { role: r, throttle: 2, run_once: maybe }\n')
    expect(errs.map((e) => `${at(e)} ${e.message}`).filter((m) => !m.includes('not found'))).to.deep.equal([
      "3:41 run_once must be a boolean, got 'maybe'",
      "3:18 the Ansible keyword 'throttle' is not supported on a role",
    ])
  })
  it('become_method other than sudo or su is an error (it would silently be one of them)', () => {
    const errs = errorsOf('- hosts: all\n  become_method: su\n  tasks:\n    - ping:\n      become_method: sudo\n    - ping:\n      become_method: doas\n')
    expect(errs.map((e) => `${at(e)} ${e.message}`)).to.deep.equal(["7:22 become_method 'doas' is not supported"])
  })
})
