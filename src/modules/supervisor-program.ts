// A supervisor program's definition: the [program:NAME] file built from the supervisor module's
// arguments, the load-time checks of the values supervisor's config parser would misread, the
// values to mask when the file is shown, and the validate command that has supervisor's own parser
// read the new file before it replaces the old one.
import { sh } from '../shell/index.js'
import type { ArgsOf, ArgSpec } from './schema.js'
import { ModuleFailure } from './types.js'

/** The supervisor module's arguments that make the definition. */
export const programOptions = {
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
} as const satisfies Record<string, ArgSpec>

/** The arguments a definition is built from. */
export type ProgramArgs = ArgsOf<{ options: typeof programOptions }> & { name: string }

/** The arguments that belong to a definition (they need `command`). */
export const DEFINITION_KEYS = (Object.keys(programOptions) as (keyof typeof programOptions)[]).filter((k) => k !== 'command' && k !== 'config_dir')

/** The written keys that are plain strings (each checked for what supervisor would misread). */
const STRING_KEYS = [
  'command',
  'directory',
  'user',
  'process_name',
  'umask',
  'stdout_logfile',
  'stderr_logfile',
  'stdout_logfile_maxbytes',
  'stderr_logfile_maxbytes',
] as const

type Value = string | number | boolean | undefined

// Environment keys whose values are secrets: masked in the diff (before and after) like a vault value.
const SECRET_KEY = /pass|secret|token|key|credential|auth|private|salt|cookie|signature|dsn/i

export function autorestart(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  const s = String(v).toLowerCase()
  if (['true', 'yes', 'on', '1'].includes(s)) return 'true'
  if (['false', 'no', 'off', '0'].includes(s)) return 'false'
  if (s === 'unexpected') return 'unexpected'
  return `invalid:${String(v)}`
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

/** Load-time problems of the definition's values (templated environment values are checked when written). */
export function programProblems(a: Partial<ProgramArgs>): string[] {
  const errs: string[] = []
  const ar = autorestart(a.autorestart)
  if (ar?.startsWith('invalid:')) errs.push(`autorestart must be true, false or unexpected, got '${ar.slice(8)}'`)
  if (typeof a.numprocs === 'number' && a.numprocs < 1) errs.push('numprocs must be at least 1')
  if (typeof a.numprocs === 'number' && a.numprocs > 1 && typeof a.process_name === 'string' && !a.process_name.includes('%(process_num)'))
    errs.push('with numprocs > 1, process_name must contain %(process_num)s (or %(process_num)02d)')
  for (const k of STRING_KEYS) {
    const v = a[k]
    const p = typeof v === 'string' ? valueProblem(k, v) : undefined
    if (p) errs.push(p)
  }
  if (typeof a.umask === 'string' && !/^0?[0-7]{3}$/.test(a.umask)) errs.push(`umask must be octal like 022, got '${a.umask}'`)
  for (const [k, v] of Object.entries(a.environment && typeof a.environment === 'object' ? a.environment : {})) {
    if (typeof v === 'string' && /\{\{|\{%/.test(v)) continue
    const r = envValue(k, v)
    if (r.error) errs.push(r.error)
  }
  for (const [k, v] of Object.entries(a.extra && typeof a.extra === 'object' ? a.extra : {})) {
    if (!/^[a-z_]+$/.test(k)) errs.push(`extra: '${k}' is not a supervisor program key`)
    else if (k === 'command' || (DEFINITION_KEYS as readonly string[]).includes(k)) errs.push(`extra: use the '${k}' argument instead`)
    const p = valueProblem(`extra ${k}`, String(v))
    if (p) errs.push(p)
  }
  return errs
}

/** The definition file for the arguments. */
export function programConfig(a: ProgramArgs): string {
  const lines = ['; written by rm-play (supervisor module): changes made here are overwritten', `[program:${a.name}]`, `command=${a.command}`]
  const add = (k: string, v: Value) => {
    if (v !== undefined) lines.push(`${k}=${typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)}`)
  }
  add('process_name', a.process_name ?? ((a.numprocs ?? 1) > 1 ? '%(program_name)s_%(process_num)02d' : undefined))
  const keys: [string, Value][] = [
    ['numprocs', a.numprocs],
    ['directory', a.directory],
    ['user', a.user],
    ['priority', a.priority],
    ['autostart', a.autostart],
    ['autorestart', autorestart(a.autorestart)],
    ['startsecs', a.startsecs],
    ['startretries', a.startretries],
    ['stopsignal', a.stopsignal],
    ['stopwaitsecs', a.stopwaitsecs],
    ['stopasgroup', a.stopasgroup],
    ['killasgroup', a.killasgroup],
    ['umask', a.umask],
    ['redirect_stderr', a.redirect_stderr],
    ['stdout_logfile', a.stdout_logfile],
    ['stdout_logfile_maxbytes', a.stdout_logfile_maxbytes],
    ['stdout_logfile_backups', a.stdout_logfile_backups],
    ['stderr_logfile', a.stderr_logfile],
    ['stderr_logfile_maxbytes', a.stderr_logfile_maxbytes],
    ['stderr_logfile_backups', a.stderr_logfile_backups],
  ]
  for (const [k, v] of keys) add(k, v)
  const env = Object.entries(a.environment ?? {}).map(([k, v]) => {
    const r = envValue(k, v)
    if (r.error) throw new ModuleFailure(r.error)
    return r.text!
  })
  if (env.length) lines.push(`environment=${env.join(',')}`)
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
    const q = value[j] === '"' || value[j] === "'" ? value[j]! : undefined
    const end = q ? value.indexOf(q, j + 1) : value.indexOf(',', j)
    const v = value.slice(q ? j + 1 : j, end < 0 ? value.length : end)
    j = end < 0 ? value.length : q ? end + 1 : end
    out.push([key, v])
    while (j < value.length && value[j] !== ',') j++
    i = j + 1
  }
  return out
}

/**
 * The environment values of a definition text that are secrets, as the file holds them (`%%`) and
 * as the program sees them: those of secret-looking keys, and passwords inside URLs. The run masks
 * them wherever they would be shown (the diff's old and new side alike).
 */
export function definitionSecrets(text: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('environment='))
  const out: string[] = []
  for (const [k, v] of line ? parseEnvironmentLine(line.slice('environment='.length)) : []) {
    const found = SECRET_KEY.test(k) ? [v] : [...v.matchAll(/:\/\/[^:/@\s]*:([^@\s]+)@/g)].map((m) => m[1]!)
    for (const secret of found) out.push(secret, secret.replace(/%%/g, '%'))
  }
  return [...new Set(out)]
}

// supervisor's own parser reads the new definition before it replaces the old one: an unknown
// user, a bad number or a broken environment fails the task and leaves the file as it was. It runs
// as the put step's validate (argv[1] the temp file); without supervisor's python package, it passes.
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
            sys.stderr.write('supervisor rejects the definition: ' + str(e).replace(sys.argv[1], sys.argv[3]) + '\\n')
            sys.exit(1)
`

/** The put step's validate (words as Ansible's validate: %s is the new file) for a definition. */
export function programValidate(configDir: string, file: string): string {
  // sh quotes each value as one word, which is how the validate's words are split again.
  return sh`python3 -c ${CHECK_PY} %s ${configDir} ${file}`.text
}
