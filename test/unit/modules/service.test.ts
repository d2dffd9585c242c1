// service's plan on sysv state recorded on lab hosts and on systemd state: (arguments, state) →
// changes, then the state after → no change (restarted/reloaded always act).
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { service } from '../../../src/modules/service.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { parseServiceState, type ServiceState } from '../../../src/probes/services.js'
import { SERVICE } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...real, check: true }

function run(input: Record<string, unknown>, st: ServiceState, ctx = real): Change[] {
  const { args, problems } = checkArgs(service.args, input, false)
  expect(problems).to.deep.equal([])
  const probes = service.probes(args as never, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(service.plan(args as never, { service: st }, ctx), ctx.check)
}

const cronUp = () => parseServiceState('cron', SERVICE.cronRunning.stdout)
const cronDown = () => parseServiceState('cron', SERVICE.cronStoppedDisabled.stdout)
const scripts = (c: Change) => c.steps.map((s) => (s as ExecStep).script.text)
const SERVICE_CMD = (a: string) => `if command -v service >/dev/null 2>&1; then service cron ${a}; else /etc/init.d/cron ${a}; fi`

describe('modules/service on sysv-init (recorded)', () => {
  it('started + enabled on a stopped, disabled service: update-rc.d and service start; then nothing', () => {
    const ch = run({ name: 'cron', state: 'started', enabled: true }, cronDown())
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('enable cron, start cron')
    expect(scripts(ch[0]!)).to.deep.equal([
      'if ! ls -- /etc/rc[0-6S].d/[SK][0-9][0-9]cron >/dev/null 2>&1; then update-rc.d cron defaults; fi\nupdate-rc.d cron enable',
      SERVICE_CMD('start'),
    ])
    expect(ch[0]!.diff).to.deep.equal({ before: 'cron: stopped, disabled\n', after: 'cron: running, enabled\n' })
    expect(run({ name: 'cron', state: 'started', enabled: true }, cronUp())).to.deep.equal([])
  })
  it('stopped + disabled on a running, enabled service; then nothing', () => {
    const ch = run({ name: 'cron', state: 'stopped', enabled: false }, cronUp())
    expect(scripts(ch[0]!)).to.deep.equal(['update-rc.d cron disable', SERVICE_CMD('stop')])
    expect(ch[0]!.diff).to.deep.equal({ before: 'cron: running, enabled\n', after: 'cron: stopped, disabled\n' })
    expect(run({ name: 'cron', state: 'stopped', enabled: false }, cronDown())).to.deep.equal([])
  })
  it('restarted and reloaded always act; a reload of a stopped service starts it', () => {
    const r = run({ name: 'cron', state: 'restarted' }, cronUp())
    expect(scripts(r[0]!)).to.deep.equal([SERVICE_CMD('restart')])
    expect(r[0]!.diff!.after).to.equal('cron: running, enabled (restarted)\n')
    expect(run({ name: 'cron', state: 'reloaded' }, cronUp())[0]!.summary).to.equal('reload cron')
    expect(run({ name: 'cron', state: 'reloaded' }, cronDown())[0]!.summary).to.equal('start cron')
  })
  it('sleep between stop and start, and extra arguments, quoted', () => {
    const r = run({ name: 'cron', state: 'restarted', sleep: 2, arguments: "--x 'y z'" }, cronUp())
    expect(scripts(r[0]!)[0]).to.equal(`${SERVICE_CMD("stop --x 'y z'")}\nsleep 2\n${SERVICE_CMD("start --x 'y z'")}`)
  })
  it('a service that is not installed: an error in a real run, an uncertain change in check mode', () => {
    const st = parseServiceState('nginx', SERVICE.missing.stdout)
    expect(() => run({ name: 'nginx', state: 'started' }, st)).to.throw(
      ModuleFailure,
      'service: could not find the requested service nginx (no /etc/init.d/nginx on this sysvinit host; is its package installed?)',
    )
    const c = run({ name: 'nginx', state: 'started', enabled: true }, st, check)
    expect(c).to.deep.equal([{ summary: 'start and enable nginx (not installed yet)', uncertain: true, steps: [] }])
  })
  it('use= must match the host', () => {
    expect(() => run({ name: 'cron', state: 'started', use: 'systemd' }, cronUp())).to.throw(ModuleFailure, 'use=systemd but this host runs sysvinit')
  })
  it('result: state and enabled after the task', () => {
    const { args } = checkArgs(service.args, { name: 'cron', state: 'stopped' }, false)
    expect(service.result!(args as never, { service: cronUp() }, [], real)).to.deep.include({ name: 'cron', state: 'stopped', enabled: true })
  })
})

describe('modules/service on systemd', () => {
  const st = (k: keyof typeof SERVICE) => parseServiceState('nginx', SERVICE[k].stdout)
  it('systemctl start/enable, then nothing', () => {
    const ch = run({ name: 'nginx', state: 'started', enabled: true }, st('systemdStopped'))
    expect(scripts(ch[0]!)).to.deep.equal(['systemctl enable -- nginx', 'systemctl start -- nginx'])
    expect(run({ name: 'nginx', state: 'started', enabled: true }, st('systemdActive'))).to.deep.equal([])
  })
  it('a static unit has no enabled state to change', () => {
    expect(run({ name: 'nginx', enabled: false }, st('systemdStatic'))).to.deep.equal([])
  })
  it('a missing unit fails clearly', () => {
    expect(() => run({ name: 'nginx', state: 'stopped' }, st('systemdMissing'))).to.throw(ModuleFailure, /no such unit on this systemd host/)
  })
})

describe('modules/service: arguments', () => {
  it('needs state or enabled, and a plain name', () => {
    expect(checkArgs(service.args, { name: 'x' }, true).problems.map((p) => p.message)).to.deep.equal(["one of 'state', 'enabled' is required"])
    expect(checkArgs(service.args, { name: 'x', state: 'running' }, true).problems[0]!.message).to.match(
      /must be one of "started", "stopped", "restarted", "reloaded"/,
    )
    expect(service.validate!({ name: 'a;rm -rf /' } as never)).to.deep.equal(["'a;rm -rf /' is not a service name"])
  })
})
