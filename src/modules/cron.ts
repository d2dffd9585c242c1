/**
 * cron — a named entry in a user's crontab or in a file under /etc/cron.d, written the way
 * Ansible writes it, so crontabs Ansible managed before are recognised and kept.
 *
 * Each job is a `#Ansible: NAME` comment line followed by the job line; `name` finds it again
 * (changing the name makes a new entry). `job` is the command; `minute`, `hour`, `day`, `month`,
 * `weekday` (each default `*`) or `special_time` (reboot, yearly, annually, monthly, weekly, daily,
 * hourly) say when. `disabled: true` keeps the entry but comments it out. `state: absent` removes
 * it. `user` is whose crontab (default: the user the task runs as), written with `crontab -u USER -`.
 *
 * With `cron_file` the entry goes into /etc/cron.d/CRON_FILE (or that absolute path) instead, with
 * the user field (`user`, default root) that such files need, written atomically (mode 0644); a
 * file left without entries is deleted, and `state: absent` without a name deletes the file. cron
 * ignores /etc/cron.d files whose names contain a dot, so such names are rejected.
 *
 * `env: true` manages a variable line `NAME="JOB"` (as Ansible writes it) instead (no comment line): new variables go at
 * the top, or after/before the variable named by `insertafter` / `insertbefore`. `backup: true`
 * keeps a copy of the old crontab (returned as `backup_file`).
 *
 * Diff mode shows the crontab as a unified diff. In check mode a user or a cron installation
 * that does not exist yet gives an uncertain change; in a real run a clear error. cron treats `%`
 * in a job as a newline: write `\%` for a literal one.
 *
 *   - cron:
 *       name: nightly database backup
 *       minute: "30"
 *       hour: "2"
 *       job: /opt/runmaster/bin/backup.sh >> /opt/runmaster/logs/backup.log 2>&1
 *       user: runmaster
 *   - cron: { name: cleanup, special_time: daily, job: /usr/local/bin/cleanup, cron_file: runmaster, user: runmaster }
 */
import { code, sh } from '../shell/index.js'
import { cronPath, crontabProbe, type CrontabState } from '../probes/cron.js'
import type { ArgsOf, Schema } from './schema.js'
import type { Change, HostModule, Step } from './types.js'

const SPECIAL = ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'] as const
const TIME_FIELDS = ['minute', 'hour', 'day', 'month', 'weekday'] as const

const cronSchema = {
  options: {
    name: { type: 'str', doc: 'The entry\'s name (the "#Ansible: NAME" line), or the variable name with env.' },
    job: { type: 'str', aliases: ['value'], doc: "The command (or the variable's value with env)." },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'Whether the entry exists.' },
    user: { type: 'str', doc: "Whose crontab (default: the task's user); in a cron_file, the user the job runs as (default root)." },
    minute: { type: 'str', default: '*', doc: 'Minute (0-59, */5, ...).' },
    hour: { type: 'str', default: '*', doc: 'Hour (0-23, ...).' },
    day: { type: 'str', default: '*', aliases: ['dom'], doc: 'Day of the month (1-31, ...).' },
    month: { type: 'str', default: '*', doc: 'Month (1-12, jan-dec, ...).' },
    weekday: { type: 'str', default: '*', aliases: ['dow'], doc: 'Day of the week (0-6 from Sunday, sun-sat, ...).' },
    special_time: { type: 'str', choices: SPECIAL, doc: 'Instead of the time fields: @reboot, @daily, ...' },
    disabled: { type: 'bool', default: false, doc: 'Keep the entry but comment it out.' },
    cron_file: { type: 'str', doc: 'A file in /etc/cron.d (or an absolute path) instead of a user crontab.' },
    env: { type: 'bool', default: false, doc: 'Manage an environment variable line NAME="JOB".' },
    insertafter: { type: 'str', doc: 'With env: put a new variable after this one.' },
    insertbefore: { type: 'str', doc: 'With env: put a new variable before this one.' },
    backup: { type: 'bool', default: false, doc: 'Keep a copy of the old crontab (backup_file).' },
  },
  mutuallyExclusive: [['insertafter', 'insertbefore']],
} as const satisfies Schema
export type CronArgs = ArgsOf<typeof cronSchema>

function validateCron(a: Partial<CronArgs>): string[] {
  const errs: string[] = []
  const state = a.state ?? 'present'
  if (a.name === undefined && !(state === 'absent' && a.cron_file !== undefined))
    errs.push(`'name' is required${state === 'absent' ? ' (or cron_file, to remove the whole file)' : ''}`)
  if (state === 'present' && a.job === undefined) errs.push(`'job' is required with state=present`)
  for (const k of ['name', 'job'] as const) {
    const v = a[k]
    if (typeof v === 'string' && /[\r\n]/.test(v)) errs.push(`${k} cannot contain a newline`)
  }
  const explicit = TIME_FIELDS.filter((k) => a[k] !== undefined && a[k] !== '*')
  if (a.special_time !== undefined && explicit.length) errs.push(`special_time cannot be combined with ${explicit.join(', ')}`)
  for (const k of TIME_FIELDS) {
    const v = a[k]
    if (typeof v === 'string' && !/^[0-9A-Za-z*/,-]+$/.test(v)) errs.push(`${k} '${v}' is not a cron time field`)
  }
  if (a.env) {
    if (typeof a.name === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name)) errs.push(`with env, name must be a variable name, got '${a.name}'`)
    if (a.special_time !== undefined || explicit.length || a.disabled) errs.push('env takes no time fields or disabled')
  } else if (a.insertafter !== undefined || a.insertbefore !== undefined) errs.push('insertafter and insertbefore need env: true')
  if (typeof a.cron_file === 'string') {
    const base = a.cron_file.split('/').pop() ?? ''
    if (!a.cron_file.startsWith('/') && a.cron_file.includes('/'))
      errs.push(`cron_file must be a file name in /etc/cron.d or an absolute path, got '${a.cron_file}'`)
    else if (!a.cron_file.startsWith('/') && !/^[A-Za-z0-9_-]+$/.test(base))
      errs.push(`cron ignores /etc/cron.d files whose names are not only letters, digits, _ and - (got '${base}')`)
  }
  return errs
}

function marker(name: string): string {
  return `#Ansible: ${name}`
}

export function jobLine(a: CronArgs): string {
  const user = a.cron_file ? ` ${a.user ?? 'root'}` : ''
  const when = a.special_time ? `@${a.special_time}` : `${a.minute} ${a.hour} ${a.day} ${a.month} ${a.weekday}`
  return `${a.disabled ? '#' : ''}${when}${user} ${a.job}`
}

/** The crontab's lines after the task, from its lines before. */
export function cronEdit(a: CronArgs, lines: string[]): string[] {
  const out = [...lines]
  if (a.name === undefined) return a.state === 'absent' ? [] : out
  if (a.env) {
    const re = (n: string) => new RegExp(`^\\s*${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=`)
    const at = out.findIndex((l) => re(a.name!).test(l))
    // As Ansible's cron: the value in double quotes (NAME="JOB").
    const line = `${a.name}="${a.job ?? ''}"`
    if (a.state === 'absent') {
      if (at >= 0) out.splice(at, 1)
      return out
    }
    if (at >= 0) {
      out[at] = line
      return out
    }
    const after = a.insertafter !== undefined ? out.findIndex((l) => re(a.insertafter!).test(l)) : -1
    const before = a.insertbefore !== undefined ? out.findIndex((l) => re(a.insertbefore!).test(l)) : -1
    if (after >= 0) out.splice(after + 1, 0, line)
    else if (before >= 0) out.splice(before, 0, line)
    else out.unshift(line)
    return out
  }
  const m = out.indexOf(marker(a.name))
  if (a.state === 'absent') {
    if (m >= 0) out.splice(m, m + 1 < out.length && !out[m + 1]!.startsWith('#Ansible: ') ? 2 : 1)
    return out
  }
  const line = jobLine(a)
  if (m < 0) return [...out, marker(a.name), line]
  if (m + 1 < out.length && !out[m + 1]!.startsWith('#Ansible: ')) out[m + 1] = line
  else out.splice(m + 1, 0, line)
  return out
}

function text(lines: string[]): string {
  return lines.length ? lines.join('\n') + '\n' : ''
}

function where(a: CronArgs): string {
  return a.cron_file ? cronPath(a.cron_file) : `crontab of ${a.user ?? 'the login user'}`
}

function cronPlan(a: CronArgs, s: CrontabState): Change[] {
  const after = cronEdit(a, s.lines)
  const same = after.length === s.lines.length && after.every((l, i) => l === s.lines[i])
  if (same && !(a.cron_file && a.name === undefined && a.state === 'absent' && s.exists)) return []
  const what =
    a.name === undefined
      ? `remove ${where(a)}`
      : `${a.state === 'absent' ? 'remove' : s.lines.includes(marker(a.name)) || (a.env && s.lines.some((l) => l.startsWith(`${a.name}=`))) ? 'update' : 'add'} ${a.env ? 'variable' : 'job'} '${a.name}' ${a.state === 'absent' ? 'from' : 'in'} ${where(a)}`
  const diff = { path: where(a), before: text(s.lines), after: text(after) }
  const steps: Step[] = []
  if (a.cron_file) {
    const path = cronPath(a.cron_file)
    if (!s.dirExists)
      return [
        {
          summary: `${what} (cron is not installed yet)`,
          steps: [],
          diff,
          needs: { msg: `cron: the directory of ${path} does not exist (is cron installed?)` },
        },
      ]
    if (after.every((l) => l.trim() === ''))
      steps.push({
        kind: 'exec',
        script: a.backup
          ? sh`f=${path}; if [ -f "$f" ]; then b="$f.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$f" "$b"; echo "backup_file=$b"; fi; rm -f -- "$f"`
          : sh`rm -f -- ${path}`,
      })
    else steps.push({ kind: 'put', path, content: text(after), mode: '0644', owner: 'root', group: 'root', backup: a.backup })
    return [{ summary: what, steps, diff }]
  }
  if (!s.crontabCommand || !s.userExists) {
    const why = !s.crontabCommand ? 'the crontab command is missing (install the cron package)' : `user ${a.user} does not exist`
    return [
      {
        summary: `${what} (${!s.crontabCommand ? 'cron is not installed yet' : `user ${a.user} does not exist yet`})`,
        steps: [],
        diff,
        needs: { msg: `cron: ${why}` },
      },
    ]
  }
  const u = a.user ? sh` -u ${a.user}` : code('')
  if (a.backup && s.exists) steps.push({ kind: 'exec', script: sh`b=$(mktemp /tmp/crontab.XXXXXXXX) && crontab${u} -l > "$b" && echo "backup_file=$b"` })
  if (after.length === 0) steps.push({ kind: 'exec', script: sh`crontab${u} -r` })
  else steps.push({ kind: 'exec', script: sh`crontab${u} -`, stdin: text(after) })
  return [{ summary: what, steps, diff }]
}

const probes = (a: CronArgs) => ({ crontab: crontabProbe(a.user, a.cron_file) })

export const cron: HostModule<CronArgs, CronArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'cron',
  doc: 'Manage a named crontab entry (user crontab or /etc/cron.d file), as Ansible writes it.',
  args: cronSchema,
  returns: {
    jobs: 'names of the #Ansible: entries in the crontab after the task',
    envs: 'variables set in the crontab after the task',
    backup_file: 'the copy made with backup',
  },
  validate: validateCron,
  probes,
  plan: (a, { crontab }) => cronPlan(a, crontab),
  result(a, { crontab: s }, outputs) {
    const after = cronEdit(a, s.lines)
    const backup = outputs.map((o) => /backup_file=(.*)/.exec(o.stdout)?.[1]).find(Boolean)
    return {
      jobs: after.filter((l) => l.startsWith('#Ansible: ')).map((l) => l.slice('#Ansible: '.length)),
      envs: after.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => l.slice(0, l.indexOf('='))),
      ...(backup ? { backup_file: backup } : {}),
    }
  },
}
