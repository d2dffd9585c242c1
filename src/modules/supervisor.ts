/**
 * supervisor — a supervisord program: its definition in conf.d and the state of its processes.
 * Also answers to `supervisorctl` (Ansible's module of that name: name + state, no definition).
 *
 * With `command`, the module owns the file `CONFIG_DIR/NAME.conf` (`config_dir`, default
 * /etc/supervisor/conf.d) holding one `[program:NAME]` section built from the arguments, written
 * atomically (mode 0644; 0600 when `environment` is given, since it often holds secrets). Only the
 * keys given are written: `command`, `directory`, `user`, `numprocs`, `process_name` (defaults to
 * `%(program_name)s_%(process_num)02d` when numprocs > 1, as supervisor requires), `priority`,
 * `autostart`, `autorestart` (true, false or unexpected), `startsecs`, `startretries`,
 * `stopwaitsecs`, `stopsignal`, `stopasgroup`, `killasgroup`, `redirect_stderr`, `umask`,
 * `stdout_logfile`, `stderr_logfile` (and their `_maxbytes` / `_backups`), `environment` (a
 * mapping, written as KEY="value",... with each value quoted and `%` escaped) and `extra` (any
 * other program keys, as a mapping). Values are written as given elsewhere: supervisor expands
 * `%(program_name)s`, `%(process_num)02d`, `%(ENV_HOME)s` in them, so a literal `%` is `%%` there.
 * A value cannot hold a newline, nor a space followed by `;` or `#` (supervisor reads that as a
 * comment): such arguments are rejected when the playbook loads.
 *
 * When the definition changed (or supervisord does not know the program yet) the module runs
 * `supervisorctl reread` and `supervisorctl update NAME` — only then, so running processes are not
 * disturbed by an unchanged definition. `state`: `present` (defined and loaded; the default),
 * `started`, `stopped`, `restarted` (always a change), `signalled` (send `signal`, always a change)
 * or `absent` (stopped, removed from supervisord and the file deleted). Processes are addressed as
 * the group `NAME:*`, so numprocs > 1 works; Ansible's `group:` names (ending in a colon) and
 * `group:process` work without a definition. Status comes from `supervisorctl status`.
 *
 * supervisord must be running: when it is not, the module starts the `supervisor` service first;
 * when supervisorctl is not installed it fails (in check mode: an uncertain change, since an earlier
 * task may install it). `config`, `server_url`, `username`, `password` and `supervisorctl_path`
 * are passed to supervisorctl as Ansible's supervisorctl module does.
 *
 * Diff mode shows the definition file as a unified diff, with the values of secret-looking
 * environment keys (PASSWORD, SECRET, TOKEN, KEY, ...) and passwords inside URLs masked; the
 * process state as `celery-worker: 0/2 running` → `2/2 running`.
 *
 *   - supervisor:
 *       name: celery-worker
 *       command: /opt/runmaster/backend/venv/bin/celery -A app.core.celery_app worker
 *       directory: /opt/runmaster/backend
 *       user: runmaster
 *       numprocs: 2
 *       autorestart: true
 *       stopwaitsecs: 600
 *       killasgroup: true
 *       environment: { DATABASE_URL: "{{ database_url }}" }
 *       state: started
 *   - supervisorctl: { name: celery-beat, state: restarted }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { startService } from './init-system.js'
import { supervisorctlCommand, supervisorProbe, type SupervisorctlOptions, type SupervisorProcess, type SupervisorState } from '../probes/supervisor.js'
import type { ArgsOf, Schema } from './schema.js'
import { ModuleFailure, needing, type Change, type ExecStep, type HostModule, type Step } from './types.js'

const DEFINITION_KEYS = [
  'directory',
  'user',
  'numprocs',
  'process_name',
  'priority',
  'autostart',
  'autorestart',
  'startsecs',
  'startretries',
  'stopwaitsecs',
  'stopsignal',
  'stopasgroup',
  'killasgroup',
  'redirect_stderr',
  'umask',
  'stdout_logfile',
  'stdout_logfile_maxbytes',
  'stdout_logfile_backups',
  'stderr_logfile',
  'stderr_logfile_maxbytes',
  'stderr_logfile_backups',
  'environment',
  'extra',
] as const

const supervisorSchema = {
  options: {
    name: { type: 'str', required: true, doc: 'Program name (`group:` or `group:process` without a definition).' },
    state: {
      type: 'str',
      default: 'present',
      choices: ['present', 'started', 'stopped', 'restarted', 'absent', 'signalled'],
      doc: 'What to make of the program.',
    },
    command: { type: 'str', doc: 'The program to run; giving it makes the module write the definition.' },
    directory: { type: 'path', doc: 'Working directory.' },
    user: { type: 'str', doc: 'Run as this user.' },
    numprocs: { type: 'int', doc: 'How many processes.' },
    process_name: { type: 'str', doc: 'Process name pattern (default with numprocs > 1: %(program_name)s_%(process_num)02d).' },
    priority: { type: 'int', doc: 'Start order (lower first).' },
    autostart: { type: 'bool', doc: 'Start when supervisord starts.' },
    autorestart: { type: 'raw', doc: 'true, false or unexpected.' },
    startsecs: { type: 'int', doc: 'Seconds a process must stay up to count as started.' },
    startretries: { type: 'int', doc: 'Start attempts before FATAL.' },
    stopwaitsecs: { type: 'int', doc: 'Seconds to wait after the stop signal before SIGKILL.' },
    stopsignal: { type: 'str', choices: ['TERM', 'HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2'], doc: 'Signal to stop with.' },
    stopasgroup: { type: 'bool', doc: 'Send the stop signal to the whole process group.' },
    killasgroup: { type: 'bool', doc: 'Send SIGKILL to the whole process group.' },
    redirect_stderr: { type: 'bool', doc: 'Send stderr to the stdout log.' },
    umask: { type: 'str', doc: 'Process umask (octal).' },
    stdout_logfile: { type: 'str', doc: 'stdout log path (AUTO, NONE or a path).' },
    stdout_logfile_maxbytes: { type: 'str', doc: 'Rotate the stdout log at this size (e.g. 50MB).' },
    stdout_logfile_backups: { type: 'int', doc: 'Rotated stdout logs to keep.' },
    stderr_logfile: { type: 'str', doc: 'stderr log path.' },
    stderr_logfile_maxbytes: { type: 'str', doc: 'Rotate the stderr log at this size.' },
    stderr_logfile_backups: { type: 'int', doc: 'Rotated stderr logs to keep.' },
    environment: { type: 'dict', doc: 'Environment variables for the program (values quoted for supervisor; secret-looking ones masked in diffs).' },
    extra: { type: 'dict', doc: 'Other [program:x] keys, written as key=value.' },
    config_dir: { type: 'path', default: '/etc/supervisor/conf.d', doc: 'Where the definition file goes.' },
    config: { type: 'path', doc: "supervisorctl's configuration file (-c)." },
    server_url: { type: 'str', doc: 'supervisord URL (-s), e.g. http://localhost:9001.' },
    username: { type: 'str', doc: 'supervisorctl user (-u).' },
    password: { type: 'str', noLog: true, doc: 'supervisorctl password (-p).' },
    supervisorctl_path: { type: 'path', doc: 'Path of supervisorctl.' },
    signal: { type: 'str', doc: 'With state=signalled: the signal (HUP, USR1, ...).' },
    stop_before_removing: { type: 'bool', default: true, doc: "Accepted for Ansible's supervisorctl: a program is always stopped before it is removed." },
  },
  requiredIf: [['state', 'signalled', ['signal']]],
} as const satisfies Schema
export type SupervisorArgs = ArgsOf<typeof supervisorSchema>

const SECRET_KEY = /pass|secret|token|key|credential|auth|private|salt|cookie|signature|dsn/i

function autorestart(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  const s = String(v).toLowerCase()
  if (['true', 'yes', 'on', '1'].includes(s)) return 'true'
  if (['false', 'no', 'off', '0'].includes(s)) return 'false'
  if (s === 'unexpected') return 'unexpected'
  return `invalid:${String(v)}`
}

function hasDefinition(a: Partial<SupervisorArgs>): boolean {
  return a.command !== undefined
}

/** Problems with a value supervisor's config parser would misread. */
function valueProblem(key: string, v: string): string | undefined {
  if (/[\r\n]/.test(v)) return `${key}: a supervisor value cannot contain a newline`
  if (/\s[;#]/.test(v)) return `${key}: supervisor reads a space followed by ';' or '#' as the start of a comment; remove the space`
  return undefined
}

function envValue(k: string, raw: unknown): { text?: string; error?: string } {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { error: `environment: '${k}' is not a variable name` }
  if (raw !== null && typeof raw === 'object') return { error: `environment: ${k} must be a string, not a ${Array.isArray(raw) ? 'list' : 'mapping'}` }
  const v = raw === null || raw === undefined ? '' : String(raw)
  const p = valueProblem(`environment ${k}`, v)
  if (p) return { error: p }
  // supervisor strips quote characters at both ends of a value, and has no escapes inside quotes.
  if (/^["']|["']$/.test(v)) return { error: `environment: the value of ${k} cannot start or end with a quote character (supervisor strips them)` }
  const q = !v.includes('"') ? '"' : !v.includes("'") ? "'" : undefined
  if (!q) return { error: `environment: the value of ${k} cannot contain both ' and " (supervisor has no escapes)` }
  return { text: `${k}=${q}${v.replace(/%/g, '%%')}${q}` }
}

function validateSupervisor(a: Partial<SupervisorArgs>): string[] {
  const errs: string[] = []
  const name = typeof a.name === 'string' ? a.name : undefined
  if (hasDefinition(a)) {
    if (name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(name))
      errs.push(`a program with a definition needs a plain name (letters, digits, _ . -), got '${name}'`)
  } else {
    const given = DEFINITION_KEYS.filter((k) => a[k] !== undefined)
    if (given.length) errs.push(`${given.join(', ')} ${given.length > 1 ? 'need' : 'needs'} 'command' (a program definition)`)
    if (name !== undefined && !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.*-]*)?$/.test(name)) errs.push(`'${name}' is not a supervisor program or group name`)
  }
  const ar = autorestart(a.autorestart)
  if (ar?.startsWith('invalid:')) errs.push(`autorestart must be true, false or unexpected, got '${ar.slice(8)}'`)
  if (a.numprocs !== undefined && typeof a.numprocs === 'number' && a.numprocs < 1) errs.push('numprocs must be at least 1')
  if (typeof a.numprocs === 'number' && a.numprocs > 1 && typeof a.process_name === 'string' && !a.process_name.includes('%(process_num)'))
    errs.push('with numprocs > 1, process_name must contain %(process_num)s (or %(process_num)02d)')
  for (const k of [
    'command',
    'directory',
    'user',
    'process_name',
    'umask',
    'stdout_logfile',
    'stderr_logfile',
    'stdout_logfile_maxbytes',
    'stderr_logfile_maxbytes',
  ] as const) {
    const v = a[k]
    if (typeof v === 'string') {
      const p = valueProblem(k, v)
      if (p) errs.push(p)
    }
  }
  if (typeof a.umask === 'string' && !/^0?[0-7]{3}$/.test(a.umask)) errs.push(`umask must be octal like 022, got '${a.umask}'`)
  if (a.environment && typeof a.environment === 'object') {
    for (const [k, v] of Object.entries(a.environment)) {
      if (typeof v === 'string' && /\{\{|\{%/.test(v)) continue
      const r = envValue(k, v)
      if (r.error) errs.push(r.error)
    }
  }
  if (a.extra && typeof a.extra === 'object') {
    for (const [k, v] of Object.entries(a.extra)) {
      if (!/^[a-z_]+$/.test(k)) errs.push(`extra: '${k}' is not a supervisor program key`)
      else if (k === 'command' || (DEFINITION_KEYS as readonly string[]).includes(k)) errs.push(`extra: use the '${k}' argument instead`)
      const p = valueProblem(`extra ${k}`, String(v))
      if (p) errs.push(p)
    }
  }
  if (a.signal !== undefined && a.state !== 'signalled') errs.push('signal needs state: signalled')
  return errs
}

function bool(v: boolean): string {
  return v ? 'true' : 'false'
}

/** The definition file for the arguments. */
export function programConfig(a: SupervisorArgs): string {
  const lines = ['; written by rm-play (supervisor module): changes made here are overwritten', `[program:${a.name}]`, `command=${a.command}`]
  const numprocs = a.numprocs ?? 1
  const processName = a.process_name ?? (numprocs > 1 ? '%(program_name)s_%(process_num)02d' : undefined)
  const add = (k: string, v: string | number | boolean | undefined) => {
    if (v !== undefined) lines.push(`${k}=${typeof v === 'boolean' ? bool(v) : String(v)}`)
  }
  add('process_name', processName)
  add('numprocs', a.numprocs)
  add('directory', a.directory)
  add('user', a.user)
  add('priority', a.priority)
  add('autostart', a.autostart)
  add('autorestart', autorestart(a.autorestart))
  add('startsecs', a.startsecs)
  add('startretries', a.startretries)
  add('stopsignal', a.stopsignal)
  add('stopwaitsecs', a.stopwaitsecs)
  add('stopasgroup', a.stopasgroup)
  add('killasgroup', a.killasgroup)
  add('umask', a.umask)
  add('redirect_stderr', a.redirect_stderr)
  add('stdout_logfile', a.stdout_logfile)
  add('stdout_logfile_maxbytes', a.stdout_logfile_maxbytes)
  add('stdout_logfile_backups', a.stdout_logfile_backups)
  add('stderr_logfile', a.stderr_logfile)
  add('stderr_logfile_maxbytes', a.stderr_logfile_maxbytes)
  add('stderr_logfile_backups', a.stderr_logfile_backups)
  const env = Object.entries(a.environment ?? {})
  if (env.length) {
    const parts = env.map(([k, v]) => {
      const r = envValue(k, v)
      if (r.error) throw new ModuleFailure(r.error)
      return r.text!
    })
    lines.push(`environment=${parts.join(',')}`)
  }
  for (const [k, v] of Object.entries(a.extra ?? {})) add(k, typeof v === 'boolean' ? v : String(v))
  return lines.join('\n') + '\n'
}

/** KEY=value pairs of an environment= line, as supervisor reads them (quotes stripped). */
export function parseEnvironmentLine(value: string): [string, string][] {
  const out: [string, string][] = []
  let i = 0
  while (i < value.length) {
    const eq = value.indexOf('=', i)
    if (eq < 0) break
    const key = value.slice(i, eq).trim()
    let j = eq + 1
    let v = ''
    if (value[j] === '"' || value[j] === "'") {
      const q = value[j]!
      const end = value.indexOf(q, j + 1)
      v = value.slice(j + 1, end < 0 ? value.length : end)
      j = end < 0 ? value.length : end + 1
    } else {
      const end = value.indexOf(',', j)
      v = value.slice(j, end < 0 ? value.length : end)
      j = end < 0 ? value.length : end
    }
    out.push([key, v])
    while (j < value.length && value[j] !== ',') j++
    i = j + 1
  }
  return out
}

function maskUrl(v: string): string {
  return v.replace(/(:\/\/[^:/@\s]*:)([^@\s]+)@/g, '$1********@')
}

/** The two file texts with secret-looking environment values masked; a changed secret says so. */
export function maskDefinitions(before: string, after: string): { before: string; after: string } {
  const envOf = (text: string) => {
    const line = text.split('\n').find((l) => l.startsWith('environment='))
    return new Map(line ? parseEnvironmentLine(line.slice('environment='.length)) : [])
  }
  const old = envOf(before)
  const mask = (text: string, other: Map<string, string> | undefined) =>
    text
      .split('\n')
      .map((l) => {
        if (!l.startsWith('environment=')) return l
        const pairs = parseEnvironmentLine(l.slice('environment='.length))
        return (
          'environment=' +
          pairs
            .map(([k, v]) => {
              if (SECRET_KEY.test(k)) return `${k}="********${other && other.has(k) && other.get(k) !== v ? ' (changed)' : ''}"`
              return `${k}="${maskUrl(v).replace(/%%/g, '%')}"`
            })
            .join(',')
        )
      })
      .join('\n')
  return { before: mask(before, undefined), after: mask(after, old) }
}

// supervisor's own parser reads the new definition before it replaces the old one: an unknown
// user, a bad number or a broken environment fails the task and leaves the file as it was.
const CHECK_PY = `import sys
try:
    from supervisor.options import ServerOptions, UnhosedConfigParser
except ImportError:
    sys.exit(0)
p = UnhosedConfigParser()
p.read(sys.argv[1])
o = ServerOptions()
o.here = sys.argv[2]
for s in p.sections():
    if s.startswith('program:'):
        try:
            o.processes_from_section(p, s, s.split(':', 1)[1])
        except ValueError as e:
            sys.stderr.write('supervisor rejects the definition: %s\\n' % str(e).replace(sys.argv[1], sys.argv[3]))
            sys.exit(1)
`

function checkStep(a: SupervisorArgs, content: string, secret: boolean): ExecStep {
  const script = joinScripts([
    code('command -v python3 >/dev/null 2>&1 || exit 0'),
    code('t=$(mktemp)'),
    code('cat > "$t"'),
    sh`python3 -c ${CHECK_PY} "$t" ${a.config_dir} ${configFile(a)}`,
    code('rc=$?; rm -f "$t"; exit $rc'),
  ])
  return { kind: 'exec', script, stdin: content, ...(secret ? { secret: true } : {}) }
}

function ctlOptions(a: SupervisorArgs): SupervisorctlOptions {
  const args: string[] = []
  if (a.config) args.push('-c', a.config)
  if (a.server_url) args.push('-s', a.server_url)
  if (a.username) args.push('-u', a.username)
  return { path: a.supervisorctl_path ?? 'supervisorctl', args, ...(a.password ? { password: a.password } : {}) }
}

function configFile(a: SupervisorArgs): string {
  return `${a.config_dir.replace(/\/+$/, '')}/${a.name}.conf`
}

/** What supervisorctl calls the processes: `NAME:*` for a program's group. */
function target(name: string): string {
  if (name.endsWith(':')) return `${name}*`
  return name.includes(':') ? name : `${name}:*`
}

function groupName(name: string): string {
  return name.split(':')[0]!
}

export function matches(name: string, p: SupervisorProcess): boolean {
  // A group of one process that has the program's name is listed without the group prefix.
  if (name.endsWith(':')) return p.name.startsWith(name) || p.name === name.slice(0, -1)
  if (name.includes(':')) return p.name === name
  return p.name === name || p.name.startsWith(`${name}:`)
}

const VERB: Record<SupervisorArgs['state'], string> = {
  present: 'define',
  started: 'start',
  stopped: 'stop',
  restarted: 'restart',
  signalled: 'signal',
  absent: 'remove',
}

// supervisor's own RUNNING_STATES: start says "already started" for these.
const UP = new Set(['RUNNING', 'STARTING', 'BACKOFF'])

function probeOptions(a: SupervisorArgs) {
  return {
    ...ctlOptions(a),
    file: hasDefinition(a) || a.state === 'absent' ? configFile(a) : undefined,
    configDir: hasDefinition(a) ? a.config_dir : undefined,
  }
}

function exec(script: Script, secret: boolean): ExecStep {
  return { kind: 'exec', script, ...(secret ? { secret: true } : {}) }
}

function running(procs: SupervisorProcess[]): string {
  return `${procs.filter((p) => UP.has(p.state)).length}/${procs.length} running`
}

function supervisorPlan(a: SupervisorArgs, s: SupervisorState): Change[] {
  const c = supervisorctlCommand(ctlOptions(a))
  const secret = a.password !== undefined
  const name = a.name
  if (!s.installed) {
    if (a.state === 'absent') return []
    return needing(
      `supervisorctl not found on this host: install the supervisor package first${a.supervisorctl_path ? ` (looked for ${a.supervisorctl_path})` : ''}`,
      [{ summary: `${VERB[a.state]} ${name} (supervisor is not installed yet)`, steps: [] }],
    )
  }
  const out: Change[] = []
  const procs = s.running ? s.processes.filter((p) => matches(name, p)) : []
  const known = procs.length > 0
  const file = configFile(a)
  if (a.state === 'absent') {
    const hasFile = !!s.file?.exists
    if (!hasFile && !known) return []
    const steps: Step[] = []
    if (hasFile) steps.push(exec(sh`rm -f -- ${file}`, false))
    // remove only drops a stopped group; update would re-add one still defined in another file.
    if (s.running)
      steps.push(
        exec(
          sh`${c} reread >/dev/null\n${c} stop ${target(name)} >/dev/null 2>&1 || true\nout=$(${c} remove ${groupName(name)} 2>&1) || case "$out" in *"no such"*) ;; *) echo "$out" >&2; exit 1;; esac`,
          secret,
        ),
      )
    return [
      {
        summary: `remove ${name}${hasFile ? ` and ${file}` : ''}`,
        steps,
        diff: hasFile
          ? { path: file, ...maskDefinitions(s.file!.content ?? '', '') }
          : { before: `${name}: ${running(procs)}\n`, after: `${name}: (absent)\n` },
      },
    ]
  }
  if (!s.running) {
    out.push({
      summary: 'start supervisord',
      steps: [
        exec(
          joinScripts([
            startService('supervisor'),
            sh`i=0; while ! ${c} pid >/dev/null 2>&1; do i=$((i+1)); if [ $i -ge 50 ]; then echo "supervisord did not answer after starting it: $(${c} pid 2>&1)" >&2; exit 1; fi; sleep 0.2; done`,
          ]),
          secret,
        ),
      ],
      diff: { before: `supervisord: not running (${s.error ?? 'no answer'})\n`, after: 'supervisord: running\n' },
    })
  }
  let updated = false
  if (hasDefinition(a)) {
    const want = programConfig(a)
    const have = s.file?.exists ? (s.file.content ?? '') : undefined
    const needs =
      s.configDir === false ? { needs: { msg: `${a.config_dir} does not exist on this host (is supervisor installed? set config_dir otherwise)` } } : {}
    const sensitive = Object.keys(a.environment ?? {}).length > 0
    if (have !== want) {
      out.push({
        summary: `${have === undefined ? 'write' : 'update'} ${file}${sensitive ? ' (mode 0600)' : ''}; reread and update ${name}`,
        steps: [
          checkStep(a, want, sensitive),
          { kind: 'put', path: file, content: want, mode: sensitive ? '0600' : '0644', owner: 'root', group: 'root', ...(sensitive ? { secret: true } : {}) },
          exec(sh`${c} reread\n${c} update ${name}`, secret),
        ],
        diff: { path: file, ...maskDefinitions(have ?? '', want) },
        ...needs,
      })
      updated = true
    } else if (!known && s.running) {
      out.push({
        summary: `load ${name} into supervisord (reread, update)`,
        steps: [exec(sh`${c} reread\n${c} update ${name}`, secret)],
        diff: { before: `${name}: (not loaded)\n`, after: `${name}: loaded\n` },
      })
      updated = true
    }
  } else if (!known && s.running) {
    // Ansible's supervisorctl: present adds a program that the configuration defines.
    if (a.state === 'present') {
      return [
        {
          summary: `add ${name} to supervisord (reread, add)`,
          steps: [exec(sh`${c} reread\n${c} add ${groupName(name)}`, secret)],
          diff: { before: `${name}: (not loaded)\n`, after: `${name}: loaded\n` },
        },
      ]
    }
    return needing(`${name}: ERROR (no such process) — supervisord does not know this program; give 'command' to define it`, [
      { summary: `${VERB[a.state]} ${name} (not known to supervisord yet)`, steps: [] },
    ])
  }
  // After an update (or starting supervisord) the processes' state is not known in advance: the
  // step is added to that change, and supervisorctl's start/stop are harmless when already there.
  const unsure = updated || !s.running
  const count = hasDefinition(a) ? (a.numprocs ?? 1) : procs.length
  const act = (verb: string, script: Script, after: string) => {
    const step = exec(script, secret)
    const last = out[out.length - 1]
    if (unsure && last) {
      last.steps.push(step)
      last.summary += `; ${verb} ${name}`
      return
    }
    out.push({
      summary: `${verb} ${name}`,
      steps: [step],
      diff: { before: `${name}: ${known ? running(procs) : '(not loaded)'}\n`, after: `${name}: ${after}\n` },
    })
  }
  const t = target(name)
  switch (a.state) {
    case 'present':
      break
    case 'started':
      if (unsure || procs.some((p) => !UP.has(p.state))) act('start', sh`${c} start ${t}`, `${count}/${count} running`)
      break
    case 'stopped':
      if (unsure || procs.some((p) => UP.has(p.state))) act('stop', sh`${c} stop ${t}`, `0/${count} running`)
      break
    case 'restarted':
      // update already restarted a changed program (or started a new one): then only make sure it runs.
      act('restart', sh`${c} ${updated ? 'start' : 'restart'} ${t}`, `${count}/${count} running (restarted)`)
      break
    case 'signalled':
      act(`signal ${a.signal ?? 'HUP'}`, sh`${c} signal ${a.signal ?? 'HUP'} ${t}`, `${running(procs)} (signalled)`)
      break
  }
  return out
}

const probes = (a: SupervisorArgs) => ({ supervisor: supervisorProbe(probeOptions(a)) })

export const supervisor: HostModule<SupervisorArgs, SupervisorArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'supervisor',
  doc: 'A supervisord program: its definition in conf.d and its processes’ state.',
  args: supervisorSchema,
  returns: {
    name: 'the program',
    state: 'the state asked for',
    config_file: 'the definition file (with a definition)',
    processes: 'the processes before the task: [{ name, state, description }]',
  },
  validate: validateSupervisor,
  probes,
  plan: (a, { supervisor }) => supervisorPlan(a, supervisor),
  result(a, { supervisor: s }) {
    return {
      name: a.name,
      state: a.state,
      ...(hasDefinition(a) ? { config_file: configFile(a) } : {}),
      processes: s.processes.filter((p) => matches(a.name, p)),
    }
  },
}
