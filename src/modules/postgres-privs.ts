/**
 * postgres_privs — grant or revoke privileges on PostgreSQL databases, schemas, tables,
 * sequences and functions, or membership in group roles; idempotent by reading the ACLs.
 *
 * `type` (default table) says what `objs` names: `database` (objs default to `database` itself),
 * `schema`, `table`, `sequence`, `function` (objs like `add(int:int)` — colons stand for the
 * commas of the signature, as in Ansible) or `group` (objs are group roles, `roles` become their
 * members; no privs). For table, sequence and function, `objs: ALL_IN_SCHEMA` means every one in
 * `schema` (default public) at the time of the run.
 *
 * `privs` is a comma-separated list (ALL for every privilege of the type): database CREATE,
 * CONNECT, TEMPORARY (TEMP); schema CREATE, USAGE; table SELECT, INSERT, UPDATE, DELETE,
 * TRUNCATE, REFERENCES, TRIGGER (MAINTAIN on PostgreSQL 17); sequence USAGE, SELECT, UPDATE;
 * function EXECUTE. `roles` is a comma-separated list of roles, or PUBLIC.
 *
 * `state: present` grants what the roles lack; `absent` revokes what they have. `grant_option:
 * true` grants WITH GRANT OPTION (ADMIN OPTION for groups), `false` revokes the option, unset
 * leaves it. The current ACL (the object's default ACL when it has none, so an owner already
 * holds everything) is compared with what is asked: nothing is run when nothing is missing.
 * A role that does not exist fails the task unless `fail_on_role: false` (then it is skipped);
 * granting on an object that does not exist fails, revoking on it does nothing. In check mode a
 * missing role or object (an earlier task may create it) makes a grant "may change".
 * The diff lists each object's privileges for the roles, `*` marking the grant option.
 *
 * `database` (aliases `db`, `login_db`) is the database to connect to; the other connection
 * arguments are those of postgres_user (note `password` here is login_password, as in Ansible).
 *
 *   - postgres_privs:   # GRANT ALL PRIVILEGES ON DATABASE runmaster_prod TO runmaster
 *       database: runmaster_prod
 *       type: database
 *       privs: ALL
 *       roles: runmaster
 *     become: true
 *   - postgres_privs:
 *       database: runmaster_prod
 *       schema: public
 *       objs: ALL_IN_SCHEMA
 *       privs: SELECT
 *       roles: reporting
 *     become: true
 */
import { privProbe, type AclEntry, type PrivObject, type PrivState, type PrivType } from '../probes/postgres.js'
import { connOptions, connProblems, psqlStep, quoteIdent } from './postgres-common.js'
import { ModuleFailure, needing, type Change, type HostModule, type StateOf } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type PostgresPrivsArgs = ArgsOf<typeof schema>

const PRIVS: Record<Exclude<PrivType, 'group'>, string[]> = {
  database: ['CREATE', 'CONNECT', 'TEMPORARY'],
  schema: ['CREATE', 'USAGE'],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'],
  sequence: ['USAGE', 'SELECT', 'UPDATE'],
  function: ['EXECUTE'],
}

const ALL_IN_SCHEMA = 'ALL_IN_SCHEMA'
const FUNCTION_OBJ = /^[A-Za-z_][A-Za-z0-9_$]*\([A-Za-z0-9_ :[\]."]*\)$/

/** The privileges asked for, upper-case and expanded (ALL), or an error. */
export function parsePrivs(type: PrivType, privs: string | undefined, serverVersion = 150000): { privs: string[]; error?: string } {
  if (type === 'group')
    return privs ? { privs: [], error: 'privs cannot be used with type=group (objs are the groups, roles their members)' } : { privs: ['MEMBER'] }
  if (!privs || !privs.trim()) return { privs: [], error: `privs is required for type=${type}` }
  const known = type === 'table' && serverVersion >= 170000 ? [...PRIVS.table, 'MAINTAIN'] : PRIVS[type]
  const out = new Set<string>()
  for (const raw of privs
    .split(',')
    .map((s) => s.trim().toUpperCase().replace(/\s+/g, ' '))
    .filter(Boolean)) {
    if (raw === 'ALL' || raw === 'ALL PRIVILEGES') known.forEach((k) => out.add(k))
    else if (raw === 'TEMP' && type === 'database') out.add('TEMPORARY')
    else if (known.includes(raw) || (raw === 'MAINTAIN' && type === 'table')) out.add(raw)
    else return { privs: [], error: `privilege '${raw}' does not apply to type=${type} (use ${[...known, 'ALL'].join(', ')})` }
  }
  return { privs: [...out] }
}

function objsOf(a: Pick<PostgresPrivsArgs, 'type' | 'objs' | 'database'>): string[] | undefined {
  if (a.type === 'database' && (!a.objs || a.objs.length === 0)) return [a.database]
  if (a.objs && a.objs.length === 1 && a.objs[0] === ALL_IN_SCHEMA) return undefined
  // Ansible writes function signatures with ':' for ',' so that the list can be comma-separated.
  return (a.objs ?? []).map((o) => (a.type === 'function' ? o.replace(/:/g, ',') : o))
}

function schemaOf(a: Pick<PostgresPrivsArgs, 'schema'>): string {
  return a.schema ?? 'public'
}

const probes = (a: PostgresPrivsArgs) => ({ privs: privProbe(a, a.database, a.type, objsOf(a), schemaOf(a), a.roles) })

const isPublic = (r: string) => r.toUpperCase() === 'PUBLIC'

function roleSql(r: string): string {
  return isPublic(r) ? 'PUBLIC' : quoteIdent(r)
}

function objectSql(a: PostgresPrivsArgs, o: PrivObject): string {
  switch (a.type) {
    case 'database':
      return `DATABASE ${quoteIdent(o.name)}`
    case 'schema':
      return `SCHEMA ${quoteIdent(o.name)}`
    case 'table':
      return `TABLE ${quoteIdent(schemaOf(a))}.${quoteIdent(o.name)}`
    case 'sequence':
      return `SEQUENCE ${quoteIdent(schemaOf(a))}.${quoteIdent(o.name)}`
    case 'function':
      // The server's own spelling of the signature (schema-qualified, quoted where needed).
      return `FUNCTION ${o.ident ?? o.name}`
    case 'group':
      return quoteIdent(o.name)
  }
}

function objectLabel(a: PostgresPrivsArgs, o: PrivObject): string {
  return a.type === 'table' || a.type === 'sequence' ? `${a.type} ${schemaOf(a)}.${o.name}` : `${a.type} ${o.name}`
}

interface Held {
  privs: Set<string>
  grantable: Set<string>
}

function held(acl: AclEntry[], role: string): Held {
  const h: Held = { privs: new Set(), grantable: new Set() }
  for (const [grantee, priv, grantable] of acl) {
    if (isPublic(role) ? grantee !== 'PUBLIC' : grantee !== role) continue
    h.privs.add(priv)
    if (grantable) h.grantable.add(priv)
  }
  return h
}

function heldText(h: Held, order: string[]): string {
  const list = order.filter((p) => h.privs.has(p)).map((p) => (h.grantable.has(p) ? `${p}*` : p))
  return list.length ? list.join(', ') : '(none)'
}

export interface PrivWork {
  sql: string[]
  /** One line per statement kind, for the summary. */
  what: string[]
  before: string
  after: string
}

/** The statements that bring the objects' ACLs to what is asked, and the before/after text. */
function privWork(a: PostgresPrivsArgs, st: PrivState): PrivWork {
  const { privs: wanted } = parsePrivs(a.type, a.privs, st.serverVersion)
  const order = a.type === 'group' ? ['MEMBER'] : parsePrivs(a.type, 'ALL', st.serverVersion).privs
  const roles = a.roles.filter((r) => isPublic(r) || st.roles.includes(r))
  const sql: string[] = []
  const grouped = new Map<string, string[]>()
  const before: string[] = []
  const after: string[] = []
  const note = (verb: string, objLabel: string) => {
    const l = grouped.get(verb) ?? []
    l.push(objLabel)
    grouped.set(verb, l)
  }
  for (const o of st.objects) {
    const label = objectLabel(a, o)
    const target = objectSql(a, o)
    const b: string[] = []
    const af: string[] = []
    for (const role of roles) {
      const h = held(o.acl, role)
      const next: Held = { privs: new Set(h.privs), grantable: new Set(h.grantable) }
      const shownRole = isPublic(role) ? 'PUBLIC' : role
      if (a.state === 'present') {
        const missing = wanted.filter((p) => !h.privs.has(p) || (a.grant_option === true && !h.grantable.has(p)))
        if (missing.length) {
          const opt = a.grant_option === true ? (a.type === 'group' ? ' WITH ADMIN OPTION' : ' WITH GRANT OPTION') : ''
          sql.push(a.type === 'group' ? `GRANT ${target} TO ${roleSql(role)}${opt};` : `GRANT ${missing.join(', ')} ON ${target} TO ${roleSql(role)}${opt};`)
          note(
            a.type === 'group' ? `grant membership${opt ? ' (admin)' : ''} in` : `grant ${missing.join(', ')}${opt ? ' (with grant option)' : ''} on`,
            `${label} to ${shownRole}`,
          )
          missing.forEach((p) => {
            next.privs.add(p)
            if (a.grant_option === true) next.grantable.add(p)
          })
        }
        const ungrant = a.grant_option === false ? wanted.filter((p) => h.grantable.has(p)) : []
        if (ungrant.length) {
          sql.push(
            a.type === 'group'
              ? `REVOKE ADMIN OPTION FOR ${target} FROM ${roleSql(role)};`
              : `REVOKE GRANT OPTION FOR ${ungrant.join(', ')} ON ${target} FROM ${roleSql(role)};`,
          )
          note(a.type === 'group' ? 'revoke admin option in' : `revoke grant option for ${ungrant.join(', ')} on`, `${label} from ${shownRole}`)
          ungrant.forEach((p) => next.grantable.delete(p))
        }
      } else {
        const present = wanted.filter((p) => h.privs.has(p))
        if (present.length) {
          sql.push(a.type === 'group' ? `REVOKE ${target} FROM ${roleSql(role)};` : `REVOKE ${present.join(', ')} ON ${target} FROM ${roleSql(role)};`)
          note(a.type === 'group' ? 'revoke membership in' : `revoke ${present.join(', ')} on`, `${label} from ${shownRole}`)
          present.forEach((p) => {
            next.privs.delete(p)
            next.grantable.delete(p)
          })
        }
      }
      b.push(`  ${shownRole}: ${heldText(h, order)}`)
      af.push(`  ${shownRole}: ${heldText(next, order)}`)
    }
    if (b.join() !== af.join()) {
      before.push(label, ...b)
      after.push(label, ...af)
    }
  }
  const what = [...grouped].map(
    ([verb, targets]) => `${verb} ${targets.length > 3 ? `${targets.slice(0, 3).join('; ')} and ${targets.length - 3} more` : targets.join('; ')}`,
  )
  return { sql, what, before: before.length ? before.join('\n') + '\n' : '', after: after.length ? after.join('\n') + '\n' : '' }
}

/** Everything asked for, as if nothing were granted yet (check mode without a readable server). */
function blindState(a: PostgresPrivsArgs): PrivState {
  const objs = objsOf(a) ?? []
  return { serverVersion: 150000, roles: a.roles, objects: objs.map((name) => ({ name, acl: [] })), missing: [] }
}

/** The task in words, without the server's state. */
function plainSummary(a: PostgresPrivsArgs): string {
  const objs = objsOf(a)
  const what = objs === undefined ? `all ${a.type}s in schema ${schemaOf(a)}` : `${a.type} ${objs.join(', ')}`
  const roles = a.roles.join(', ')
  if (a.type === 'group')
    return a.state === 'present' ? `grant membership in ${objs?.join(', ')} to ${roles}` : `revoke membership in ${objs?.join(', ')} from ${roles}`
  return a.state === 'present' ? `grant ${a.privs} on ${what} to ${roles}` : `revoke ${a.privs} on ${what} from ${roles}`
}

export function planPrivs(a: PostgresPrivsArgs, { privs: st }: StateOf<ReturnType<typeof probes>>): Change[] {
  const guess = (why: string): Change[] => {
    const w = privWork(a, blindState(a))
    return [
      { summary: `${plainSummary(a)} — ${why}`, steps: w.sql.length ? [psqlStep(a, a.database, w.sql.join('\n') + '\n', { singleTransaction: true })] : [] },
    ]
  }
  if (!st.ok) return needing(`postgres_privs on ${a.database}: ${st.error}`, guess(`cannot read the server now (${st.error.split('\n')[0]})`))
  const absentRoles = a.roles.filter((r) => !isPublic(r) && !st.roles.includes(r))
  const problems: string[] = []
  if (absentRoles.length && a.fail_on_role)
    problems.push(`role${absentRoles.length > 1 ? 's' : ''} ${absentRoles.join(', ')} do${absentRoles.length > 1 ? '' : 'es'} not exist`)
  // Revoking from an object that is not there has nothing to do; granting on it cannot be done.
  if (st.missing.length && a.state === 'present')
    problems.push(
      `${a.type} ${st.missing.join(', ')} not found${a.type === 'table' || a.type === 'sequence' || a.type === 'function' ? ` in schema ${schemaOf(a)}` : ''} in database ${a.database}`,
    )
  if (problems.length) {
    // An earlier task of this run may create them; only a real run can tell.
    if (a.state === 'present') return needing(`postgres_privs: ${problems.join('; ')}`, guess(problems.join('; ')))
    throw new ModuleFailure(`postgres_privs: ${problems.join('; ')}`)
  }
  const w = privWork(a, st)
  if (!w.sql.length) return []
  return [
    {
      summary: w.what.join('; '),
      steps: [psqlStep(a, a.database, w.sql.join('\n') + '\n', { singleTransaction: true })],
      diff: { before: w.before, after: w.after },
    },
  ]
}

const schema = {
  options: {
    database: { type: 'str', required: true, aliases: ['db', 'login_db'], doc: 'Database to connect to (and, for type=database, the default object).' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: grant; absent: revoke.' },
    privs: { type: 'str', aliases: ['priv'], doc: 'Comma-separated privileges, or ALL.' },
    type: { type: 'str', default: 'table', choices: ['table', 'sequence', 'function', 'database', 'schema', 'group'], doc: 'What objs are.' },
    objs: {
      type: 'list',
      elements: 'str',
      aliases: ['obj'],
      doc: 'Comma-separated objects (or a list); ALL_IN_SCHEMA for every table/sequence/function of the schema.',
    },
    schema: { type: 'str', doc: 'Schema of tables, sequences and functions (default public).' },
    roles: { type: 'list', elements: 'str', required: true, aliases: ['role'], doc: 'Comma-separated roles (or a list); PUBLIC for everyone.' },
    grant_option: { type: 'bool', aliases: ['admin_option'], doc: 'true: WITH GRANT (ADMIN) OPTION; false: revoke the option; unset: leave it.' },
    fail_on_role: { type: 'bool', default: true, doc: 'Fail when a role does not exist (false: skip it).' },
    target_roles: {
      type: 'list',
      elements: 'str',
      doc: "Ansible's roles for type=default_privs, which rm-play does not manage: accepted so roles that pass it as omit load; given, it is an error.",
    },
    ...connOptions({ login_user: ['login'], login_password: ['password'], login_host: ['host'], login_port: ['port'], login_unix_socket: ['unix_socket'] }),
  },
} as const satisfies Schema

export const postgresPrivs: HostModule<PostgresPrivsArgs, PostgresPrivsArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'postgres_privs',
  doc: 'Grant or revoke PostgreSQL privileges (database, schema, table, sequence, function) or group membership.',
  args: schema,
  returns: { queries: 'the GRANT/REVOKE statements that ran (or would run)' },
  validate(a) {
    const out = connProblems(a)
    if (a.target_roles !== undefined) out.push('target_roles applies to type=default_privs, which rm-play does not manage (leave it out)')
    if (typeof a.type !== 'string') return out
    if (typeof a.privs === 'string' || a.privs === undefined) {
      if (!(typeof a.privs === 'string' && a.privs.includes('{{'))) {
        const p = parsePrivs(a.type, a.privs, 170000)
        if (p.error) out.push(p.error)
      }
    }
    const objs = Array.isArray(a.objs) ? a.objs.map(String) : undefined
    if (a.type !== 'database' && (!objs || objs.length === 0)) out.push(`objs is required for type=${a.type}`)
    if (objs?.includes(ALL_IN_SCHEMA) && !['table', 'sequence', 'function'].includes(a.type))
      out.push(`objs=${ALL_IN_SCHEMA} only applies to type table, sequence or function`)
    if (objs?.includes(ALL_IN_SCHEMA) && objs.length > 1) out.push(`objs=${ALL_IN_SCHEMA} cannot be combined with other objects`)
    if (a.type === 'function')
      for (const o of objs ?? [])
        if (o !== ALL_IN_SCHEMA && !o.includes('{{') && !FUNCTION_OBJ.test(o)) out.push(`function '${o}' must look like name(argtype:argtype)`)
    if (a.schema !== undefined && !['table', 'sequence', 'function'].includes(a.type))
      out.push(`schema only applies to type table, sequence or function (for type=schema name the schema in objs)`)
    if (a.type === 'group' && Array.isArray(a.roles) && a.roles.some((r) => isPublic(String(r)))) out.push('PUBLIC cannot be a member of a group')
    return out
  },
  probes,
  plan: planPrivs,
  result(a, { privs: st }, outputs) {
    return { queries: st.ok && outputs.length ? privWork(a, st).sql : [] }
  },
}
