// systemd's plan: systemd state (systemctl's format) → changes; on a sysv host a clear error.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { SYSTEMD_ONLY, systemd } from '../../../src/modules/systemd.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { parseServiceState, type ServiceState } from '../../../src/probes/services.js'
import { SERVICE } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

function run(input: Record<string, unknown>, st: ServiceState, ctx = real): Change[] {
  const { args, problems } = checkArgs(systemd.args, input, false)
  expect(problems).to.deep.equal([])
  expect(systemd.validate!(args as never)).to.deep.equal([])
  return settleNeeds(systemd.plan(args as never, { unit: st }, ctx), ctx.check)
}

const st = (k: keyof typeof SERVICE, name = 'nginx') => parseServiceState(name, SERVICE[k].stdout)
const scripts = (cs: Change[]) => cs.flatMap((c) => c.steps.map((s) => (s as ExecStep).script.text))

describe('modules/systemd', () => {
  it('on a sysv-init host: the clear error, also for daemon_reload alone', () => {
    expect(() => run({ name: 'cron', state: 'started' }, st('cronRunning', 'cron'))).to.throw(ModuleFailure, SYSTEMD_ONLY)
    expect(SYSTEMD_ONLY).to.equal('systemd module needs systemd; this host uses sysvinit — use service')
    const { args } = checkArgs(systemd.args, { daemon_reload: true }, false)
    const p = systemd.probes(args as never, real).unit
    expect(() => settleNeeds(systemd.plan(args as never, { unit: p.parse({ stdout: 'init=sysvinit\n', code: 0 }) }, real), real.check)).to.throw(
      ModuleFailure,
      SYSTEMD_ONLY,
    )
  })
  it('daemon-reload runs first on every run, as housekeeping (quiet: not a change, as in Ansible)', () => {
    const ch = run({ name: 'nginx', state: 'started', daemon_reload: true }, st('systemdStopped'))
    expect(scripts(ch)).to.deep.equal(['systemctl daemon-reload', 'systemctl start -- nginx'])
    expect(ch.map((c) => !!c.quiet)).to.deep.equal([true, false])
    const idle = run({ name: 'nginx', state: 'started', daemon_reload: true }, st('systemdActive'))
    expect(idle.map((c) => [c.summary, c.quiet])).to.deep.equal([['reload the systemd manager configuration (daemon-reload)', true]])
  })
  it('daemon-reload and daemon-reexec without a unit: quiet steps only', () => {
    const { args } = checkArgs(systemd.args, { 'daemon-reload': true, daemon_reexec: true }, false)
    const p = systemd.probes(args as never, real).unit
    const ch = settleNeeds(systemd.plan(args as never, { unit: p.parse({ stdout: 'init=systemd\n', code: 0 }) }, real), real.check)
    expect(ch.map((c) => [c.summary, c.quiet])).to.deep.equal([
      ['reload the systemd manager configuration (daemon-reload)', true],
      ['reexecute the systemd manager', true],
    ])
    expect(scripts(ch)).to.deep.equal(['systemctl daemon-reload', 'systemctl daemon-reexec'])
  })
  it('mask and unmask; masking a unit that does not exist is allowed', () => {
    expect(scripts(run({ name: 'nginx', masked: true, state: 'stopped' }, st('systemdActive')))).to.deep.equal([
      'systemctl mask -- nginx',
      'systemctl stop -- nginx',
    ])
    expect(run({ name: 'nginx', masked: true }, st('systemdMasked'))).to.deep.equal([])
    expect(scripts(run({ name: 'nginx', masked: false }, st('systemdMasked')))).to.deep.equal(['systemctl unmask -- nginx'])
    expect(scripts(run({ name: 'nosuch', masked: true }, st('systemdMissing', 'nosuch')))).to.deep.equal(['systemctl mask -- nosuch'])
  })
  it('scope, no_block and force reach systemctl', () => {
    expect(scripts(run({ unit: 'nginx', state: 'started', enabled: true, scope: 'user', no_block: true, force: true }, st('systemdStopped')))).to.deep.equal([
      'systemctl --user --force enable -- nginx',
      'systemctl --user --no-block start -- nginx',
    ])
  })
  it('result carries the unit properties', () => {
    const { args } = checkArgs(systemd.args, { name: 'nginx', state: 'stopped' }, false)
    expect(systemd.result!(args as never, { unit: st('systemdActive') }, [], real)).to.deep.include({
      name: 'nginx',
      state: 'stopped',
      enabled: true,
      masked: false,
    })
  })
  it('arguments: state needs a name; something to do is required', () => {
    expect(systemd.validate!({ state: 'started', daemon_reload: false, daemon_reexec: false } as never)).to.include(
      'state, enabled and masked need a unit name',
    )
    expect(systemd.validate!({ daemon_reload: false, daemon_reexec: false } as never)).to.deep.equal([
      'one of name, daemon_reload or daemon_reexec is required',
    ])
  })
})
