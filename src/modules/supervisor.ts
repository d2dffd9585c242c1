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
 * Diff mode shows the definition file as a unified diff, and the process state as
 * `celery-worker: 0/2 running` → `2/2 running`. The values of secret-looking environment keys
 * (PASSWORD, SECRET, TOKEN, KEY, ...) and passwords inside URLs, new and old, become secrets of the
 * run, like vault values: masked wherever they would be shown.
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
import { sh, type Script } from '../shell/index.js'
import { pathProbe, type PathState } from '../probes/files.js'
import { serviceProbe } from '../probes/services.js'
import { supervisorctlCommand, supervisorProbe, type SupervisorctlOptions, type SupervisorProcess } from '../probes/supervisor.js'
import { destProbeOptions, planWrite } from './copy.js'
import { runAction, servicePlan } from './init-system.js'
import type { ArgsOf, Schema } from './schema.js'
import { DEFINITION_KEYS, definitionSecrets, programConfig, programOptions, programProblems, programValidate } from './supervisor-program.js'
import { needing, type Change, type ExecStep, type HostModule, type PlanContext, type StateOf, type Step } from './types.js'

const supervisorSchema = {
  options: {
    name: { type: 'str', required: true, doc: 'Program name (`group:` or `group:process` without a definition).' },
    state: {
      type: 'str',
      default: 'present',
      choices: ['present', 'started', 'stopped', 'restarted', 'absent', 'signalled'],
      doc: 'What to make of the program.',
    },
    ...programOptions,
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

function hasDefinition(a: Partial<SupervisorArgs>): boolean {
  return a.command !== undefined
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
  errs.push(...programProblems(a))
  // The validate command's words: a %s there would stand for the new file.
  if (typeof a.config_dir === 'string' && a.config_dir.includes('%s')) errs.push(`config_dir cannot contain %s: ${a.config_dir}`)
  if (a.signal !== undefined && a.state !== 'signalled') errs.push('signal needs state: signalled')
  return errs
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

const probes = (a: SupervisorArgs, ctx: PlanContext) => ({
  supervisor: supervisorProbe(ctlOptions(a)),
  file: hasDefinition(a) || a.state === 'absent' ? pathProbe(configFile(a), destProbeOptions(ctx)) : undefined,
  // supervisord's init service, started as the service module starts one when supervisord is down.
  service: a.state === 'absent' ? undefined : serviceProbe('supervisor'),
})
type State = StateOf<ReturnType<typeof probes>>

/** What the plan's parts share: the arguments, how to call supervisorctl, the processes now. */
interface Ctl {
  a: SupervisorArgs
  c: Script
  procs: SupervisorProcess[]
  known: boolean
  secret: boolean
}

function exec(ctl: Ctl, script: Script): ExecStep {
  return { kind: 'exec', script, ...(ctl.secret ? { secret: true } : {}) }
}

function running(procs: SupervisorProcess[]): string {
  return `${procs.filter((p) => UP.has(p.state)).length}/${procs.length} running`
}

const text = (f: PathState | undefined) => f?.content?.toString('utf8') ?? ''

/** absent: the file deleted, the program stopped and removed from supervisord. */
function removal(ctl: Ctl, s: State): Change[] {
  const { a, c } = ctl
  const hasFile = !!s.file?.exists
  if (!hasFile && !ctl.known) return []
  const file = configFile(a)
  const steps: Step[] = []
  if (hasFile) steps.push(exec({ ...ctl, secret: false }, sh`rm -f -- ${file}`))
  // remove only drops a stopped group; update would re-add one still defined in another file.
  if (s.supervisor.running)
    steps.push(
      exec(
        ctl,
        sh`${c} reread >/dev/null\n${c} stop ${target(a.name)} >/dev/null 2>&1 || true\nout=$(${c} remove ${groupName(a.name)} 2>&1) || case "$out" in *"no such"*) ;; *) echo "$out" >&2; exit 1;; esac`,
      ),
    )
  const diff = hasFile ? { path: file, before: text(s.file), after: '' } : { before: `${a.name}: ${running(ctl.procs)}\n`, after: `${a.name}: (absent)\n` }
  return [{ summary: `remove ${a.name}${hasFile ? ` and ${file}` : ''}`, steps, diff, secrets: definitionSecrets(text(s.file)) }]
}

/** supervisord does not answer: start its service (as the service module does) and wait for it. */
function startSupervisord(ctl: Ctl, s: State): Change {
  const started = s.service ? servicePlan(s.service, { name: 'supervisor', state: 'started' }, 'supervisor') : []
  const needs = started.find((ch) => ch.needs)?.needs
  const wait = sh`i=0; while ! ${ctl.c} pid >/dev/null 2>&1; do i=$((i+1)); if [ $i -ge 50 ]; then echo "supervisord did not answer after starting it: $(${ctl.c} pid 2>&1)" >&2; exit 1; fi; sleep 0.2; done`
  return {
    summary: 'start supervisord',
    steps: [...started.flatMap((ch) => ch.steps), exec(ctl, wait)],
    diff: { before: `supervisord: not running (${s.supervisor.error ?? 'no answer'})\n`, after: 'supervisord: running\n' },
    ...(needs ? { needs } : {}),
  }
}

/**
 * The definition file, written as copy and template write theirs (a put step: temp file, validated
 * by supervisor's own parser, renamed into place); when its content changes, or supervisord does
 * not know the program yet, supervisord rereads it (`rereads`: the processes' state is then unsure).
 */
function definition(ctl: Ctl, s: State, ctx: PlanContext): { changes: Change[]; rereads: boolean } {
  const { a, c } = ctl
  const file = configFile(a)
  const content = programConfig(a)
  const sensitive = Object.keys(a.environment ?? {}).length > 0
  const summary = `${s.file?.exists ? 'update' : 'write'} ${file}${sensitive ? ' (mode 0600)' : ''}; reread and update ${a.name}`
  const reread = exec(ctl, sh`${c} reread\n${c} update ${a.name}`)
  if (!s.file?.exists && s.file?.parent === 'missing') {
    const msg = `${a.config_dir} does not exist on this host (is supervisor installed? set config_dir otherwise)`
    return { changes: needing(msg, [{ summary, steps: [] }]), rereads: true }
  }
  const mode = sensitive ? '0600' : '0644'
  const write = { dest: file, content: Buffer.from(content), follow: true, mode, owner: 'root', group: 'root', validate: programValidate(a.config_dir, file) }
  const [written] = planWrite(write, s.file!, ctx)
  if (written?.steps.some((st) => st.kind === 'put')) {
    const steps = written.steps.map((st) => (st.kind === 'put' && sensitive ? { ...st, secret: true } : st))
    const secrets = [...new Set([...definitionSecrets(content), ...definitionSecrets(text(s.file))])]
    return { changes: [{ ...written, summary, steps: [...steps, reread], secrets }], rereads: true }
  }
  // The same content (an owner or mode put right, maybe): supervisord needs no reread unless it lacks the program.
  const same = written ? [written] : []
  if (ctl.known || !s.supervisor.running) return { changes: same, rereads: false }
  const diff = { before: `${a.name}: (not loaded)\n`, after: `${a.name}: loaded\n` }
  return { changes: [...same, { summary: `load ${a.name} into supervisord (reread, update)`, steps: [reread], diff }], rereads: true }
}

/** No definition given and supervisord does not know the name: add it (present) or fail. */
function unknownProgram(ctl: Ctl): Change[] {
  const { a, c } = ctl
  // Ansible's supervisorctl: present adds a program that the configuration defines.
  if (a.state === 'present') {
    const steps = [exec(ctl, sh`${c} reread\n${c} add ${groupName(a.name)}`)]
    return [{ summary: `add ${a.name} to supervisord (reread, add)`, steps, diff: { before: `${a.name}: (not loaded)\n`, after: `${a.name}: loaded\n` } }]
  }
  return needing(`${a.name}: ERROR (no such process) — supervisord does not know this program; give 'command' to define it`, [
    { summary: `${VERB[a.state]} ${a.name} (not known to supervisord yet)`, steps: [] },
  ])
}

type ProcessWanted = 'started' | 'stopped' | 'restarted' | 'signalled'

/** What supervisorctl does to the processes (its words, said as a verb) and how they are after. */
function processAction(ctl: Ctl, state: ProcessWanted, now: boolean | undefined, updated: boolean): { verb: string; words: Script; after: string } | undefined {
  const { a, procs } = ctl
  const count = hasDefinition(a) ? (a.numprocs ?? 1) : procs.length
  if (state === 'signalled') {
    const sig = a.signal ?? 'HUP'
    return { verb: `signal ${sig}`, words: sh`signal ${sig}`, after: `${running(procs)} (signalled)` }
  }
  // Always a restart (as Ansible's supervisorctl); update already restarted a changed program (or
  // started a new one): then only make sure it runs.
  if (state === 'restarted') return { verb: 'restart', words: sh`${updated ? 'start' : 'restart'}`, after: `${count}/${count} running (restarted)` }
  const action = runAction(state, now)
  return action && { verb: action, words: sh`${action}`, after: action === 'stop' ? `0/${count} running` : `${count}/${count} running` }
}

/**
 * The processes' state: started and stopped as the service module decides (runAction), restarted
 * and signalled always. After an update (or starting supervisord) their state is not known in
 * advance: the step joins the last change, and supervisorctl's start and stop are harmless when
 * the processes are there already.
 */
function processes(ctl: Ctl, out: Change[], unsure: boolean, updated: boolean): Change[] {
  const { a, c, procs } = ctl
  if (a.state === 'present' || a.state === 'absent') return out
  const up = procs.filter((p) => UP.has(p.state)).length
  const now = unsure ? undefined : up === procs.length ? true : up === 0 ? false : undefined
  const act = processAction(ctl, a.state, now, updated)
  if (!act) return out
  const step = exec(ctl, sh`${c} ${act.words} ${target(a.name)}`)
  const last = out[out.length - 1]
  if (unsure && last) return [...out.slice(0, -1), { ...last, steps: [...last.steps, step], summary: `${last.summary}; ${act.verb} ${a.name}` }]
  const before = `${a.name}: ${ctl.known ? running(procs) : '(not loaded)'}\n`
  return [...out, { summary: `${act.verb} ${a.name}`, steps: [step], diff: { before, after: `${a.name}: ${act.after}\n` } }]
}

function supervisorPlan(a: SupervisorArgs, s: State, ctx: PlanContext): Change[] {
  const sv = s.supervisor
  if (!sv.installed) {
    if (a.state === 'absent') return []
    return needing(
      `supervisorctl not found on this host: install the supervisor package first${a.supervisorctl_path ? ` (looked for ${a.supervisorctl_path})` : ''}`,
      [{ summary: `${VERB[a.state]} ${a.name} (supervisor is not installed yet)`, steps: [] }],
    )
  }
  const procs = sv.running ? sv.processes.filter((p) => matches(a.name, p)) : []
  const ctl: Ctl = { a, c: supervisorctlCommand(ctlOptions(a)), procs, known: procs.length > 0, secret: a.password !== undefined }
  if (a.state === 'absent') return removal(ctl, s)
  const out: Change[] = sv.running ? [] : [startSupervisord(ctl, s)]
  if (!hasDefinition(a)) return !ctl.known && sv.running ? unknownProgram(ctl) : processes(ctl, out, !sv.running, false)
  const { changes, rereads } = definition(ctl, s, ctx)
  return processes(ctl, [...out, ...changes], rereads || !sv.running, rereads)
}

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
  plan: supervisorPlan,
  result(a, { supervisor: s }) {
    return {
      name: a.name,
      state: a.state,
      ...(hasDefinition(a) ? { config_file: configFile(a) } : {}),
      processes: s.processes.filter((p) => matches(a.name, p)),
    }
  },
}
