// supervisor's plan on state recorded on a lab host: the definition file, reread/update only when
// it changed, process state through supervisorctl, supervisord itself; then the state after → [].
import { settleNeeds } from '../../../src/engine/needs.js'
import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { supervisor, type SupervisorArgs } from '../../../src/modules/supervisor.js'
import { definitionSecrets, parseEnvironmentLine, programConfig } from '../../../src/modules/supervisor-program.js'
import type { PathState } from '../../../src/probes/files.js'
import { parseServiceState } from '../../../src/probes/services.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext, type PutStep } from '../../../src/modules/types.js'
import { parseSupervisorState, type SupervisorState } from '../../../src/probes/supervisor.js'
import { SUPERVISOR, WORKER_CONF } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...real, check: true }

function args(input: Record<string, unknown>): SupervisorArgs {
  const { args, problems } = checkArgs(supervisor.args, input, false)
  expect(problems).to.deep.equal([])
  return args as SupervisorArgs
}

/** The definition file as the path probe reads it (content read: diffs are on). */
function fileAt(path: string, content: string | undefined): PathState {
  const base = { path, parent: 'directory' as const, ancestor: '/etc/supervisor/conf.d', ancestorIsDir: true, umask: 0o022 }
  if (content === undefined) return { ...base, exists: false }
  const b = Buffer.from(content)
  const stat = {
    type: 'file' as const,
    mode: '0600',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    size: b.length,
    mtime: 0,
    atime: 0,
    ctime: 0,
    inode: 1,
    dev: 1,
    nlink: 1,
  }
  return { ...base, ancestor: path, exists: true, stat, checksum: createHash('sha1').update(b).digest('hex'), content: b }
}

// supervisord's init script, as the service probe reads it on the lab's sysv-init hosts.
const SERVICE_DOWN = parseServiceState('supervisor', 'init=sysvinit\nexists=1\nstatus=3\nlink=/etc/rc2.d/S01supervisor\n')

/** A recorded supervisord state, and the definition file on that host (read by the path probe). */
type Recorded = SupervisorState & { conf?: string }

function run(input: Record<string, unknown>, st: Recorded, ctx = real): Change[] {
  const a = args(input)
  const probes = supervisor.probes(a, ctx)
  const path = `/etc/supervisor/conf.d/${a.name}.conf`
  const file = probes.file ? fileAt(path, st.conf) : undefined
  expect(Object.keys(probes)).to.deep.equal(['supervisor', 'file', 'service'])
  const { conf: _, ...sv } = st
  return settleNeeds(supervisor.plan(a, { supervisor: sv, file, service: probes.service ? SERVICE_DOWN : undefined }, ctx), ctx.check)
}

// rmsys2 holds the worker's definition file (running, and down after stopping supervisord).
const state = (k: keyof typeof SUPERVISOR): Recorded => ({
  ...parseSupervisorState(SUPERVISOR[k].stdout),
  ...(k === 'running' || k === 'down' ? { conf: WORKER_CONF } : {}),
})
const scripts = (c: Change) => c.steps.map((s) => (s.kind === 'exec' ? s.script.text : `put ${s.path}`))
// The recorded worker (rmp-worker, numprocs 2, running).
const WORKER = {
  name: 'rmp-worker',
  command: '/bin/sleep 1000',
  numprocs: 2,
  startsecs: 0,
  autorestart: true,
  environment: { APP_ENV: 'pro%d', DB_PASSWORD: 's3cr,et', DATABASE_URL: 'postgresql://u:pw@localhost/db' },
}

/** The state after the plan ran: this file content, these processes. */
function after(s: Recorded, content: string | undefined, procs: [string, string][]): Recorded {
  const others = s.processes.filter((p) => !procs.some(([n]) => n.split(':')[0] === p.name.split(':')[0]))
  return {
    ...s,
    running: true,
    conf: content,
    processes: [...others, ...procs.map(([name, st]) => ({ name, state: st as 'RUNNING', description: '' }))],
  }
}

describe('modules/supervisor: the definition', () => {
  it('renders the recorded file exactly: process_name for numprocs 2, environment quoted with % escaped', () => {
    expect(programConfig(args(WORKER))).to.equal(WORKER_CONF)
    expect(WORKER_CONF).to.include('environment=APP_ENV="pro%%d",DB_PASSWORD="s3cr,et",DATABASE_URL="postgresql://u:pw@localhost/db"\n')
  })
  it('only given keys, in a fixed order; values with a double quote use single quotes', () => {
    const c = programConfig(
      args({
        name: 'api',
        command: 'gunicorn -c g.py app:app',
        directory: '/opt/a',
        user: 'runmaster',
        autostart: true,
        autorestart: 'unexpected',
        killasgroup: true,
        stopwaitsecs: 600,
        priority: 10,
        stdout_logfile: '/var/log/a.log',
        environment: { A: 'say "hi" now' },
        extra: { stopasgroup: true },
      }),
    )
    expect(c).to.equal(
      '; written by rm-play (supervisor module): changes made here are overwritten\n[program:api]\ncommand=gunicorn -c g.py app:app\ndirectory=/opt/a\nuser=runmaster\npriority=10\nautostart=true\nautorestart=unexpected\nstopwaitsecs=600\nkillasgroup=true\nstdout_logfile=/var/log/a.log\nenvironment=A=\'say "hi" now\'\nstopasgroup=true\n',
    )
  })
  it('reads environment lines back as supervisor does, and masks secret-looking values', () => {
    expect(parseEnvironmentLine(`A="x,y",B='q"t',C=plain`)).to.deep.equal([
      ['A', 'x,y'],
      ['B', 'q"t'],
      ['C', 'plain'],
    ])
    // Secret-looking keys and passwords in URLs, as the file holds them and as the program sees them.
    expect(definitionSecrets('environment=DB_PASSWORD="n%%ew",X="2",URL="http://a:b1c@h/"\n')).to.deep.equal(['n%%ew', 'n%ew', 'b1c'])
    expect(definitionSecrets('[program:x]\ncommand=y\n')).to.deep.equal([])
  })
})

describe('modules/supervisor: plan', () => {
  it('a new program: put the file (0600 with environment, secret) then reread + update, then start; after that nothing', () => {
    const input = { ...WORKER, name: 'rmp-new', state: 'started' }
    const ch = run(input, state('noFile'))
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('write /etc/supervisor/conf.d/rmp-new.conf (mode 0600); reread and update rmp-new; start rmp-new')
    expect(scripts(ch[0]!)).to.deep.equal([
      'put /etc/supervisor/conf.d/rmp-new.conf',
      'supervisorctl reread\nsupervisorctl update rmp-new',
      "supervisorctl start 'rmp-new:*'",
    ])
    // The put step (temp file, rename) has supervisor's own parser read the new file first: a bad one never lands.
    const put = ch[0]!.steps[0] as PutStep
    expect([put.mode, put.owner, put.group, put.secret]).to.deep.equal(['0600', 'root', 'root', true])
    expect(put.validate).to.match(
      /^python3 -c 'import sys\n[\s\S]*o\.processes_from_section\(p, s, [\s\S]*' %s \/etc\/supervisor\/conf\.d \/etc\/supervisor\/conf\.d\/rmp-new\.conf$/,
    )
    expect(ch[0]!.diff!.path).to.equal('/etc/supervisor/conf.d/rmp-new.conf')
    expect(ch[0]!.diff!.after).to.include('DB_PASSWORD="s3cr,et"')
    // The run masks these wherever they would be shown, the reporter's diff included (the engine skips 'pw': too short).
    expect(ch[0]!.secrets).to.deep.equal(['s3cr,et', 'pw'])
    const done = after(state('noFile'), put.content as string, [
      ['rmp-new:rmp-new_00', 'RUNNING'],
      ['rmp-new:rmp-new_01', 'RUNNING'],
    ])
    expect(run(input, done)).to.deep.equal([])
  })
  it('the recorded, running worker with the same definition: nothing (no reread, no update)', () => {
    expect(run({ ...WORKER, state: 'started' }, state('running'))).to.deep.equal([])
    expect(run({ ...WORKER, state: 'present' }, state('running'))).to.deep.equal([])
  })
  it('a changed definition: update (which restarts it) — the diff shows the line; old secrets are masked too', () => {
    const ch = run({ ...WORKER, stopwaitsecs: 30, environment: { ...WORKER.environment, DB_PASSWORD: 'n3w-secret' } }, state('running'))
    expect(ch[0]!.secrets).to.deep.equal(['n3w-secret', 'pw', 's3cr,et'])
    expect(ch[0]!.summary).to.equal('update /etc/supervisor/conf.d/rmp-worker.conf (mode 0600); reread and update rmp-worker')
    expect(ch[0]!.diff!.after).to.include('stopwaitsecs=30')
    expect(ch[0]!.diff!.before).to.not.include('stopwaitsecs')
  })
  it('stopped, restarted, signalled use the group name; restarted/signalled always act', () => {
    const st = state('running')
    const stop = run({ ...WORKER, state: 'stopped' }, st)
    expect(scripts(stop[0]!)).to.deep.equal(["supervisorctl stop 'rmp-worker:*'"])
    expect(stop[0]!.diff).to.deep.equal({ before: 'rmp-worker: 2/2 running\n', after: 'rmp-worker: 0/2 running\n' })
    expect(
      run(
        { ...WORKER, state: 'stopped' },
        after(st, WORKER_CONF, [
          ['rmp-worker:rmp-worker_00', 'STOPPED'],
          ['rmp-worker:rmp-worker_01', 'STOPPED'],
        ]),
      ),
    ).to.deep.equal([])
    expect(scripts(run({ ...WORKER, state: 'restarted' }, st)[0]!)).to.deep.equal(["supervisorctl restart 'rmp-worker:*'"])
    expect(scripts(run({ name: 'rmp-worker', state: 'signalled', signal: 'HUP' }, st)[0]!)).to.deep.equal(["supervisorctl signal HUP 'rmp-worker:*'"])
  })
  it('supervisorctl compatibility: name + state without a definition', () => {
    const st = state('running')
    expect(scripts(run({ name: 'rmp-single', state: 'started' }, st)[0]!)).to.deep.equal(["supervisorctl start 'rmp-single:*'"])
    expect(run({ name: 'rmp-single', state: 'stopped' }, st)).to.deep.equal([])
    expect(run({ name: 'rmp-worker:', state: 'started' }, st)).to.deep.equal([])
    expect(scripts(run({ name: 'rmp-single:', state: 'started' }, st)[0]!)).to.deep.equal(["supervisorctl start 'rmp-single:*'"])
    expect(scripts(run({ name: 'rmp-worker:rmp-worker_01', state: 'stopped' }, st)[0]!)).to.deep.equal(['supervisorctl stop rmp-worker:rmp-worker_01'])
    expect(() => run({ name: 'nope', state: 'started' }, st)).to.throw(ModuleFailure, 'nope: ERROR (no such process)')
    expect(run({ name: 'nope', state: 'started' }, st, check)[0]).to.deep.include({ summary: 'start nope (not known to supervisord yet)', uncertain: true })
    expect(scripts(run({ name: 'nope', state: 'present' }, st)[0]!)).to.deep.equal(['supervisorctl reread\nsupervisorctl add nope'])
  })
  it('absent: delete the file, reread, stop and remove; then nothing', () => {
    const ch = run({ name: 'rmp-worker', state: 'absent' }, state('running'))
    expect(ch[0]!.summary).to.equal('remove rmp-worker and /etc/supervisor/conf.d/rmp-worker.conf')
    expect(scripts(ch[0]!)[0]).to.equal('rm -f -- /etc/supervisor/conf.d/rmp-worker.conf')
    expect(scripts(ch[0]!)[1]).to.match(
      /^supervisorctl reread >\/dev\/null\nsupervisorctl stop 'rmp-worker:\*' .*\nout=\$\(supervisorctl remove rmp-worker 2>&1\)/,
    )
    expect(ch[0]!.diff!.after).to.equal('')
    const gone = { ...state('noFile'), processes: state('noFile').processes.filter((p) => !p.name.startsWith('rmp-worker')) }
    expect(run({ name: 'rmp-worker', state: 'absent' }, gone)).to.deep.equal([])
  })
  it('supervisord down: start it first, then make sure of the program state', () => {
    const ch = run({ ...WORKER, state: 'started' }, state('down'))
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('start supervisord; start rmp-worker')
    // The start the service module plans for the probed init script, then a wait until supervisorctl answers.
    expect(scripts(ch[0]!)[0]).to.equal('if command -v service >/dev/null 2>&1; then service supervisor start; else /etc/init.d/supervisor start; fi')
    expect(scripts(ch[0]!)[1]).to.include('while ! supervisorctl pid >/dev/null 2>&1; do')
    expect(scripts(ch[0]!)[2]).to.equal("supervisorctl start 'rmp-worker:*'")
    expect(ch[0]!.diff).to.deep.equal({ before: 'supervisord: not running (unix:///var/run/supervisor.sock no such file)\n', after: 'supervisord: running\n' })
  })
  it('supervisor not installed: an error; in check mode an uncertain change', () => {
    expect(() => run({ ...WORKER, state: 'started' }, state('notInstalled'))).to.throw(
      ModuleFailure,
      'supervisorctl not found on this host: install the supervisor package first',
    )
    expect(run({ ...WORKER, state: 'started' }, state('notInstalled'), check)).to.deep.equal([
      { summary: 'start rmp-worker (supervisor is not installed yet)', uncertain: true, steps: [] },
    ])
    expect(run({ name: 'rmp-single', state: 'stopped' }, state('notInstalled'), check)[0]!.summary).to.equal(
      'stop rmp-single (supervisor is not installed yet)',
    )
    expect(run({ name: 'x', state: 'absent' }, state('notInstalled'))).to.deep.equal([])
  })
  it('connection options reach supervisorctl; the password only in a variable of the secret script, not in the probe id', () => {
    const input = { name: 'rmp-single', state: 'started', server_url: 'http://localhost:9001', username: 'u', password: 'p w' }
    const ch = run(input, state('running'))
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.script.text).to.match(
      /^RMP_SUPERVISOR_PASSWORD='p w' \$\(sed -n '1s\/\^#! \*\/\/p' "\$\(command -v -- supervisorctl\)"\) -c '[\s\S]*' "\$\(command -v -- supervisorctl\)" -s http:\/\/localhost:9001 -u u start 'rmp-single:\*'$/,
    )
    expect(step.script.text.split('p w')).to.have.length(2)
    expect(step.secret).to.equal(true)
    const probe = supervisor.probes(args(input), real).supervisor
    expect(probe.id).to.not.include('p w')
    expect(probe.script.text.split('p w')).to.have.length(2)
    expect(probe.script.text).to.include("RMP_SUPERVISOR_PASSWORD='p w' ")
  })
})

describe('modules/supervisor: arguments', () => {
  const errors = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(supervisor.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : supervisor.validate!(args as never))]
  }
  it('rejects what supervisor would misread', () => {
    expect(errors({ name: 'a', command: 'x ; y' })).to.deep.equal([
      "command: supervisor reads a space followed by ';' or '#' as the start of a comment; remove the space",
    ])
    expect(errors({ name: 'a', command: 'x', environment: { K: `a'b"c` } })).to.deep.equal([
      `environment: the value of K cannot contain both ' and " (supervisor has no escapes)`,
    ])
    expect(errors({ name: 'a', command: 'x', environment: { 'BAD-KEY': 'v' } })).to.deep.equal(["environment: 'BAD-KEY' is not a variable name"])
    expect(errors({ name: 'a', command: 'x', environment: { K: '"q"' } })[0]).to.match(/cannot start or end with a quote/)
    expect(errors({ name: 'a', command: 'x', numprocs: 2, process_name: 'p' })).to.deep.equal([
      'with numprocs > 1, process_name must contain %(process_num)s (or %(process_num)02d)',
    ])
    expect(errors({ name: 'a', numprocs: 2 })).to.deep.equal(["numprocs needs 'command' (a program definition)"])
    expect(errors({ name: 'a/b', command: 'x' })[0]).to.match(/needs a plain name/)
    expect(errors({ name: 'a', command: 'x', autorestart: 'sometimes' })).to.deep.equal(["autorestart must be true, false or unexpected, got 'sometimes'"])
    expect(errors({ name: 'a', state: 'signalled' })).to.deep.equal(["state=signalled requires 'signal'"])
  })
  it("accepts Ansible's supervisorctl arguments", () => {
    expect(
      errors({
        name: 'celery:',
        state: 'restarted',
        config: '/etc/supervisor/supervisord.conf',
        server_url: 'unix:///var/run/supervisor.sock',
        username: 'u',
        password: 'p',
        supervisorctl_path: '/usr/bin/supervisorctl',
        stop_before_removing: true,
      }),
    ).to.deep.equal([])
    expect(errors({ name: 'x', state: 'signalled', signal: 'USR1' })).to.deep.equal([])
  })
  it('accepts templated environment values at load time', () => {
    expect(errors({ name: 'a', command: 'x', environment: { DATABASE_URL: '{{ db_url }}' } })).to.deep.equal([])
  })
})
