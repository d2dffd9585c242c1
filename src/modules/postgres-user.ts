/**
 * postgres_user — create, change or drop a PostgreSQL role (a user).
 *
 * `name` is the role. `state: present` (the default) creates it — as a user that can log in,
 * like CREATE USER, unless `role_attr_flags` says NOLOGIN — or brings an existing one to the
 * wanted attributes; `state: absent` drops it (it fails while the role still owns objects, unless
 * `fail_on_user: false`).
 *
 * `password` is stored as a SCRAM-SHA-256 verifier computed on the controller, so the clear
 * password never reaches the host (not its process list, not the server log). It is changed only
 * when it differs: the stored verifier is read (as a superuser) and checked against the password
 * on the controller. A password that already is a verifier (`SCRAM-SHA-256$…` or `md5…`) is
 * stored as it is; `password: ""` removes the password. `no_password_changes: true` sets the
 * password only when creating the role. A role whose password is stored as md5 gets it re-stored
 * as SCRAM. When the login role is not a superuser the stored password cannot be read, and the
 * password is set on every run (reported as "may change").
 *
 * `role_attr_flags` takes Ansible's comma-separated attributes: [NO]SUPERUSER, [NO]CREATEROLE,
 * [NO]CREATEDB, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION, [NO]BYPASSRLS; only the ones named are
 * managed. `conn_limit` (-1: no limit), `expires` (a timestamp, or 'infinity') and `comment` are
 * managed when given.
 *
 * Connection: without `login_host` and `login_password`, psql connects over the local socket with
 * peer authentication as the OS user `login_user` (default postgres): a task running as root
 * starts psql through `runuser -u postgres`, one with `become_user: postgres` runs it directly.
 * With `login_password` (or `login_host`) it connects as `login_user` with that password.
 * `login_db` (alias `db`) is the database to connect to. Granting privileges is left to
 * postgres_privs (the `priv` argument of Ansible's module is not supported).
 *
 *   - postgres_user:
 *       name: runmaster
 *       password: "{{ vault_db_password }}"
 *       role_attr_flags: LOGIN,NOSUPERUSER,NOCREATEDB
 *     become: true
 *   - postgres_user: { name: old_app, state: absent }
 *     become: true
 *     become_user: postgres
 */
import { connOptions, connProblems, psqlStep, quoteIdent, quoteLiteral } from './postgres-common.js'
import { roleProbe, type RoleInfo } from '../probes/postgres.js'
import { isMd5Verifier, isScramVerifier, md5Verifier, scramMatches, scramVerifier } from './scram.js'
import { ModuleFailure, needing, type Change, type HostModule, type StateOf } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type PostgresUserArgs = ArgsOf<typeof schema>

export interface PreparedUser extends PostgresUserArgs {
  /** The verifier to store when the password is set: computed in prepare (it needs a random salt). */
  verifier?: string
}

type Attr = 'superuser' | 'createrole' | 'createdb' | 'inherit' | 'login' | 'replication' | 'bypassrls'
const FLAGS: Record<string, Attr> = {
  SUPERUSER: 'superuser',
  CREATEROLE: 'createrole',
  CREATEDB: 'createdb',
  INHERIT: 'inherit',
  LOGIN: 'login',
  REPLICATION: 'replication',
  BYPASSRLS: 'bypassrls',
}
const FLAG_OF: Record<Attr, string> = Object.fromEntries(Object.entries(FLAGS).map(([f, a]) => [a, f])) as Record<Attr, string>

/** The attributes role_attr_flags asks for, or the problems with it. */
export function parseRoleFlags(flags: string): { attrs: Partial<Record<Attr, boolean>>; problems: string[] } {
  const attrs: Partial<Record<Attr, boolean>> = {}
  const problems: string[] = []
  for (const raw of flags.split(/[\s,]+/).filter(Boolean)) {
    const f = raw.toUpperCase()
    const on = !(f.startsWith('NO') && FLAGS[f.slice(2)] !== undefined)
    const attr = FLAGS[on ? f : f.slice(2)]
    if (!attr) {
      problems.push(
        `role_attr_flags: unknown flag '${raw}' (known: ${Object.keys(FLAGS)
          .flatMap((k) => [k, `NO${k}`])
          .join(', ')})`,
      )
      continue
    }
    if (attrs[attr] !== undefined && attrs[attr] !== on) problems.push(`role_attr_flags: both ${FLAG_OF[attr]} and NO${FLAG_OF[attr]}`)
    attrs[attr] = on
  }
  return { attrs, problems }
}

const isHashed = (pw: string) => isScramVerifier(pw) || isMd5Verifier(pw)

interface PasswordPlan {
  /** SQL value for PASSWORD (a literal or NULL), when the password is to be set. */
  value?: string
  before: string
  after: string
  /** The stored password could not be read: setting it may change nothing. */
  unknown?: boolean
}

function passwordPlan(p: PreparedUser, role: RoleInfo | null): PasswordPlan | undefined {
  if (p.password === undefined) return undefined
  const stored = role?.password
  const beforeText = !role ? '(none)' : stored === undefined ? '(unknown)' : stored === null ? '(none)' : '(set)'
  if (role && p.no_password_changes) return undefined
  if (p.password === '') {
    if (role && stored === null) return undefined
    return role ? { value: 'NULL', before: beforeText, after: '(none)', unknown: stored === undefined } : undefined
  }
  const value = isHashed(p.password) ? p.password : p.verifier
  if (value === undefined) throw new Error('postgres_user: the password verifier was not prepared')
  if (role && typeof stored === 'string') {
    if (isHashed(p.password) ? stored === p.password : isScramVerifier(stored) ? scramMatches(p.password, stored) : false) return undefined
    const upgrade = !isHashed(p.password) && isMd5Verifier(stored) && stored === md5Verifier(p.password, p.name)
    return { value: quoteLiteral(value), before: beforeText, after: upgrade ? '(unchanged, re-stored as SCRAM-SHA-256)' : '(changed)' }
  }
  return { value: quoteLiteral(value), before: beforeText, after: role ? '(changed)' : '(set)', unknown: !!role && stored === undefined }
}

/** What the role needs: the SQL (with the password verifier), the same SQL masked, and the diff. */
export interface UserWork {
  kind: 'create' | 'alter' | 'drop'
  sql: string[]
  shown: string[]
  what: string[]
  before: string
  after: string
  unknown: boolean
}

function describe(name: string, lines: [string, string][]): string {
  return [`role ${name}`, ...lines.map(([k, v]) => `  ${k}: ${v}`)].join('\n') + '\n'
}

function userWork(p: PreparedUser, role: RoleInfo | null): UserWork | undefined {
  const ident = quoteIdent(p.name)
  if (p.state === 'absent') {
    if (!role) return undefined
    const sql = [`DROP ROLE ${ident};`]
    return { kind: 'drop', sql, shown: sql, what: [], before: describe(p.name, [['state', 'present']]), after: `role ${p.name}: absent\n`, unknown: false }
  }
  const { attrs } = parseRoleFlags(p.role_attr_flags)
  const opts: string[] = []
  const what: string[] = []
  const before: [string, string][] = []
  const after: [string, string][] = []
  // A new role logs in unless told not to (CREATE USER), as Ansible's module creates it.
  if (!role && attrs.login === undefined) attrs.login = true
  for (const [attr, on] of Object.entries(attrs) as [Attr, boolean][]) {
    const flag = `${on ? '' : 'NO'}${FLAG_OF[attr]}`
    if (role && role[attr] === on) continue
    opts.push(flag)
    what.push(flag)
    before.push([attr, role ? String(role[attr]) : '-'])
    after.push([attr, String(on)])
  }
  if (p.conn_limit !== undefined && (!role || role.conn_limit !== p.conn_limit)) {
    opts.push(`CONNECTION LIMIT ${p.conn_limit}`)
    what.push(`conn_limit ${p.conn_limit}`)
    before.push(['conn_limit', role ? String(role.conn_limit) : '-'])
    after.push(['conn_limit', String(p.conn_limit)])
  }
  if (p.expires !== undefined && (!role || role.expires_same !== true)) {
    opts.push(`VALID UNTIL ${quoteLiteral(p.expires)}`)
    what.push(`expires ${p.expires}`)
    before.push(['expires', role ? (role.valid_until ?? 'never') : '-'])
    after.push(['expires', p.expires])
  }
  const pw = passwordPlan(p, role)
  let shownOpts = opts
  if (pw?.value !== undefined) {
    shownOpts = [...opts, pw.value === 'NULL' ? 'PASSWORD NULL' : "PASSWORD '********'"]
    opts.push(`PASSWORD ${pw.value}`)
    what.push(pw.value === 'NULL' ? 'no password' : 'password')
    before.push(['password', pw.before])
    after.push(['password', pw.after])
  }
  const sql: string[] = []
  const shown: string[] = []
  if (!role || opts.length) {
    const verb = role ? 'ALTER' : 'CREATE'
    sql.push(`${verb} ROLE ${ident}${opts.length ? ` WITH ${opts.join(' ')}` : ''};`)
    shown.push(`${verb} ROLE ${ident}${shownOpts.length ? ` WITH ${shownOpts.join(' ')}` : ''};`)
  }
  if (p.comment !== undefined && (role?.comment ?? '') !== p.comment) {
    const c = `COMMENT ON ROLE ${ident} IS ${p.comment === '' ? 'NULL' : quoteLiteral(p.comment)};`
    sql.push(c)
    shown.push(c)
    what.push('comment')
    before.push(['comment', role?.comment ?? '-'])
    after.push(['comment', p.comment])
  }
  if (!sql.length) return undefined
  return {
    kind: role ? 'alter' : 'create',
    sql,
    shown,
    what,
    before: role ? describe(p.name, before) : `role ${p.name}: absent\n`,
    after: describe(p.name, after),
    unknown: !!pw?.unknown && what.length === 1,
  }
}

const probes = (p: PreparedUser) => ({ role: roleProbe(p, p.login_db, p.name, p.state === 'present' ? p.expires : undefined) })

function summary(p: PreparedUser, w: UserWork): string {
  if (w.kind === 'drop') return `drop role ${p.name}`
  return `${w.kind} role ${p.name}${w.what.length ? ` (${w.what.join(', ')})` : ''}`
}

export function planUser(p: PreparedUser, { role: st }: StateOf<ReturnType<typeof probes>>): Change[] {
  if (!st.ok) {
    // An earlier task may install or start PostgreSQL: check mode says what would be done.
    const w = userWork(p, null)
    const guess: Change[] = w
      ? [
          {
            summary: `${summary(p, w)} — cannot read the server now (${st.error.split('\n')[0]})`,
            steps: [psqlStep(p, p.login_db, w.sql.join('\n') + '\n', { singleTransaction: true, secret: true })],
            diff: { before: '(unknown: the server cannot be read now)\n', after: w.after },
          },
        ]
      : []
    return needing(`postgres_user ${p.name}: ${st.error}`, guess)
  }
  const w = userWork(p, st.role)
  if (!w) return []
  return [
    {
      summary: summary(p, w) + (w.unknown ? ' — the stored password cannot be read by a non-superuser' : ''),
      ...(w.unknown ? { uncertain: true } : {}),
      steps: [
        psqlStep(p, p.login_db, w.sql.join('\n') + '\n', {
          singleTransaction: true,
          secret: true,
          okCodes: w.kind === 'drop' && !p.fail_on_user ? [0, 3] : undefined,
        }),
      ],
      diff: { before: w.before, after: w.after },
    },
  ]
}

const schema = {
  options: {
    name: { type: 'str', required: true, aliases: ['user'], doc: 'The role.' },
    password: {
      type: 'str',
      noLog: true,
      doc: 'Clear password (stored as a SCRAM-SHA-256 verifier computed on the controller), or a verifier (SCRAM-SHA-256$… or md5…); "" removes the password.',
    },
    role_attr_flags: {
      type: 'str',
      default: '',
      doc: 'Comma-separated [NO]SUPERUSER, [NO]CREATEROLE, [NO]CREATEDB, [NO]INHERIT, [NO]LOGIN, [NO]REPLICATION, [NO]BYPASSRLS.',
    },
    conn_limit: { type: 'int', doc: 'Connection limit (-1: none).' },
    expires: { type: 'str', doc: "Password expiry (VALID UNTIL): a timestamp, or 'infinity'." },
    comment: { type: 'str', doc: 'Comment on the role ("" removes it).' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: create or update; absent: drop.' },
    no_password_changes: { type: 'bool', default: false, doc: 'Set the password only when creating the role.' },
    encrypted: { type: 'bool', default: true, doc: 'Accepted for compatibility: passwords are always stored encrypted (SCRAM-SHA-256).' },
    fail_on_user: { type: 'bool', default: true, doc: 'With state=absent: fail when the role cannot be dropped (it owns objects or has privileges).' },
    login_db: { type: 'str', default: 'postgres', aliases: ['db'], doc: 'Database to connect to.' },
    ...connOptions({ login_user: ['login'], login_port: ['port'], login_unix_socket: ['unix_socket'] }),
  },
} as const satisfies Schema

export const postgresUser: HostModule<PostgresUserArgs, PreparedUser, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'postgres_user',
  doc: 'Create, change or drop a PostgreSQL role; passwords stored as SCRAM, compared without sending them.',
  args: schema,
  returns: { user: 'the role name', queries: 'the SQL that ran (or would run), passwords masked' },
  validate(a) {
    const out = connProblems(a)
    if (typeof a.role_attr_flags === 'string') out.push(...parseRoleFlags(a.role_attr_flags).problems)
    if (typeof a.name === 'string' && a.name === '') out.push('name must not be empty')
    if (typeof a.password === 'string' && a.password.includes('\0')) out.push('password must not contain NUL')
    return out
  },
  prepare(a) {
    const extra = connProblems(a).concat(parseRoleFlags(a.role_attr_flags).problems)
    if (extra.length) throw new ModuleFailure(`postgres_user: ${extra.join('; ')}`)
    const clear = a.password !== undefined && a.password !== '' && !isHashed(a.password)
    return clear ? { ...a, verifier: scramVerifier(a.password!) } : { ...a }
  },
  probes,
  plan: planUser,
  result(p, { role: st }) {
    const w = st.ok ? userWork(p, st.role) : undefined
    return { user: p.name, queries: w?.shown ?? [] }
  },
}
