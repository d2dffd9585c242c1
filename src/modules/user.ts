/**
 * user — a local user account, made with useradd / usermod / userdel (no python on the host).
 *
 * `name` is the login. With `state: present` (the default) the account exists with what the
 * arguments say, and only that is compared: `uid` (`non_unique` allows a taken one), `group` (the
 * primary group, by name or gid; it must exist — without it useradd makes a group named like the
 * user, or uses an existing group of that name), `groups` (supplementary groups: exactly these, or
 * with `append: true` at least these; `groups: []` without append removes all), `shell`, `home`
 * (with `move_home: true` the old home's contents move along), `comment` (the GECOS field),
 * `password` (an already-hashed password, e.g. `{{ 'secret' | password_hash('sha512') }}`; set
 * with chpasswd -e so the hash never shows in a process list; with `update_password: on_create` it
 * is only set for a new account) and `password_lock` (lock or unlock the password). `system: true`
 * makes a system account (a uid below 1000) — it only matters when the account is created.
 * `create_home` (default true) makes the home directory, from `skeleton` if given: with the
 * account, and, as in Ansible, later too when an existing account's home (`home`, or the one it
 * has) is missing — a copy of `skeleton` (/etc/skel), mode from /etc/login.defs' UMASK, owned by
 * the user.
 *
 * `state: absent` removes the account (`remove: true` also deletes its home and mail spool,
 * `force: true` even while it is logged in).
 *
 * Diff mode shows the account's attributes before and after; the password is never shown, only
 * whether it changes. In check mode a primary group that does not exist yet (an earlier task would
 * create it) gives an uncertain change instead of an error. Not supported: `expires`, SSH key
 * generation, `login_class`, SELinux users and non-Linux systems.
 *
 *   - user:
 *       name: runmaster
 *       system: true
 *       group: runmaster
 *       shell: /usr/sbin/nologin
 *       home: /opt/runmaster
 *       create_home: false
 *   - user: { name: deploy, groups: [sudo, www-data], append: true }
 */
import { code, joinScripts, sh } from '../shell/index.js'
import { parsePasswdLine, userProbe, type PasswdEntry, type UserState } from '../probes/accounts.js'
import type { ArgsOf, Schema } from './schema.js'
import type { Change, ExecStep, HostModule } from './types.js'

const userSchema = {
  options: {
    name: { type: 'str', required: true, aliases: ['user'], doc: 'The login name.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'Whether the account exists.' },
    uid: { type: 'int', doc: 'User id.' },
    non_unique: { type: 'bool', default: false, doc: 'Allow a uid another account has (-o).' },
    group: { type: 'str', doc: 'Primary group (name or gid); it must exist.' },
    groups: { type: 'list', elements: 'str', doc: 'Supplementary groups.' },
    append: { type: 'bool', default: false, doc: 'Add to `groups` without leaving the others.' },
    shell: { type: 'str', doc: 'Login shell.' },
    home: { type: 'path', doc: 'Home directory.' },
    move_home: { type: 'bool', default: false, doc: 'When `home` changes, move the contents (usermod -m).' },
    create_home: {
      type: 'bool',
      default: true,
      aliases: ['createhome'],
      doc: "Make the home directory (with the account, or when an existing account's home is missing).",
    },
    skeleton: { type: 'path', doc: 'Skeleton directory for a new home (useradd -k).' },
    system: { type: 'bool', default: false, doc: 'Create a system account (only when creating).' },
    comment: { type: 'str', doc: 'The GECOS field (full name).' },
    password: { type: 'str', noLog: true, doc: 'An already-hashed password (crypt format, e.g. $6$...).' },
    update_password: {
      type: 'str',
      default: 'always',
      choices: ['always', 'on_create'],
      doc: 'always: set the password when it differs; on_create: only for new accounts.',
    },
    password_lock: { type: 'bool', doc: 'Lock (true) or unlock (false) the password.' },
    remove: { type: 'bool', default: false, doc: 'With state=absent: delete the home directory and mail spool too.' },
    force: { type: 'bool', default: false, doc: 'With state=absent: remove even while logged in.' },
  },
} as const satisfies Schema
export type UserArgs = ArgsOf<typeof userSchema>

const NAME_RE = /^[a-z_][a-z0-9_.-]*\$?$/i

function validateUser(a: Partial<UserArgs>): string[] {
  const errs: string[] = []
  if (typeof a.name === 'string' && (!NAME_RE.test(a.name) || a.name.length > 32)) errs.push(`'${a.name}' is not a valid user name`)
  if (typeof a.password === 'string' && a.password !== '' && !/^(\$[^$]+\$|[!*]|[./0-9A-Za-z]{13}$)/.test(a.password))
    errs.push('password must be an already-hashed password (like $6$salt$hash, e.g. from the password_hash filter), not clear text')
  if (typeof a.password === 'string' && /[:\n\r]/.test(a.password)) errs.push('password cannot contain ":" or a line break')
  for (const k of ['comment', 'shell', 'home'] as const) {
    const v = a[k]
    if (typeof v === 'string' && /[:\n]/.test(v)) errs.push(`${k} cannot contain ':' or a newline`)
  }
  if (a.uid !== undefined && typeof a.uid === 'number' && a.uid < 0) errs.push('uid must not be negative')
  return errs
}

function groupQueries(a: UserArgs): string[] {
  return [...new Set([...(a.group !== undefined ? [a.group] : []), ...(a.groups ?? []), a.name])]
}

function probeArgs(a: UserArgs): [string, string[], boolean, string | undefined] {
  return [a.name, groupQueries(a), a.password !== undefined || a.password_lock !== undefined, a.home]
}

interface Shown {
  uid?: number | string
  group?: string
  groups?: string
  shell?: string
  home?: string
  comment?: string
  password?: string
}

function describe(name: string, v: Shown | undefined): string {
  if (!v) return `user ${name}: (absent)\n`
  const lines = [`user ${name}: present`]
  for (const [k, x] of Object.entries(v)) if (x !== undefined) lines.push(`  ${k}: ${x}`)
  return lines.join('\n') + '\n'
}

function isLocked(hash: string | undefined): boolean {
  return !!hash && hash.startsWith('!')
}

/** remove: userdel, with the home and mail spool when asked. */
function removeUser(a: UserArgs, u: PasswdEntry): Change {
  return {
    summary: `remove user ${a.name}${a.remove ? ' and its home' : ''}`,
    steps: [{ kind: 'exec', script: sh`userdel${code(a.remove ? ' -r' : '')}${code(a.force ? ' -f' : '')} -- ${a.name}` }],
    diff: { before: describe(a.name, { uid: u.uid, home: u.home }), after: describe(a.name, undefined) },
  }
}

/** Groups the arguments name that do not exist: an earlier task may make them. */
function missingGroups(a: UserArgs, s: UserState): Change[] {
  const missing = groupQueries(a).filter((g) => g !== a.name && s.groups[g] === null)
  if (!missing.length) return []
  const msg = `group${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist`
  return [{ summary: `${s.user ? 'update' : 'create'} user ${a.name} (${msg} yet)`, steps: [], needs: { msg: `user ${a.name}: ${msg}` } }]
}

/** The password steps: set the hash (chpasswd -e, the hash on stdin), lock, unlock. */
function passwordSteps(a: UserArgs, s: UserState, creating: boolean): ExecStep[] {
  const steps: ExecStep[] = []
  const differs = s.hash !== a.password && !(isLocked(s.hash) && s.hash === `!${a.password}`)
  if (a.password !== undefined && (creating || (a.update_password === 'always' && differs)))
    steps.push({ kind: 'exec', label: 'chpasswd', script: code('chpasswd -e'), stdin: `${a.name}:${a.password}\n`, secret: true })
  const lockedAfter = a.password !== undefined && steps.length ? false : isLocked(s.hash)
  if (a.password_lock === true && (creating || !lockedAfter)) steps.push({ kind: 'exec', label: 'lock', script: sh`usermod -L -- ${a.name}` })
  if (a.password_lock === false && !creating && lockedAfter) steps.push({ kind: 'exec', label: 'unlock', script: sh`usermod -U -- ${a.name}` })
  return steps
}

/** useradd with every attribute given, then the password. */
function createUser(a: UserArgs, s: UserState): Change {
  const primary = a.group !== undefined ? s.groups[a.group]! : undefined
  const supplementary = (a.groups ?? []).map((g) => s.groups[g]!.name)
  const w = ['useradd']
  if (a.uid !== undefined) w.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []))
  if (primary) w.push('-g', String(primary.gid))
  // useradd refuses to make a user-private group whose name is taken; join that group instead.
  else if (s.groups[a.name]) w.push('-g', String(s.groups[a.name]!.gid))
  if (supplementary.length) w.push('-G', supplementary.join(','))
  if (a.shell !== undefined) w.push('-s', a.shell)
  if (a.home !== undefined) w.push('-d', a.home)
  if (a.comment !== undefined) w.push('-c', a.comment)
  if (a.system) w.push('-r')
  if (a.create_home) w.push('-m', ...(a.skeleton ? ['-k', a.skeleton] : []))
  else w.push('-M')
  w.push('--', a.name)
  // The new account's line, for result(): its uid and home are only known now.
  const steps: ExecStep[] = [{ kind: 'exec', label: 'useradd', script: sh`${w} && getent passwd -- ${a.name}` }, ...passwordSteps(a, s, true)]
  const after: Shown = {
    uid: a.uid ?? '(next free)',
    group: primary?.name ?? a.name,
    groups: supplementary.length ? supplementary.join(',') : undefined,
    shell: a.shell,
    home: a.home ?? '(default)',
    comment: a.comment,
    password: a.password !== undefined ? '(set)' : undefined,
  }
  const summary = `create ${a.system ? 'system ' : ''}user ${a.name}${a.uid !== undefined ? ` (uid ${a.uid})` : ''}`
  return { summary, steps, diff: { before: describe(a.name, undefined), after: describe(a.name, after) } }
}

/** One attribute usermod changes: its flags, its name in the summary, and the diff's two sides. */
interface Edit {
  flags: string[]
  what: string
  key: keyof Shown
  before: string
  after: string
}

function uidEdit(a: UserArgs, u: PasswdEntry): Edit | undefined {
  if (a.uid === undefined || a.uid === u.uid) return undefined
  return { flags: ['-u', String(a.uid), ...(a.non_unique ? ['-o'] : [])], what: 'uid', key: 'uid', before: String(u.uid), after: String(a.uid) }
}

function primaryEdit(a: UserArgs, s: UserState, u: PasswdEntry): Edit | undefined {
  const primary = a.group !== undefined ? s.groups[a.group]! : undefined
  if (!primary || primary.gid === u.gid) return undefined
  return { flags: ['-g', String(primary.gid)], what: 'group', key: 'group', before: s.primary?.name ?? String(u.gid), after: primary.name }
}

/** Supplementary groups: exactly these, or with append at least these. */
function groupsEdit(a: UserArgs, s: UserState): Edit | undefined {
  if (a.groups === undefined) return undefined
  const supplementary = a.groups.map((g) => s.groups[g]!.name)
  const cur = [...new Set(s.memberOf)].sort()
  const before = cur.join(',') || '(none)'
  if (a.append) {
    const add = [...new Set(supplementary.filter((g) => !cur.includes(g)))]
    if (!add.length) return undefined
    return { flags: ['-a', '-G', add.join(',')], what: 'groups', key: 'groups', before, after: [...new Set([...cur, ...add])].sort().join(',') }
  }
  const want = [...new Set(supplementary)].sort().join(',')
  if (want === cur.join(',')) return undefined
  return { flags: ['-G', want], what: 'groups', key: 'groups', before, after: want || '(none)' }
}

function shellEdit(a: UserArgs, u: PasswdEntry): Edit | undefined {
  if (a.shell === undefined || a.shell === u.shell) return undefined
  return { flags: ['-s', a.shell], what: 'shell', key: 'shell', before: u.shell, after: a.shell }
}

/** home: a new path (trailing slashes aside); with move_home its contents move along. */
function homeEdit(a: UserArgs, u: PasswdEntry): Edit | undefined {
  if (a.home === undefined || a.home.replace(/\/+$/, '') === u.home.replace(/\/+$/, '')) return undefined
  return { flags: ['-d', a.home, ...(a.move_home ? ['-m'] : [])], what: a.move_home ? 'home (moved)' : 'home', key: 'home', before: u.home, after: a.home }
}

function commentEdit(a: UserArgs, u: PasswdEntry): Edit | undefined {
  if (a.comment === undefined || a.comment === u.comment) return undefined
  return { flags: ['-c', a.comment], what: 'comment', key: 'comment', before: u.comment, after: a.comment }
}

/** What the password steps change, for the summary and the diff (never the hash itself). */
function passwordShown(steps: ExecStep[], before: Shown, after: Shown): string[] {
  const has = (label: string) => steps.some((st) => st.label === label)
  const what: string[] = []
  if (has('chpasswd')) {
    before.password = '(set)'
    after.password = '(changed)'
    what.push('password')
  }
  if (has('lock')) {
    after.password = `${after.password ?? '(set)'}, locked`
    before.password ??= '(unlocked)'
    what.push('lock password')
  }
  if (has('unlock')) {
    before.password ??= '(locked)'
    after.password = `${after.password ?? '(set)'}, unlocked`
    what.push('unlock password')
  }
  return what
}

/**
 * Ansible's user makes the missing home of an existing account (create_home defaults to true): a
 * copy of the skeleton (/etc/skel) or an empty directory, mode from login.defs' UMASK, owned by
 * the user and its primary group. The step looks again: a home that usermod -m (move_home) has
 * just moved into place is left as it is.
 */
function missingHomeStep(a: UserArgs, s: UserState, u: PasswdEntry): ExecStep | undefined {
  const home = a.home ?? u.home
  if (!a.create_home || s.homeExists || !home) return undefined
  return {
    kind: 'exec',
    label: 'home',
    script: joinScripts([
      code('set -e'),
      sh`h=${home}; n=${a.name}; k=${a.skeleton ?? '/etc/skel'}`,
      code('if [ ! -e "$h" ]; then'),
      code('  if [ -e "$k" ]; then mkdir -p -- "$(dirname -- "$h")"; cp -a -- "$k" "$h"; else mkdir -p -- "$h"; fi'),
      // the last UMASK line of login.defs, as Ansible reads it
      code("  u=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)"),
      code('  if [ -n "$u" ]; then chmod -- "$(printf \'%o\' $((0777 & ~0$u)))" "$h"; fi'),
      code('  chown -R -h -- "$(id -u -- "$n"):$(id -g -- "$n")" "$h"'),
      code('fi'),
    ]),
  }
}

/** An existing account: one usermod for the attributes that differ, then the password steps. */
function modifyUser(a: UserArgs, s: UserState, u: PasswdEntry): Change[] {
  const edits = [uidEdit(a, u), primaryEdit(a, s, u), groupsEdit(a, s), shellEdit(a, u), homeEdit(a, u), commentEdit(a, u)].filter((e) => e !== undefined)
  const before: Shown = {}
  const after: Shown = {}
  for (const e of edits) [before[e.key], after[e.key]] = [e.before, e.after]
  const steps: ExecStep[] = edits.length ? [{ kind: 'exec', script: sh`usermod ${edits.flatMap((e) => e.flags)} -- ${a.name}` }] : []
  const pw = passwordSteps(a, s, false)
  const what = [...edits.map((e) => e.what), ...passwordShown(pw, before, after)]
  steps.push(...pw)
  const home = missingHomeStep(a, s, u)
  if (home) {
    steps.push(home)
    what.push('create home')
    before.home ??= `${a.home ?? u.home} (missing)`
    after.home = `${after.home ?? a.home ?? u.home} (created)`
  }
  if (!steps.length) return []
  return [{ summary: `update user ${a.name}: ${what.join(', ')}`, steps, diff: { before: describe(a.name, before), after: describe(a.name, after) } }]
}

function userPlan(a: UserArgs, s: UserState): Change[] {
  if (a.state === 'absent') return s.user ? [removeUser(a, s.user)] : []
  const missing = missingGroups(a, s)
  if (missing.length) return missing
  return s.user ? modifyUser(a, s, s.user) : [createUser(a, s)]
}

const probes = (a: UserArgs) => ({ user: userProbe(...probeArgs(a)) })

export const user: HostModule<UserArgs, UserArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'user',
  doc: 'Manage a local user account (useradd/usermod/userdel).',
  args: userSchema,
  returns: {
    name: 'the login',
    state: 'present or absent',
    uid: 'user id (after the task; unknown in check mode for a new account)',
    group: 'primary group id',
    groups: 'supplementary groups, comma-separated',
    home: 'home directory',
    shell: 'login shell',
    comment: 'GECOS field',
    system: 'whether a system account was asked for',
    create_home: 'whether a home directory was to be made',
    password: "always 'NOT_LOGGING_PASSWORD' when a password was given",
  },
  validate: validateUser,
  probes,
  plan: (a, { user }) => userPlan(a, user),
  result(a, { user: s }, outputs) {
    const base = { name: a.name, state: a.state, ...(a.password !== undefined ? { password: 'NOT_LOGGING_PASSWORD' } : {}) }
    if (a.state === 'absent') return { ...base, ...(a.remove ? { remove: true } : {}), ...(a.force ? { force: true } : {}) }
    const created = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'useradd')
    const fresh = created ? parsePasswdLine(created.stdout.trim().split('\n').pop() ?? '') : undefined
    const u = s.user
    const primary = a.group !== undefined ? s.groups[a.group] : undefined
    const supplementary = (a.groups ?? []).map((g) => s.groups[g]?.name ?? g)
    const groups = a.groups === undefined ? s.memberOf : a.append ? [...new Set([...s.memberOf, ...supplementary])] : supplementary
    return {
      ...base,
      uid: fresh?.uid ?? a.uid ?? u?.uid,
      group: fresh?.gid ?? primary?.gid ?? u?.gid,
      groups: groups.join(','),
      home: fresh?.home ?? a.home ?? u?.home,
      shell: fresh?.shell ?? a.shell ?? u?.shell,
      comment: a.comment ?? fresh?.comment ?? u?.comment,
      system: a.system,
      create_home: a.create_home,
      append: a.append,
      move_home: a.move_home,
    }
  },
}
