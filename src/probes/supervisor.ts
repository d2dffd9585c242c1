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

// supervisorctl's own code, run by its interpreter (the #! line of supervisorctl, whose path comes
// first in the arguments; its directory first on sys.path, as when the script runs):
//   - the password (-p) comes from the environment: supervisorctl takes it only as -p or from its
//     configuration file, and -p would show it in the host's process list;
//   - pkg_resources, which supervisor imports and uses only for plugins, is imported on its first
//     use: importing it is half of supervisorctl's start (where it is missing, the import fails
//     as it would).
const SUPERVISORCTL_PY = `import importlib, importlib.util, os, sys, types
path = sys.argv.pop(1)
sys.argv[0] = path
sys.path[0] = os.path.dirname(os.path.realpath(path))
class OnFirstUse(types.ModuleType):
    def __getattr__(self, name):
        del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)
if importlib.util.find_spec("pkg_resources") is not None:
    sys.modules["pkg_resources"] = OnFirstUse("pkg_resources")
from supervisor import supervisorctl
password = os.environ.pop("RMP_SUPERVISOR_PASSWORD", None)
supervisorctl.main((["-p", password] if password is not None else []) + sys.argv[1:])`

/** supervisorctl's code by the interpreter of its #! line (split into words on purpose: `/usr/bin/python3 -u` is two). */
function byInterpreter(o: SupervisorctlOptions, path: Script): Script {
  const password = o.password === undefined ? code('') : sh`RMP_SUPERVISOR_PASSWORD=${o.password} `
  return sh`${password}$(sed -n '1s/^#! *//p' ${path}) -c ${SUPERVISORCTL_PY} ${path} ${o.args}`
}

/**
 * supervisorctl as a shell command, before its subcommand. The password is a variable assignment
 * in the script (which never travels on a command line), never an argument of a process.
 */
export function supervisorctlCommand(o: SupervisorctlOptions): Script {
  if (o.password === undefined) return sh`${[o.path, ...o.args]}`
  return byInterpreter(o, sh`"$(command -v -- ${o.path})"`)
}

export function supervisorProbeId(o: SupervisorctlOptions): string {
  // The id may be printed: it holds a digest of the password, enough to tell passwords apart.
  const pw = o.password === undefined ? '' : createHash('sha256').update(o.password).digest('hex').slice(0, 12)
  return `supervisor:${JSON.stringify([o.path, ...o.args, pw])}`
}

export function supervisorProbe(o: SupervisorctlOptions): Probe<SupervisorState> {
  const lines: Script[] = [code('echo @@head')]
  const fast = sh`out=$(${byInterpreter(o, code('"$p"'))} status 2>&1)`
  // A Python supervisorctl (every packaged one) is run the cheap way, anything else as it is; with
  // a password always by its interpreter (the only way to keep the password off command lines).
  const status =
    o.password === undefined
      ? [
          code(`  case "$(sed -n '1s/^#! *//p' "$p" 2>/dev/null)" in`),
          sh`    *python*) ${fast} ;;`,
          sh`    *) out=$(${supervisorctlCommand(o)} status 2>&1) ;;`,
          code('  esac; echo "status_rc=$?"'),
        ]
      : [sh`  ${fast}; echo "status_rc=$?"`]
  lines.push(
    sh`if p=$(command -v -- ${o.path}); then`,
    code('  echo installed=1'),
    ...status,
    code('  echo @@status'),
    code(`  printf '%s\\n' "$out"`),
    code('else echo installed=0; fi'),
  )
  lines.push(code('echo @@end'), code('exit 0'))
  return { id: supervisorProbeId(o), script: joinScripts(lines), parse: (out) => parseSupervisorState(out.stdout) }
}
