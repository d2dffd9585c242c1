// The supervisor probe's parser on outputs recorded on a lab host.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseSupervisorState, parseSupervisorStatus, supervisorProbe, supervisorProbeId, type SupervisorctlOptions } from '../../../src/probes/supervisor.js'
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
    expect(a.script.text).to.include(`if p=$(command -v -- '/opt/my tools/supervisorctl'); then`)
    expect(a.script.text).to.include(`out=$('/opt/my tools/supervisorctl' status 2>&1)`)
  })
  // A stand-in supervisorctl in a temporary directory: supervisor's package whose main(args) runs
  // `main`, and the script with the #! line `shebang` (its body: `script`).
  function standIn(main: string, shebang = '#!/usr/bin/env python3', script = ''): { dir: string; path: string } {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-supervisorctl-'))
    mkdirSync(join(dir, 'supervisor'))
    writeFileSync(join(dir, 'supervisor', '__init__.py'), '')
    writeFileSync(join(dir, 'supervisor', 'supervisorctl.py'), `import json, sys\nimport pkg_resources\ndef main(args):\n${main}`)
    writeFileSync(join(dir, 'supervisorctl'), `${shebang}\n${script}`, { mode: 0o755 })
    return { dir, path: join(dir, 'supervisorctl') }
  }
  // The script travels on the shell's stdin, as the connection sends it.
  const runProbe = (o: SupervisorctlOptions) => spawnSync('sh', { input: supervisorProbe(o).script.text, encoding: 'utf8' }).stdout

  it('the password is in neither the probe id nor any command line', async function () {
    const o = { path: '', args: ['-u', 'u v'], password: "S3cret 'pw'" }
    const { dir, path } = standIn(
      "    print('cmdline=' + json.dumps(open('/proc/self/cmdline').read().split('\\0')))\n    print('args=' + json.dumps(args, separators=(',', ':')))\n    sys.exit(3)\n",
    )
    try {
      o.path = path
      const p = supervisorProbe(o)
      expect(p.id).to.not.include('S3cret')
      expect(p.id).to.not.equal(supervisorProbeId({ ...o, password: 'other' }))
      const out = runProbe(o)
      const s = parseSupervisorState(out)
      expect(s.installed).to.equal(true)
      expect(out).to.include(`args=${JSON.stringify(['-p', "S3cret 'pw'", '-u', 'u v', 'status'])}`)
      expect(out).to.match(/status_rc=3\n/)
      const cmdline = JSON.parse(/cmdline=(.*)/.exec(out)![1]!) as string[]
      expect(cmdline.slice(-4)).to.deep.equal(['-u', 'u v', 'status', ''])
      expect(cmdline.join(' ')).to.not.include('S3cret')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a Python supervisorctl runs as its script would (argv, sys.path), pkg_resources imported only when used', function () {
    // main reports what it saw, then uses pkg_resources as supervisor's plugin loader does.
    const { dir, path } = standIn(
      "    print('argv=' + json.dumps(sys.argv, separators=(',', ':')))\n    print('first=' + sys.path[0])\n    print('args=' + json.dumps(args, separators=(',', ':')))\n    print('before=' + type(sys.modules['pkg_resources']).__name__)\n    print('parse=' + str(pkg_resources.EntryPoint.parse('x=os:getcwd').module_name))\n    print('after=' + type(sys.modules['pkg_resources']).__name__)\n",
    )
    try {
      const out = runProbe({ path, args: ['-c', '/etc/s v.conf'] })
      expect(out).to.include(`argv=${JSON.stringify([path, '-c', '/etc/s v.conf', 'status'])}`)
      expect(out).to.include(`first=${dir}\n`)
      expect(out).to.include(`args=${JSON.stringify(['-c', '/etc/s v.conf', 'status'])}`)
      // a stand-in module until supervisor uses it; then the real one, and it works
      expect(out).to.include('before=OnFirstUse\nparse=os\nafter=module\n')
      expect(out).to.match(/status_rc=0\n/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a supervisorctl that is not a Python script runs as it is', function () {
    const { dir, path } = standIn("    print('python')\n", '#!/bin/sh', 'echo "sh $*"; exit 3\n')
    try {
      const out = runProbe({ path, args: ['-c', '/etc/s v.conf'] })
      expect(out).to.include('sh -c /etc/s v.conf status\n')
      expect(out).to.match(/status_rc=3\n/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
