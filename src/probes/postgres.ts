// PostgreSQL state, each read with ONE psql call that prints one JSON line: a role (attributes and,
// for a superuser, the stored password verifier), a database, or the ACLs of objects. Parsers are
// pure and turn psql failures (no server, no database, peer refused) into an `error` instead of
// throwing, so that check mode can say "cannot know yet" when an earlier task installs PostgreSQL.
import { connKey, psqlProbeScript, quoteIdent, quoteLiteral, splitProbeOutput, explainPsqlError, type PgConnArgs } from './psql.js'
import type { Probe, ProbeOutput } from '../contract/types.js'

export type PgRead<T> = ({ ok: true } & T) | { ok: false; error: string }

/** Parses a probe's single JSON line (or its psql error). */
function parseJsonProbe<T>(out: ProbeOutput, c?: PgConnArgs): PgRead<{ data: T }> {
  const { data, error } = splitProbeOutput(out.stdout, out.code)
  if (error !== undefined) return { ok: false, error: explainPsqlError(error, c) }
  const line = data
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop()
  if (!line) throw new Error(`psql printed no JSON: ${data.trim().slice(0, 200) || '(nothing)'}`)
  return { ok: true, data: JSON.parse(line) as T }
}

// ---------- roles ----------

export interface RoleInfo {
  name: string
  superuser: boolean
  inherit: boolean
  createrole: boolean
  createdb: boolean
  login: boolean
  replication: boolean
  bypassrls: boolean
  conn_limit: number
  valid_until: string | null
  /** Whether valid_until equals the wanted `expires` (compared by the server); null without `expires`. */
  expires_same: boolean | null
  comment: string | null
  /** The stored verifier (SCRAM-SHA-256$…, md5…) or null; undefined when the login role cannot read it. */
  password?: string | null
}

export interface RoleState {
  /** The login (or session) role is a superuser, so pg_authid (passwords) was readable. */
  superuser: boolean
  role: RoleInfo | null
}

/** The psql input that reads one role. pg_authid is read only by a superuser, hence the \if. */
export function roleSql(name: string, expires?: string): string {
  const cmpExpires = expires === undefined ? 'NULL::boolean' : `(r.rolvaliduntil IS NOT DISTINCT FROM ${quoteLiteral(expires)}::timestamptz)`
  return [
    'SELECT rolsuper AS rmp_super FROM pg_roles WHERE rolname = current_user \\gset',
    '\\if :rmp_super',
    "\\set rmp_pw 'a.rolpassword'",
    "\\set rmp_from 'pg_authid a JOIN pg_roles r ON r.oid = a.oid'",
    '\\else',
    "\\set rmp_pw 'NULL::text'",
    "\\set rmp_from 'pg_roles r'",
    '\\endif',
    `SELECT json_build_object('superuser', :'rmp_super'::boolean, 'role', (SELECT json_build_object(`,
    "  'name', r.rolname, 'superuser', r.rolsuper, 'inherit', r.rolinherit, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,",
    "  'login', r.rolcanlogin, 'replication', r.rolreplication, 'bypassrls', r.rolbypassrls, 'conn_limit', r.rolconnlimit,",
    `  'valid_until', r.rolvaliduntil::text, 'expires_same', ${cmpExpires}, 'comment', shobj_description(r.oid, 'pg_authid'),`,
    "  'password', :rmp_pw, 'password_readable', :'rmp_super'::boolean)",
    `  FROM :rmp_from WHERE r.rolname = ${quoteLiteral(name)}));`,
  ].join('\n')
}

export function parseRoleState(out: ProbeOutput, c?: PgConnArgs): PgRead<RoleState> {
  const r = parseJsonProbe<{ superuser: boolean; role: (RoleInfo & { password_readable: boolean }) | null }>(out, c)
  if (!r.ok) return r
  const role = r.data.role
  if (role) {
    if (!role.password_readable) delete role.password
    delete (role as { password_readable?: boolean }).password_readable
  }
  return { ok: true, superuser: r.data.superuser, role }
}

export function roleProbe(c: PgConnArgs, db: string, name: string, expires?: string): Probe<PgRead<RoleState>> {
  return {
    id: `postgres:role:${connKey(c, db)}:${JSON.stringify([name, expires ?? null])}`,
    script: psqlProbeScript(c, db, roleSql(name, expires)),
    parse: (o) => parseRoleState(o, c),
  }
}

// ---------- databases ----------

export interface DatabaseInfo {
  name: string
  owner: string
  encoding: string
  lc_collate: string
  lc_ctype: string
  conn_limit: number
  tablespace: string
}

export interface DatabaseState {
  db: DatabaseInfo | null
  /** For state=rename: whether the target name exists. */
  target: boolean
  /** Roles among the ones asked about that exist. */
  roles: string[]
}

export function databaseSql(name: string, target?: string, roles: string[] = []): string {
  return [
    "SELECT json_build_object('db', (SELECT json_build_object('name', d.datname, 'owner', pg_get_userbyid(d.datdba), 'encoding', pg_encoding_to_char(d.encoding),",
    "  'lc_collate', d.datcollate, 'lc_ctype', d.datctype, 'conn_limit', d.datconnlimit, 'tablespace', t.spcname)",
    `  FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = ${quoteLiteral(name)}),`,
    `  'target', ${target === undefined ? 'false' : `EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(target)})`},`,
    `  'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = ANY (${textArray(roles)})));`,
  ].join('\n')
}

export function parseDatabaseState(out: ProbeOutput, c?: PgConnArgs): PgRead<DatabaseState> {
  const r = parseJsonProbe<DatabaseState>(out, c)
  if (!r.ok) return r
  return { ok: true, db: r.data.db, target: !!r.data.target, roles: r.data.roles ?? [] }
}

export function databaseProbe(c: PgConnArgs, maintenanceDb: string, name: string, target?: string, roles: string[] = []): Probe<PgRead<DatabaseState>> {
  return {
    id: `postgres:database:${connKey(c, maintenanceDb)}:${JSON.stringify([name, target ?? null, roles])}`,
    script: psqlProbeScript(c, maintenanceDb, databaseSql(name, target, roles)),
    parse: (o) => parseDatabaseState(o, c),
  }
}

// ---------- privileges ----------

export type PrivType = 'database' | 'schema' | 'table' | 'sequence' | 'function' | 'group'

/** One ACL entry: grantee ('PUBLIC' for everyone), privilege (SELECT …; MEMBER for groups), grantable. */
export type AclEntry = [string, string, boolean]

export interface PrivObject {
  /** The name as asked for (or as found, for ALL_IN_SCHEMA). */
  name: string
  /** For functions: the server's own spelling (schema.name(argtypes)), used in GRANT. */
  ident?: string
  acl: AclEntry[]
}

export interface PrivState {
  serverVersion: number
  roles: string[]
  objects: PrivObject[]
  /** Objects asked for that do not exist. */
  missing: string[]
}

function textArray(values: string[]): string {
  return `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`
}

const ACL_JSON = (acl: string) =>
  `(SELECT coalesce(json_agg(json_build_array(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable) ORDER BY 1, 2), '[]') FROM aclexplode(${acl}) a)`

/** Rows (name, ident, acl json) of the objects to look at. `objs` undefined means ALL_IN_SCHEMA. */
function objectRows(type: PrivType, objs: string[] | undefined, schema: string): string {
  const wanted = (col: string) => (objs === undefined ? 'true' : `${col} = ANY (${textArray(objs)})`)
  switch (type) {
    case 'database':
      return `SELECT d.datname AS name, NULL::text AS ident, ${ACL_JSON("coalesce(d.datacl, acldefault('d', d.datdba))")} AS acl FROM pg_database d WHERE ${wanted('d.datname')}`
    case 'schema':
      return `SELECT n.nspname AS name, NULL::text AS ident, ${ACL_JSON("coalesce(n.nspacl, acldefault('n', n.nspowner))")} AS acl FROM pg_namespace n WHERE ${wanted('n.nspname')}`
    case 'table':
    case 'sequence': {
      const kinds = type === 'table' ? "('r', 'v', 'm', 'f', 'p')" : "('S')"
      const def = type === 'table' ? 'r' : 's'
      return `SELECT c.relname AS name, NULL::text AS ident, ${ACL_JSON(`coalesce(c.relacl, acldefault('${def}', c.relowner))`)} AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relkind IN ${kinds} AND ${wanted('c.relname')}`
    }
    case 'function': {
      // The signature as the server spells it, schema-qualified: what GRANT ... ON FUNCTION takes.
      const ident = "quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'"
      const acl = ACL_JSON("coalesce(p.proacl, acldefault('f', p.proowner))")
      if (objs === undefined)
        return `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, ${ident} AS ident, ${acl} AS acl FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ${quoteLiteral(schema)} AND p.prokind = 'f'`
      // to_regprocedure: NULL instead of an error for a function that does not exist.
      return `SELECT o.obj AS name, ${ident} AS ident, ${acl} AS acl FROM unnest(${textArray(objs)}) o(obj) JOIN pg_proc p ON p.oid = to_regprocedure(${quoteLiteral(quoteIdent(schema) + '.')} || o.obj) JOIN pg_namespace n ON n.oid = p.pronamespace`
    }
    case 'group':
      return `SELECT g.rolname AS name, NULL::text AS ident, (SELECT coalesce(json_agg(json_build_array(pg_get_userbyid(m.member), 'MEMBER', m.admin_option) ORDER BY 1), '[]') FROM pg_auth_members m WHERE m.roleid = g.oid) AS acl FROM pg_roles g WHERE ${wanted('g.rolname')}`
  }
}

/** The psql input that reads the ACLs of the objects and which of the roles exist. */
export function privSql(type: PrivType, objs: string[] | undefined, schema: string, roles: string[]): string {
  return [
    "SELECT json_build_object('serverVersion', current_setting('server_version_num')::int,",
    `  'roles', (SELECT coalesce(json_agg(rolname ORDER BY rolname), '[]') FROM pg_roles WHERE rolname = ANY (${textArray(roles)})),`,
    `  'objects', (SELECT coalesce(json_agg(json_build_object('name', x.name, 'ident', x.ident, 'acl', x.acl) ORDER BY x.name), '[]') FROM (${objectRows(type, objs, schema)}) x));`,
  ].join('\n')
}

export function parsePrivState(out: ProbeOutput, objs: string[] | undefined, c?: PgConnArgs): PgRead<PrivState> {
  const r = parseJsonProbe<{ serverVersion: number; roles: string[]; objects: { name: string; ident: string | null; acl: AclEntry[] }[] }>(out, c)
  if (!r.ok) return r
  const objects: PrivObject[] = r.data.objects.map((o) => ({ name: o.name, ...(o.ident ? { ident: o.ident } : {}), acl: o.acl }))
  const found = new Set(objects.map((o) => o.name))
  const missing = objs === undefined ? [] : objs.filter((o) => !found.has(o))
  return { ok: true, serverVersion: r.data.serverVersion, roles: r.data.roles, objects, missing }
}

export function privProbe(c: PgConnArgs, db: string, type: PrivType, objs: string[] | undefined, schema: string, roles: string[]): Probe<PgRead<PrivState>> {
  return {
    id: `postgres:privs:${connKey(c, db)}:${JSON.stringify([type, objs ?? null, schema, roles])}`,
    script: psqlProbeScript(
      c,
      db,
      privSql(
        type,
        objs,
        schema,
        roles.filter((r) => r.toUpperCase() !== 'PUBLIC'),
      ),
    ),
    parse: (o) => parsePrivState(o, objs, c),
  }
}
