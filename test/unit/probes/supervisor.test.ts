// The supervisor probe's parser on outputs recorded on a lab host.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseSupervisorState, parseSupervisorStatus, supervisorProbe, supervisorProbeId } from '../../../src/probes/supervisor.js'
import { SUPERVISOR } from './system-recorded.js'

describe('probes/supervisor: parseSupervisorState', () => {
  it('supervisord up: every process', () => {
    const s = parseSupervisorState(SUPERVISOR.running.stdout)
    expect(s.installed).to.equal(true)
    expect(s.running).to.equal(true)
    expect(s.processes).to.deep.equal([
      { name: 'rmp-single', state: 'STOPPED', description: 'Nov 29 12:28 PM' },
      { name: 'rmp-worker:rmp-worker_00', state: 'RUNNING', description: 'pid 843, uptime 0:01:07' },
      { name: 'rmp-worker:rmp-worker_01', state: 'RUNNING', description: 'pid 846, uptime 0:01:07' },
    ])
  })
  it("supervisord down: not running, with supervisorctl's words", () => {
    const s = parseSupervisorState(SUPERVISOR.down.stdout)
    expect(s).to.deep.include({ installed: true, running: false, processes: [], error: 'unix:///var/run/supervisor.sock no such file' })
  })
  it('not installed', () => {
    expect(parseSupervisorState(SUPERVISOR.notInstalled.stdout)).to.deep.include({ installed: false, running: false, processes: [] })
  })
  it('status lines: error lines are skipped, states without description kept', () => {
    expect(
      parseSupervisorStatus('x: ERROR (no such process)\nfoo   FATAL     Exited too quickly (process log may have details)\nbar  STARTING\n'),
    ).to.deep.equal([
      { name: 'foo', state: 'FATAL', description: 'Exited too quickly (process log may have details)' },
      { name: 'bar', state: 'STARTING', description: '' },
    ])
  })
  it('probe id follows supervisorctl options', () => {
    const o = { path: 'supervisorctl', args: ['-c', '/etc/s v.conf'] }
    const a = supervisorProbe(o)
    expect(a.script.text).to.include(`out=$(supervisorctl -c '/etc/s v.conf' status 2>&1)`)
    expect(a.id).to.equal(supervisorProbeId(o))
    expect(a.id).to.not.equal(supervisorProbeId({ path: 'supervisorctl', args: [] }))
  })
  it('a supervisorctl path with a space is looked for and run whole', () => {
    const a = supervisorProbe({ path: '/opt/my tools/supervisorctl', args: [] })
    expect(a.script.text).to.include(`if command -v -- '/opt/my tools/supervisorctl' >/dev/null 2>&1; then`)
    expect(a.script.text).to.include(`out=$('/opt/my tools/supervisorctl' status 2>&1)`)
  })
  it('the password is in neither the probe id nor any command line', async function () {
    const o = { path: '', args: ['-u', 'u v'], password: "S3cret 'pw'" }
    // A stand-in supervisorctl: supervisor's package whose main() reports what it got.
    const dir = mkdtempSync(join(tmpdir(), 'rmp-supervisorctl-'))
    try {
      mkdirSync(join(dir, 'supervisor'))
      writeFileSync(join(dir, 'supervisor', '__init__.py'), '')
      writeFileSync(
        join(dir, 'supervisor', 'supervisorctl.py'),
        "import json, sys\ndef main(args):\n    print('cmdline=' + json.dumps(open('/proc/self/cmdline').read().split('\\0')))\n    print('args=' + json.dumps(args, separators=(',', ':')))\n    sys.exit(3)\n",
      )
      writeFileSync(join(dir, 'supervisorctl'), '#!/usr/bin/env python3\n', { mode: 0o755 })
      o.path = join(dir, 'supervisorctl')
      const p = supervisorProbe(o)
      expect(p.id).to.not.include('S3cret')
      expect(p.id).to.not.equal(supervisorProbeId({ ...o, password: 'other' }))
      // The script travels on the shell's stdin, as the connection sends it.
      const r = spawnSync('sh', { input: p.script.text, env: { ...process.env, PYTHONPATH: dir }, encoding: 'utf8' })
      const s = parseSupervisorState(r.stdout)
      expect(s.installed).to.equal(true)
      expect(r.stdout).to.include(`args=${JSON.stringify(['-p', "S3cret 'pw'", '-u', 'u v', 'status'])}`)
      expect(r.stdout).to.match(/status_rc=3\n/)
      const cmdline = JSON.parse(/cmdline=(.*)/.exec(r.stdout)![1]!) as string[]
      expect(cmdline.slice(-4)).to.deep.equal(['-u', 'u v', 'status', ''])
      expect(cmdline.join(' ')).to.not.include('S3cret')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
