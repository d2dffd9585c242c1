// The service probe's parser: sysv outputs recorded on lab hosts, systemd outputs in systemctl's format.
import { expect } from 'chai'
import { parseServiceState, serviceProbe, serviceProbeId } from '../../../src/probes/services.js'
import { SERVICE } from './system-recorded.js'

describe('probes/services: parseServiceState', () => {
  it('sysv: status 0 and S links in rc2-5 → running and enabled', () => {
    expect(parseServiceState('cron', SERVICE.cronRunning.stdout)).to.deep.equal({
      init: 'sysvinit',
      name: 'cron',
      exists: true,
      running: true,
      enabled: true,
      statusCode: 0,
      links: ['/etc/rc2.d/S01cron', '/etc/rc3.d/S01cron', '/etc/rc4.d/S01cron', '/etc/rc5.d/S01cron'],
    })
  })
  it('sysv: status 3 and only K links → stopped and disabled', () => {
    const s = parseServiceState('cron', SERVICE.cronStoppedDisabled.stdout)
    expect([s.running, s.enabled, s.statusCode]).to.deep.equal([false, false, 3])
  })
  it('sysv: no init script', () => {
    expect(parseServiceState('nosuch-svc', SERVICE.missing.stdout)).to.deep.include({ exists: false, running: false, enabled: false })
  })
  it('sysv: a pattern decides over the status code; status 4 or none is unknown', () => {
    expect(parseServiceState('cron', SERVICE.withPattern.stdout.replace('pattern=1', 'pattern=0')).running).to.equal(false)
    expect(parseServiceState('x', 'init=sysvinit\nexists=1\nstatus=4\n').running).to.equal(undefined)
    expect(parseServiceState('x', 'init=sysvinit\nexists=1\nstatus=none\n').running).to.equal(undefined)
  })
  it('systemd: active + enabled, inactive + disabled + needs daemon-reload, masked, static, missing', () => {
    expect(parseServiceState('nginx', SERVICE.systemdActive.stdout)).to.deep.include({
      init: 'systemd',
      exists: true,
      running: true,
      enabled: true,
      unitFileState: 'enabled',
      masked: false,
      needDaemonReload: false,
    })
    expect(parseServiceState('nginx', SERVICE.systemdActive.stdout).properties).to.deep.include({ ActiveState: 'active', SubState: 'running', MainPID: '812' })
    expect(parseServiceState('nginx', SERVICE.systemdStopped.stdout)).to.deep.include({ running: false, enabled: false, needDaemonReload: true })
    expect(parseServiceState('nginx', SERVICE.systemdMasked.stdout)).to.deep.include({ exists: true, masked: true, enabled: false })
    expect(parseServiceState('systemd-journald', SERVICE.systemdStatic.stdout)).to.deep.include({ enabled: true, unitFileState: 'static' })
    expect(parseServiceState('nosuch', SERVICE.systemdMissing.stdout)).to.deep.include({ exists: false })
  })
  it('garbage is an error, not a guess', () => {
    expect(() => parseServiceState('x', 'sh: 1: syntax error\n')).to.throw(/unexpected output/)
  })
  it('quotes the name and keeps the pattern out of its own match', () => {
    const p = serviceProbe("a'b", 'my daemon')
    expect(p.script.text).to.include(`n='a'\\''b'`)
    expect(p.script.text).to.include('s="/etc/init.d/$n"')
    expect(p.script.text).to.include("grep -v RMP_SVC_PROBE | grep -qF -- 'my daemon'")
    expect(p.id).to.equal(serviceProbeId("a'b", 'my daemon'))
    expect(serviceProbeId('x', undefined, 'user')).to.not.equal(serviceProbeId('x'))
  })
})
