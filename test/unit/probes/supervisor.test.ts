// The supervisor probe's parser on outputs recorded on a lab host.
import { expect } from 'chai'
import { parseSupervisorState, parseSupervisorStatus, supervisorProbe, supervisorProbeId } from '../../../src/probes/supervisor.js'
import { SUPERVISOR, WORKER_CONF } from './system-recorded.js'

describe('probes/supervisor: parseSupervisorState', () => {
  it('supervisord up: every process, and the definition file', () => {
    const s = parseSupervisorState(SUPERVISOR.running.stdout)
    expect(s.installed).to.equal(true)
    expect(s.running).to.equal(true)
    expect(s.configDir).to.equal(true)
    expect(s.processes).to.deep.equal([
      { name: 'rmp-single', state: 'STOPPED', description: 'Nov 29 12:28 PM' },
      { name: 'rmp-worker:rmp-worker_00', state: 'RUNNING', description: 'pid 843, uptime 0:01:07' },
      { name: 'rmp-worker:rmp-worker_01', state: 'RUNNING', description: 'pid 846, uptime 0:01:07' },
    ])
    expect(s.file).to.deep.equal({ exists: true, content: WORKER_CONF })
    expect(WORKER_CONF).to.include('[program:rmp-worker]\n')
  })
  it('no definition file', () => {
    expect(parseSupervisorState(SUPERVISOR.noFile.stdout).file).to.deep.equal({ exists: false })
  })
  it('supervisord down: not running, with supervisorctl\'s words', () => {
    const s = parseSupervisorState(SUPERVISOR.down.stdout)
    expect(s).to.deep.include({ installed: true, running: false, processes: [], error: 'unix:///var/run/supervisor.sock no such file' })
  })
  it('not installed', () => {
    expect(parseSupervisorState(SUPERVISOR.notInstalled.stdout)).to.deep.include({ installed: false, running: false, configDir: false })
  })
  it('status lines: error lines are skipped, states without description kept', () => {
    expect(parseSupervisorStatus('x: ERROR (no such process)\nfoo   FATAL     Exited too quickly (process log may have details)\nbar  STARTING\n')).to.deep.equal([
      { name: 'foo', state: 'FATAL', description: 'Exited too quickly (process log may have details)' },
      { name: 'bar', state: 'STARTING', description: '' },
    ])
  })
  it('probe id follows supervisorctl options and the file', () => {
    const a = supervisorProbe({ ctl: "supervisorctl -c '/etc/s v.conf'", file: '/etc/supervisor/conf.d/a.conf' })
    expect(a.script).to.include(`out=$(supervisorctl -c '/etc/s v.conf' status 2>&1)`)
    expect(a.id).to.equal(supervisorProbeId({ ctl: "supervisorctl -c '/etc/s v.conf'", file: '/etc/supervisor/conf.d/a.conf' }))
    expect(a.id).to.not.equal(supervisorProbeId({ ctl: 'supervisorctl', file: '/etc/supervisor/conf.d/a.conf' }))
  })
})
