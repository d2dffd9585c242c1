import { expect } from 'chai'
import type { HostResultEvent } from '../../src/engine/events.js'
import { adHocTaskArgs, isAdHoc, pyJson, splitAdHoc } from '../../src/cli/adhoc.js'
import { adHocLine } from '../../src/cli/adhoc-report.js'

const ev = (e: Partial<HostResultEvent>): HostResultEvent => ({
  type: 'host-result',
  task: 't',
  taskIndex: 0,
  handler: false,
  host: 'web1',
  status: 'ok',
  check: false,
  changes: [],
  diffs: [],
  durationMs: 1,
  ...e,
})

describe('cli ad-hoc: parsing and result lines', () => {
  it('issue 9: -m/-a in every spelling are taken out; the rest goes to the playbook flags', () => {
    expect(isAdHoc(['all', '-m', 'ping'])).to.equal(true)
    expect(isAdHoc(['all', '-mping'])).to.equal(true)
    expect(isAdHoc(['all', '--args=echo hi'])).to.equal(true)
    expect(isAdHoc(['site.yml', '-i', 'inv'])).to.equal(false)
    expect(isAdHoc(['site.yml', '--', '-m'])).to.equal(false)
    expect(splitAdHoc(['web', '-i', 'inv', '-mshell', '--args', 'ls -l', '-b'])).to.deep.equal({
      module: 'shell',
      args: 'ls -l',
      rest: ['web', '-i', 'inv', '-b'],
    })
    expect(splitAdHoc(['web', '--module-name=copy', '-a', 'src=a dest=b'])).to.deep.equal({ module: 'copy', args: 'src=a dest=b', rest: ['web'] })
    expect(() => splitAdHoc(['web', '-m'])).to.throw(/-m needs a value/)
  })

  it('issue 9: -a is k=v words or a free-form command (kept as a string), or a JSON/YAML mapping', () => {
    expect(adHocTaskArgs('name=x state=present')).to.equal('name=x state=present')
    expect(adHocTaskArgs('{"name": "x", "n": 2}')).to.deep.equal({ name: 'x', n: 2 })
    expect(adHocTaskArgs(undefined)).to.equal(null)
    expect(() => adHocTaskArgs('{"a": 1')).to.throw()
  })

  it("issue 9: result lines as ansible's minimal callback prints them", () => {
    expect(adHocLine(ev({ status: 'changed', output: { rc: 0, stdout: 'hi', stderr: '' } }), 'command')).to.equal('web1 | CHANGED | rc=0 >>\nhi')
    expect(adHocLine(ev({ status: 'failed', msg: 'run: x', output: { rc: 3, stdout: 'o', stderr: 'e' } }), 'shell')).to.equal(
      'web1 | FAILED | rc=3 >>\noenon-zero return code',
    )
    expect(adHocLine(ev({ status: 'ok', output: { ping: 'pong' } }), 'ping')).to.equal('web1 | SUCCESS => {\n    "changed": false,\n    "ping": "pong"\n}')
    expect(adHocLine(ev({ status: 'changed', output: { path: '/x', rc: 0, stdout: 'probe' } }), 'file')).to.equal(
      'web1 | CHANGED => {\n    "changed": true,\n    "path": "/x"\n}',
    )
    expect(adHocLine(ev({ status: 'failed', msg: 'boom' }), 'file')).to.equal('web1 | FAILED! => {\n    "changed": false,\n    "msg": "boom"\n}')
    expect(adHocLine(ev({ status: 'unreachable', msg: 'no route' }), 'ping')).to.equal(
      'web1 | UNREACHABLE! => {\n    "changed": false,\n    "msg": "no route",\n    "unreachable": true\n}',
    )
    expect(adHocLine(ev({ status: 'skipped' }), 'ping')).to.equal('web1 | SKIPPED')
    expect(adHocLine(ev({ status: 'changed', check: true, changes: [{ summary: 'run', uncertain: true }] }), 'command')).to.equal('web1 | SKIPPED')
  })

  it("issue 9: JSON as Python's json.dumps(indent=4, sort_keys=True)", () => {
    expect(pyJson({ b: [1, { z: null, a: 'é' }], a: {}, c: [] })).to.equal(
      '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "a": "\\u00e9",\n            "z": null\n        }\n    ],\n    "c": []\n}',
    )
  })
})
