// sysctl: the file edit and the decisions (write, reload, sysctl -w) follow ansible.posix.sysctl.
import { expect } from 'chai'
import { settleNeeds } from '../../../src/engine/needs.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { editSysctlFile, sameValue, sysctl, sysctlValue, type SysctlArgs } from '../../../src/modules/sysctl.js'
import type { ProbeContext, PutStep } from '../../../src/modules/types.js'
import { parseSysctlValue } from '../../../src/probes/sysctl.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

function args(a: Record<string, unknown>): SysctlArgs {
  const r = checkArgs(sysctl.args, { name: 'net.ipv4.ip_forward', ...a }, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return r.args as SysctlArgs
}

/** The summaries of the plan for a file's text (null: no file) and a running value. */
function plan(a: Record<string, unknown>, text: string | null, running: string | null): string[] {
  const file = text === null ? missingPath('/etc/sysctl.conf') : fakePath('/etc/sysctl.conf', { content: text })
  return settleNeeds(sysctl.plan(args(a), { file, running }, ctx), ctx.check).map((c) => c.summary)
}

describe('sysctl', () => {
  it('the file as Ansible rewrites it: trimmed lines, key=value, the first line of a key kept, its value from the last', () => {
    const text = '# c\n  a.b = 2 \n\n; x\nnet.ipv4.ip_forward = 0\na.b=1\nnet.ipv4.ip_forward=5\nno equals\n'
    expect(editSysctlFile(text, 'net.ipv4.ip_forward', '1', 'present')).to.deep.equal({
      current: '5',
      text: '# c\na.b=2\n\n; x\nnet.ipv4.ip_forward=1\nno equals\n',
    })
    expect(editSysctlFile(text, 'net.ipv4.ip_forward', '', 'absent').text).to.equal('# c\na.b=2\n\n; x\nno equals\n')
    expect(editSysctlFile('a=1', 'b', '2', 'present')).to.deep.equal({ current: undefined, text: 'a=1\nb=2\n' })
  })

  it('values: boolean spellings are 1/0; running values compare word by word', () => {
    expect(['yes', 'True', 'on', '0', 'off', ' 5 '].map(sysctlValue)).to.deep.equal(['1', '1', '1', '0', '0', '5'])
    expect(sameValue('4096\t87380  6291456', '4096 87380 6291456')).to.equal(true)
    expect(sameValue(null, '1')).to.equal(false)
    expect(parseSysctlValue('value 1\n')).to.equal('1')
    expect(parseSysctlValue('none\n')).to.equal(null)
  })

  it('plans: write and reload, reload alone, sysctl -w, nothing', () => {
    expect(plan({ value: '1' }, null, '0')).to.deep.equal(['create /etc/sysctl.conf (net.ipv4.ip_forward=1)', 'reload /etc/sysctl.conf (sysctl -p)'])
    expect(plan({ value: '1' }, 'net.ipv4.ip_forward=1\n', '1')).to.deep.equal([])
    // the file is right, the kernel is not: reload fixes it, unless reload is off
    expect(plan({ value: '1' }, 'net.ipv4.ip_forward=1\n', '0')).to.deep.equal(['reload /etc/sysctl.conf (sysctl -p)'])
    expect(plan({ value: '1', reload: false }, 'net.ipv4.ip_forward=1\n', '0')).to.deep.equal([])
    expect(plan({ value: '1', reload: false, sysctl_set: true }, 'net.ipv4.ip_forward=1\n', '0')).to.deep.equal([
      'set net.ipv4.ip_forward to 1 in the running kernel (now 0)',
    ])
    // an unreadable running value is a change Ansible reports without doing anything
    expect(plan({ value: '1', reload: false, sysctl_set: true }, 'net.ipv4.ip_forward=1\n', null)).to.deep.equal([
      'net.ipv4.ip_forward: the running value cannot be read',
    ])
    expect(plan({ state: 'absent' }, 'net.ipv4.ip_forward=1\n', '1')).to.have.length(2)
    expect(plan({ state: 'absent' }, '# nothing\n', '1')).to.deep.equal([])
  })

  it('a changed file is written whole', () => {
    const file = fakePath('/etc/sysctl.conf', { content: ' net.ipv4.ip_forward = 0\n' })
    const ch = settleNeeds(sysctl.plan(args({ value: 'yes', reload: false }), { file, running: '0' }, ctx), ctx.check)
    expect((ch[0]!.steps.at(-1) as PutStep).content.toString()).to.equal('net.ipv4.ip_forward=1\n')
  })

  it('checks arguments at load time', () => {
    const v = (a: Record<string, unknown>) => sysctl.validate!(checkArgs(sysctl.args, a, true).args as never)
    expect(v({ name: '-p', value: '1' })).to.deep.equal(["name must not begin with '-': -p"])
    expect(v({ name: 'a', value: '' })).to.deep.equal(['value cannot be blank'])
    expect(checkArgs(sysctl.args, { name: 'a' }, true).problems.map((p) => p.message)).to.have.length(1)
  })
})
