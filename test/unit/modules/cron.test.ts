// cron's plan on crontabs recorded on lab hosts: Ansible's "#Ansible: NAME" entries, env lines,
// cron.d files; then the crontab after → no change.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { cron, cronEdit, jobLine, type CronArgs } from '../../../src/modules/cron.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext, type PutStep } from '../../../src/modules/types.js'
import { parseCrontabState, type CrontabState } from '../../../src/probes/cron.js'
import { CRON } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...real, check: true }

function args(input: Record<string, unknown>): CronArgs {
  const { args, problems } = checkArgs(cron.args, input, false)
  expect(problems).to.deep.equal([])
  return args as CronArgs
}

function run(input: Record<string, unknown>, st: CrontabState, ctx = real): Change[] {
  const a = args(input)
  return settleNeeds(cron.plan(a, { crontab: st }, ctx), ctx.check)
}

const st = (k: keyof typeof CRON) => parseCrontabState(CRON[k].stdout)
/** The crontab after a change: what its last step wrote. */
function written(st0: CrontabState, c: Change): CrontabState {
  const last = c.steps[c.steps.length - 1]!
  const text = last.kind === 'put' ? String(last.content) : ((last.stdin as string | undefined) ?? '')
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  return { ...st0, exists: lines.length > 0, lines }
}

describe('modules/cron: user crontabs', () => {
  it('adds a named job with crontab -u USER -, then nothing (the recorded crontab is what it wrote)', () => {
    const input = { name: 'rmp job', minute: '*/5', job: '/bin/true rmp', user: 'rmp-user' }
    const ch = run(input, st('none'))
    expect(ch[0]!.summary).to.equal("add job 'rmp job' in crontab of rmp-user")
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.script.text).to.equal('crontab -u rmp-user -')
    expect(step.stdin).to.equal('#Ansible: rmp job\n*/5 * * * * /bin/true rmp\n')
    expect(ch[0]!.diff).to.deep.equal({ path: 'crontab of rmp-user', before: '', after: '#Ansible: rmp job\n*/5 * * * * /bin/true rmp\n' })
    expect(run(input, written(st('none'), ch[0]!))).to.deep.equal([])
    expect(run(input, st('user'))).to.deep.equal([])
  })
  it('changes the line under the marker in place; disabled comments it out', () => {
    const ch = run({ name: 'rmp job', hour: '3', minute: '0', job: '/bin/true rmp', user: 'rmp-user', disabled: true }, st('user'))
    expect(ch[0]!.summary).to.equal("update job 'rmp job' in crontab of rmp-user")
    expect((ch[0]!.steps[0] as ExecStep).stdin).to.equal('PATH=/usr/bin:/bin\n#Ansible: rmp job\n#0 3 * * * /bin/true rmp\n')
  })
  it('removes the marker and its job; an empty crontab is removed with crontab -r', () => {
    const ch = run({ name: 'rmp job', state: 'absent', user: 'rmp-user' }, st('user'))
    expect((ch[0]!.steps[0] as ExecStep).stdin).to.equal('PATH=/usr/bin:/bin\n')
    const only: CrontabState = { ...st('user'), lines: ['#Ansible: x', '@daily y'] }
    expect(run({ name: 'x', state: 'absent', user: 'rmp-user' }, only)[0]!.steps.map((s) => (s as ExecStep).script.text)).to.deep.equal([
      'crontab -u rmp-user -r',
    ])
    expect(run({ name: 'gone', state: 'absent', user: 'rmp-user' }, st('user'))).to.deep.equal([])
  })
  it('env: variables at the top, or after/before another; updated in place; removed', () => {
    const s = st('user')
    expect((run({ name: 'MAILTO', env: true, job: 'ops@example.com', user: 'rmp-user' }, s)[0]!.steps[0] as ExecStep).stdin).to.equal(
      'MAILTO="ops@example.com"\nPATH=/usr/bin:/bin\n#Ansible: rmp job\n*/5 * * * * /bin/true rmp\n',
    )
    expect((run({ name: 'SHELL', env: true, job: '/bin/bash', insertafter: 'PATH', user: 'rmp-user' }, s)[0]!.steps[0] as ExecStep).stdin).to.match(
      /^PATH=\/usr\/bin:\/bin\nSHELL="\/bin\/bash"\n/,
    )
    expect((run({ name: 'PATH', env: true, job: '/bin', user: 'rmp-user' }, s)[0]!.steps[0] as ExecStep).stdin).to.match(/^PATH="\/bin"\n#Ansible/)
    // As Ansible: an unquoted line is rewritten quoted (PATH="..."), a quoted one is left alone.
    expect((run({ name: 'PATH', env: true, job: '/usr/bin:/bin', user: 'rmp-user' }, s)[0]!.steps[0] as ExecStep).stdin).to.match(/^PATH="\/usr\/bin:\/bin"\n/)
    const quoted = written(s, run({ name: 'PATH', env: true, job: '/usr/bin:/bin', user: 'rmp-user' }, s)[0]!)
    expect(run({ name: 'PATH', env: true, job: '/usr/bin:/bin', user: 'rmp-user' }, quoted)).to.deep.equal([])
    expect((run({ name: 'PATH', env: true, state: 'absent', user: 'rmp-user' }, s)[0]!.steps[0] as ExecStep).stdin).to.equal(
      '#Ansible: rmp job\n*/5 * * * * /bin/true rmp\n',
    )
  })
  it('backup keeps the old crontab first', () => {
    const ch = run({ name: 'n', job: 'j', backup: true, user: 'rmp-user' }, st('user'))
    expect((ch[0]!.steps[0] as ExecStep).script.text).to.equal('b=$(mktemp /tmp/crontab.XXXXXXXX) && crontab -u rmp-user -l > "$b" && echo "backup_file=$b"')
  })
  it('no such user / no cron: errors in a real run, uncertain in check mode', () => {
    expect(() => run({ name: 'n', job: 'j', user: 'nosuchuser' }, st('noUser'))).to.throw(ModuleFailure, 'cron: user nosuchuser does not exist')
    expect(() => run({ name: 'n', job: 'j' }, st('notInstalled'))).to.throw(ModuleFailure, 'cron: the crontab command is missing (install the cron package)')
    const c = run({ name: 'n', job: 'j', user: 'nosuchuser' }, st('noUser'), check)
    expect(c[0]).to.deep.include({ summary: "add job 'n' in crontab of nosuchuser (user nosuchuser does not exist yet)", uncertain: true, steps: [] })
  })
})

describe('modules/cron: cron.d files', () => {
  it('writes the file atomically with the user field, then nothing (recorded)', () => {
    const input = { name: 'rmp daily', special_time: 'daily', job: '/bin/true daily', cron_file: 'rmp-test', user: 'rmp-user' }
    const ch = run(input, { ...st('fileNotInstalled'), crontabCommand: true })
    const put = ch[0]!.steps[0] as PutStep
    expect([put.kind, put.path, put.mode, put.owner, put.content]).to.deep.equal([
      'put',
      '/etc/cron.d/rmp-test',
      '0644',
      'root',
      '#Ansible: rmp daily\n@daily rmp-user /bin/true daily\n',
    ])
    expect(run(input, st('file'))).to.deep.equal([])
  })
  it('a file left empty is deleted; absent without a name deletes the file', () => {
    const ch = run({ name: 'rmp daily', state: 'absent', cron_file: 'rmp-test' }, st('file'))
    expect((ch[0]!.steps[0] as ExecStep).script.text).to.equal('rm -f -- /etc/cron.d/rmp-test')
    expect(run({ state: 'absent', cron_file: 'rmp-test' }, st('file'))[0]!.summary).to.equal('remove /etc/cron.d/rmp-test')
    expect(run({ state: 'absent', cron_file: 'rmp-test' }, { ...st('file'), exists: false, lines: [] })).to.deep.equal([])
  })
  it('the job line: user field only in cron files, # when disabled', () => {
    expect(jobLine(args({ name: 'a', job: 'j', minute: '5', cron_file: 'f' }))).to.equal('5 * * * * root j')
    expect(jobLine(args({ name: 'a', job: 'j', special_time: 'reboot', disabled: true }))).to.equal('#@reboot j')
    expect(cronEdit(args({ name: 'a', job: 'j' }), ['#Ansible: a'])).to.deep.equal(['#Ansible: a', '* * * * * j'])
  })
})

describe('modules/cron: arguments', () => {
  const errors = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(cron.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : cron.validate!(args as never))]
  }
  it('rejects what cron would misread or ignore', () => {
    expect(errors({ job: 'x' })).to.deep.equal(["'name' is required"])
    expect(errors({ name: 'a' })).to.deep.equal(["'job' is required with state=present"])
    expect(errors({ name: 'a', job: 'x', special_time: 'daily', hour: '3' })).to.deep.equal(['special_time cannot be combined with hour'])
    expect(errors({ name: 'a', job: 'x', minute: '5 *' })).to.deep.equal(["minute '5 *' is not a cron time field"])
    expect(errors({ name: 'a', job: 'x', cron_file: 'my.cron' })).to.deep.equal([
      "cron ignores /etc/cron.d files whose names are not only letters, digits, _ and - (got 'my.cron')",
    ])
    expect(errors({ name: 'a', job: 'x\ny' })).to.deep.equal(['job cannot contain a newline'])
    expect(errors({ name: 'a', job: 'x', insertafter: 'PATH' })).to.deep.equal(['insertafter and insertbefore need env: true'])
    expect(errors({ name: 'a', job: 'x', special_time: 'sometimes' })[0]).to.match(/argument 'special_time' must be one of/)
  })
  it('accepts Ansible spellings', () => {
    expect(errors({ name: 'a', value: 'x', dow: '1-5', dom: '1' })).to.deep.equal([])
    expect(errors({ state: 'absent', cron_file: 'f' })).to.deep.equal([])
  })
})
