// tempfile: one mktemp step, always a change; the result as Ansible's (path and its attributes).
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { parseMktemp, tempfile } from '../../../src/modules/tempfile.js'
import type { ExecStep, PlanContext } from '../../../src/modules/types.js'

const ctx: PlanContext = { host: 'h', facts: {}, diff: false }
const args = (a: Record<string, unknown>) => checkArgs(tempfile.args, a, false).args as never

describe('tempfile', () => {
  it('plans mktemp with the prefix, suffix and directory, every time', () => {
    const [c] = tempfile.plan(args({ state: 'directory', path: '/var/tmp', prefix: '-x', suffix: '.d' }), {}, ctx)
    expect(c!.summary).to.equal('create a temporary directory in /var/tmp')
    expect(String((c!.steps[0] as ExecStep).script)).to.include('mktemp -d --tmpdir=/var/tmp --suffix=.d -- -xXXXXXXXX')
    const [f] = tempfile.plan(args({}), {}, ctx)
    expect(String((f!.steps[0] as ExecStep).script)).to.include('mktemp --tmpdir -- ansible.XXXXXXXX')
  })

  it('returns the path and what Ansible adds to it', () => {
    expect(parseMktemp('/tmp/ansible.Ab3dEf9h\n0 0 600 0 root root\n', 'file')).to.deep.equal({
      path: '/tmp/ansible.Ab3dEf9h',
      uid: 0,
      gid: 0,
      owner: 'root',
      group: 'root',
      mode: '0600',
      size: 0,
      state: 'file',
    })
  })

  it('is skipped in check mode, as Ansible does with a module without check mode support', () => {
    expect(tempfile.checkMode).to.equal(false)
  })
})
