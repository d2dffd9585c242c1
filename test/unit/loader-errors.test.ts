// Loading finds every problem at once, each at file:line:col, before any host is touched.
import { expect } from 'chai'
import { join } from 'node:path'
import { formatError, type RmError } from '../../src/playbook/errors.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import { loadErrors, project } from '../helpers/load-playbook.js'

const errorsOf = loadErrors

const at = (e: RmError) => `${e.pos?.file.split('/').slice(-2).join('/')}:${e.pos?.line}:${e.pos?.col}`

describe('loading: errors with positions', () => {
  it('YAML syntax errors', () => {
    const errs = errorsOf({ 'site.yml': '- hosts: all\n  tasks:\n    - name: x\n      command: [unclosed\n' })
    expect(errs).to.have.length.greaterThan(0)
    expect(errs[0]!.message).to.match(/YAML syntax error/)
    expect(errs[0]!.pos?.line).to.be.greaterThan(3)
  })
  it('unknown module, with a suggestion and the caret on the key', () => {
    const errs = errorsOf({ 'site.yml': '- hosts: all\n  tasks:\n    - name: install\n      commnd: ls\n' })
    expect(errs.map((e) => e.message)).to.deep.equal(["unknown module 'commnd'"])
    expect(at(errs[0]!)).to.match(/site.yml:4:7$/)
    expect(errs[0]!.hint).to.match(/command/)
    expect(formatError(errs[0]!)).to.match(/4 \|       commnd: ls\n\s+\^/)
  })
  it('wrong arguments: unknown, missing, bad type, bad choice — all at once', () => {
    const errs = errorsOf({
      'site.yml': `- hosts: all
  tasks:
    - wait_for: { port: 80, tiemout: 5 }
    - wait_for: { port: eighty }
    - wait_for: { port: 80, state: runing }
    - uri: { method: GET }
`,
    })
    const msgs = errs.map((e) => `${e.pos?.line}: ${e.message}`)
    expect(msgs).to.have.length(4)
    expect(msgs[0]).to.match(/^3: wait_for: unknown argument 'tiemout'; did you mean 'timeout'/)
    expect(msgs[1]).to.match(/^4: wait_for: argument 'port' must be an integer/)
    expect(msgs[2]).to.match(/^5: wait_for: argument 'state' must be one of/)
    expect(msgs[3]).to.match(/^6: uri: missing required argument 'url'/)
  })
  it('bad expressions, unknown filters, tests and lookups, and {% %} statements', () => {
    const errs = errorsOf({
      'site.yml': `- hosts: all
  tasks:
    - debug: { msg: "{{ x | nofilter }}" }
      when: a ==
    - debug: { msg: "{% if x is nosuchtest %}y{% endif %}" }
    - debug: { msg: "{{ lookup('nosuchlookup', 'a') }}" }
    - copy: { content: "{% if x %}y", dest: /tmp/x }
    - debug: { msg: "{{ x | ansible.builtin.to_json | d('') is string }} {{ lookup('env', 'HOME') }} {{ x | community.general.json_query('a') }} {{ x | community.general.to_ini }}" }
    - file: { path: "{{ app_dir }", state: directory }
`,
    })
    const text = errs.map((e) => `${e.pos?.line}: ${e.message}`).join('\n')
    expect(text).to.match(/3: .*no filter named 'nofilter'/)
    expect(text).to.match(/4: bad expression 'a =='/)
    expect(text).to.match(/5: .*no test named 'nosuchtest'/)
    expect(text).to.match(/6: .*lookup plugin \(nosuchlookup\) not found/)
    expect(text).to.match(/7: .*syntax error/)
    expect(text).to.match(/8: .*no filter named 'community.general.to_ini'/)
    expect(text).to.not.match(/named 'community.general.json_query'/)
    expect(text).to.match(/9: bad expression '\{\{ app_dir \}'/) // the issue: a directory literally named `{{ app_dir }`
    expect(errs.map((e) => e.pos?.line).sort()).to.deep.equal([3, 4, 5, 6, 7, 8, 9])
  })
  it('the caret of an expression error points inside the string: at the unknown name, or the tag that does not parse', () => {
    const errs = errorsOf({
      'site.yml': `- hosts: all
  vars:
    v: "pre {{ x | nosuch2 }} post"
  tasks:
    - debug:
        msg: "a {{ x | nosuch }} b"
    - debug:
        msg: 'it''s {{ a }} and {{ b | ansible.builtin.nosuch3 }}'
    - debug:
        msg: "ok {{ a }} then {{ a + }} end"
    - debug:
        msg: >-
          folded {{ y }}
          then {{ y | bad( }} z
    - debug: { msg: "{{ lookup('nosuchlookup', 'x') }}" }
    - debug: { msg: "{{ x }}" }
      when: y | nosuch4
`,
    })
    expect(errs.map(at).map((p) => p.replace(/^.*site.yml/, ''))).to.have.members([':3:20', ':6:24', ':8:56', ':10:31', ':14:16', ':15:33', ':17:17'])
    const caret = formatError(errs.find((e) => /'nosuch'/.test(e.message))!)
    const [, line, under] = caret.split('\n')
    expect(line).to.match(/6 \|         msg: "a \{\{ x \| nosuch \}\} b"/)
    expect(under!.indexOf('^')).to.equal(line!.indexOf('nosuch'))
  })
  it('missing role, missing task file, missing template, missing handler', () => {
    const errs = errorsOf({
      'site.yml': `- hosts: all
  roles: [nosuchrole]
  tasks:
    - import_tasks: missing.yml
    - command: ls
      notify: restart nothing
`,
    })
    const msgs = errs.map((e) => e.message)
    expect(msgs).to.include("role 'nosuchrole' not found")
    expect(msgs).to.include('task file not found: missing.yml')
    expect(msgs).to.include("notify: no handler named 'restart nothing'")
    expect(errs.find((e) => /nosuchrole/.test(e.message))!.pos?.line).to.equal(2)
  })
  it('errors inside roles point into the role files', () => {
    const errs = errorsOf({
      'site.yml': '- hosts: all\n  roles: [web]\n',
      'roles/web/tasks/main.yml': '- name: ok\n  debug: msg=hi\n- name: bad\n  wait_for: { prt: 1 }\n',
    })
    expect(errs).to.have.length(1)
    expect(at(errs[0]!)).to.match(/tasks\/main.yml:4:/)
  })
  it('unknown play keywords and tasks in the wrong place', () => {
    const errs = errorsOf({ 'site.yml': '- hosts: all\n  taks: []\n  command: ls\n' })
    expect(errs.map((e) => e.message)).to.deep.equal(["unknown play keyword 'taks'", "unknown play keyword 'command'"])
    expect(errs[1]!.hint).to.match(/task list/)
  })
  it('keeps arguments as written: defaults are applied at run time and never count as given', () => {
    const d = project({ 'site.yml': '- hosts: all\n  tasks:\n    - wait_for: { path: /x }\n' })
    const t = loadPlaybook(join(d, 'site.yml')).plays[0]!.tasks[0]!
    expect(t.kind === 'task' && t.args).to.deep.equal({ path: '/x' })
  })

  it('a valid playbook with roles, handlers, blocks and imports loads', () => {
    const d = project({
      'site.yml': `- hosts: all
  roles:
    - role: web
      vars: { port: 81 }
      tags: [web]
  tasks:
    - block:
        - import_tasks: more.yml
      rescue:
        - debug: msg=rescued
`,
      'more.yml': '- command: echo hi\n  notify: reload web\n',
      'roles/web/defaults/main.yml': 'port: 80\n',
      'roles/web/tasks/main.yml': '- debug: { msg: "{{ port }}" }\n',
      'roles/web/handlers/main.yml': '- name: reload web\n  debug: msg=reloaded\n',
      'roles/web/meta/main.yml': 'dependencies: [base]\n',
      'roles/base/tasks/main.yml': '- ping:\n',
    })
    const pb = loadPlaybook(join(d, 'site.yml'))
    const play = pb.plays[0]!
    expect(play.tasks.map((t) => (t.kind === 'task' ? t.module : t.kind))).to.deep.equal(['ping', 'debug', 'block'])
    expect(play.handlers.map((h) => h.name)).to.deep.equal(['reload web'])
    const roleTask = play.tasks[1]!
    expect(roleTask.tags).to.deep.equal(['web'])
    expect(roleTask.role?.name).to.equal('web')
  })
})
