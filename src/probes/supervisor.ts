// supervisord state: is supervisorctl there, is supervisord answering, every process's status
// (`supervisorctl status`) — one script. (The definition file is read by the path probe.)
import { createHash } from 'node:crypto'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { keyValues, sections } from './output.js'

export type ProcessState = 'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL' | 'UNKNOWN'

export interface SupervisorProcess {
  /** As status prints it: `prog` or `group:prog_00`. */
  name: string
  state: ProcessState
  description: string
}

export interface SupervisorState {
  installed: boolean
  /** supervisord answers on its socket / server URL. */
  running: boolean
  /** What supervisorctl said when supervisord did not answer. */
  error?: string
  processes: SupervisorProcess[]
}

/** How to run supervisorctl: its path, its connection options (-c, -s, -u) and the password. */
export interface SupervisorctlOptions {
  path: string
  args: string[]
  password?: string
}

const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN']

/** `supervisorctl status` lines: "name   STATE   description". Error lines are skipped. */
export function parseSupervisorStatus(text: string): SupervisorProcess[] {
  const out: SupervisorProcess[] = []
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+([A-Z]+)(?:\s+(.*))?$/.exec(line.trimEnd())
    if (m && STATES.includes(m[2]!)) out.push({ name: m[1]!, state: m[2] as ProcessState, description: (m[3] ?? '').trim() })
  }
  return out
}

export function parseSupervisorState(text: string): SupervisorState {
  const s = sections(text)
  const kv = keyValues(s.get('head') ?? '')
  const installed = kv.installed === '1'
  const statusText = s.get('status') ?? ''
  const processes = installed ? parseSupervisorStatus(statusText) : []
  const rc = Number(kv.status_rc ?? -1)
  // 0: all running, 3: some not running; with processes listed supervisord answered in any case.
  const running = installed && (rc === 0 || rc === 3 || processes.length > 0)
  const state: SupervisorState = { installed, running, processes }
  if (installed && !running) state.error = statusText.trim().split('\n').slice(-1)[0] ?? ''
  return state
}

// supervisorctl takes a password only as -p or from its configuration file. -p would show it in
// the host's process list, so supervisorctl's own code is run by its interpreter (the path's #!
// line) and given the password from the environment, in the same process.
const WITH_PASSWORD_PY = `import os, sys
from supervisor import supervisorctl
supervisorctl.main(['-p', os.environ.pop('RMP_SUPERVISOR_PASSWORD')] + sys.argv[1:])`

/**
 * supervisorctl as a shell command, before its subcommand. The password is a variable assignment
 * in the script (which never travels on a command line), never an argument of a process.
 */
export function supervisorctlCommand(o: SupervisorctlOptions): Script {
  if (o.password === undefined) return sh`${[o.path, ...o.args]}`
  // The #! line is split into words on purpose (`/usr/bin/python3 -u` is two).
  return sh`RMP_SUPERVISOR_PASSWORD=${o.password} $(sed -n '1s/^#! *//p' "$(command -v -- ${o.path})") -c ${WITH_PASSWORD_PY} ${o.args}`
}

export function supervisorProbeId(o: SupervisorctlOptions): string {
  // The id may be printed: it holds a digest of the password, enough to tell passwords apart.
  const pw = o.password === undefined ? '' : createHash('sha256').update(o.password).digest('hex').slice(0, 12)
  return `supervisor:${JSON.stringify([o.path, ...o.args, pw])}`
}

export function supervisorProbe(o: SupervisorctlOptions): Probe<SupervisorState> {
  const lines: Script[] = [code('echo @@head')]
  lines.push(
    sh`if command -v -- ${o.path} >/dev/null 2>&1; then`,
    code('  echo installed=1'),
    sh`  out=$(${supervisorctlCommand(o)} status 2>&1); echo "status_rc=$?"`,
    code('  echo @@status'),
    code(`  printf '%s\\n' "$out"`),
    code('else echo installed=0; fi'),
  )
  lines.push(code('echo @@end'), code('exit 0'))
  return { id: supervisorProbeId(o), script: joinScripts(lines), parse: (out) => parseSupervisorState(out.stdout) }
}
