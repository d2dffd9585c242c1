// group's plan on state recorded on a lab host.
import { expect } from 'chai'
import { group, type GroupArgs } from '../../../src/modules/group.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { Change, ExecStep, ProbeContext } from '../../../src/modules/types.js'
import { groupProbe, type GroupEntry } from '../../../src/probes/accounts.js'
import { ACCOUNTS } from '../probes/system-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

function run(input: Record<string, unknown>, st: GroupEntry | null): Change[] {
  const { args, problems } = checkArgs(group.args, input, false)
  expect(problems).to.deep.equal([])
  return group.plan(args as GroupArgs, { group: st }, ctx)
}

const recorded = groupProbe('rmp-app').parse(ACCOUNTS.group)
const steps = (c: Change) => c.steps.map((s) => (s as ExecStep).script.text)

describe('modules/group', () => {
  it('creates with the gid, then nothing (the recorded group is what groupadd made)', () => {
    const ch = run({ name: 'rmp-app', gid: 2345 }, null)
    expect(ch[0]!.summary).to.equal('create group rmp-app (gid 2345)')
    expect(steps(ch[0]!)).to.deep.equal(['groupadd -g 2345 -- rmp-app && getent group -- rmp-app'])
    expect(ch[0]!.diff).to.deep.equal({ before: 'group rmp-app: (absent)\n', after: 'group rmp-app: present (gid 2345)\n' })
    expect(run({ name: 'rmp-app', gid: 2345 }, recorded)).to.deep.equal([])
    expect(run({ name: 'rmp-app' }, recorded)).to.deep.equal([])
  })
  it('a system group; a changed gid; removal', () => {
    expect(steps(run({ name: 'svc', system: true }, null)[0]!)).to.deep.equal(['groupadd -r -- svc && getent group -- svc'])
    const ch = run({ name: 'rmp-app', gid: 3000, non_unique: true }, recorded)
    expect(ch[0]!.summary).to.equal('change the gid of group rmp-app from 2345 to 3000')
    expect(steps(ch[0]!)).to.deep.equal(['groupmod -g 3000 -o -- rmp-app'])
    expect(steps(run({ name: 'rmp-app', state: 'absent' }, recorded)[0]!)).to.deep.equal(['groupdel -- rmp-app'])
    expect(run({ name: 'rmp-app', state: 'absent' }, null)).to.deep.equal([])
  })
  it("result: gid from groupadd's output", () => {
    const args = checkArgs(group.args, { name: 'svc', system: true }, false).args as GroupArgs
    const ch = group.plan(args, { group: null }, ctx)
    expect(group.result!(args, { group: null }, [{ step: ch[0]!.steps[0]!, code: 0, stdout: 'svc:x:997:\n', stderr: '' }], ctx)).to.deep.equal({
      name: 'svc',
      state: 'present',
      system: true,
      gid: 997,
    })
  })
  it('arguments', () => {
    expect(group.validate!({ name: 'a b', state: 'present', system: false, non_unique: false, force: false })).to.deep.equal([
      "'a b' is not a valid group name",
    ])
    expect(checkArgs(group.args, { name: 'a', gid: 'x' }, true).problems[0]!.message).to.match(/argument 'gid' must be an integer/)
  })
})
