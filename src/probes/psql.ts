// psql on a host, shared by the postgres probes and the postgres_* modules: the connection
// arguments, SQL quoting, the client command line, and the probe script with its error reading.
// SQL always reaches psql on its standard input, never on its command line; passwords never on a
// command line. A leaf under probes/: modules build on it, it imports nothing of modules/.
import { createHash } from 'node:crypto'
import { fedFrom } from '../shell/feed.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'

export interface PgConnArgs {
  login_user: string
  login_password?: string
  login_host?: string
  login_port: number
  login_unix_socket?: string
  ssl_mode: string
  session_role?: string
}

/** A quoted SQL identifier: double quotes, inner double quotes doubled. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('an SQL identifier cannot contain NUL')
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * A quoted SQL string literal, in the E'' form: backslashes and quotes escaped, and line breaks
 * written as \n so that generated SQL has line breaks only where rm-play puts them.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('an SQL string cannot contain NUL')
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`
}

/** A qualified name "schema"."name" (schema omitted when empty). */
export function qualified(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name)
}

/** Peer authentication (no password, local socket): psql runs as the OS user named login_user. */
function usesPeer(c: PgConnArgs): boolean {
  return c.login_host === undefined && c.login_password === undefined
}

/** A short, stable text for probe ids that does not show the password. */
export function connKey(c: PgConnArgs, db: string): string {
  const pw = c.login_password === undefined ? '' : createHash('sha256').update(c.login_password).digest('hex').slice(0, 12)
  return JSON.stringify([c.login_user, pw, c.login_host ?? '', c.login_port, c.login_unix_socket ?? '', c.ssl_mode, c.session_role ?? '', db])
}

export interface PsqlOptions {
  /** csv: header + rows, command tags shown (postgres_query); default: tuples only, unaligned, quiet. */
  csv?: boolean
  /** Run the whole input in one transaction (psql -1). */
  singleTransaction?: boolean
  /**
   * Where login_password comes from: 'stdin' (the first line of the step's stdin; probes have no
   * stdin), 'exported' (the script already exported PGPASSWORD), or inline (probes).
   */
  password?: 'stdin' | 'exported'
  /** Extra environment for the client (PGCLIENTENCODING ...). */
  env?: Record<string, string>
  /** How psql shows NULL (so that it differs from an empty string in csv output). */
  nullString?: string
  /** The client program (psql, pg_dump, pg_restore) and its arguments after the connection ones. */
  program?: string[]
}

/**
 * A shell snippet that runs psql (or pg_dump/pg_restore) against `db` with the connection
 * arguments. Connection values go in the environment (PGHOST ...), so that a database name is
 * never parsed as a connection string. With peer authentication and root, the client runs as the
 * login user through runuser (psql as root would log in as "root").
 */
export function clientCommand(c: PgConnArgs, db: string, o: PsqlOptions = {}): Script {
  const env: string[] = [
    `PGDATABASE=${db}`,
    `PGUSER=${c.login_user}`,
    `PGPORT=${c.login_port}`,
    `PGSSLMODE=${c.ssl_mode}`,
    'PGAPPNAME=rm-play',
    'PGCONNECT_TIMEOUT=10',
  ]
  const host = c.login_host ?? c.login_unix_socket
  if (host !== undefined) env.push(`PGHOST=${host}`)
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`)
    env.push(`${k}=${v}`)
  }
  const program = o.program ?? [
    'psql',
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    ...(o.csv ? ['--csv'] : ['-q', '-A', '-t']),
    ...(o.singleTransaction ? ['-1'] : []),
    ...(o.nullString !== undefined ? ['-P', `null=${o.nullString}`] : []),
  ]
  const [prog, ...progArgs] = program
  // env(1) reads NAME=value words up to the first that has no '=': "$rmp_bin" is a path.
  const cmd = sh`env ${env} "$rmp_bin" ${progArgs}`
  // Debian's psql is a Perl wrapper (pg_wrapper) that costs more than the query: run the newest
  // installed client binary directly; PGPORT and the socket directory are given anyway.
  const lines: Script[] = [
    code('cd / || exit 1'),
    sh`rmp_bin=${prog!}; rmp_v=0`,
    sh`for rmp_d in /usr/lib/postgresql/*/bin/${prog!}; do [ -x "$rmp_d" ] || continue; v=\${rmp_d#/usr/lib/postgresql/}; v=\${v%%/*}; v=\${v%%.*}; if [ "$v" -gt "$rmp_v" ] 2>/dev/null; then rmp_v=$v; rmp_bin=$rmp_d; fi; done`,
  ]
  if (usesPeer(c)) {
    lines.push(sh`rmp_u=${c.login_user}`)
    lines.push(
      code('if [ "$(id -un)" != "$rmp_u" ] && [ "$(id -u)" = 0 ] && id -u -- "$rmp_u" >/dev/null 2>&1; then set -- runuser -u "$rmp_u" --; else set --; fi'),
    )
    lines.push(sh`"$@" ${cmd}`)
  } else if (c.login_password !== undefined) {
    if (o.password === 'stdin') lines.push(READ_PASSWORD_SCRIPT)
    else if (o.password === undefined) lines.push(sh`PGPASSWORD=${c.login_password}`, code('export PGPASSWORD'))
    lines.push(cmd)
  } else {
    lines.push(cmd)
  }
  return joinScripts(lines)
}

/** Reads the password from the first line of stdin (a shell builtin: it never shows in `ps`). */
export const READ_PASSWORD_SCRIPT = code('IFS= read -r PGPASSWORD || exit 1\nexport PGPASSWORD')

/** Whether login_password is used (and so must be sent on stdin by a step). */
export function sendsPassword(c: PgConnArgs): boolean {
  return c.login_password !== undefined && !usesPeer(c)
}

/** SQL run first in every session: the session role. */
export function sessionPrefix(c: PgConnArgs): string {
  return c.session_role ? `SET ROLE ${quoteIdent(c.session_role)};\n` : ''
}

/**
 * A probe script: runs `sql` with psql (tuples only, unaligned) and prints its output; when psql
 * fails, prints a marker and psql's error, and exits with psql's code (the parser turns that into
 * a readable failure instead of an empty state). The SQL reaches psql on its stdin from a
 * here-document (base64: any text, no delimiter to collide with).
 */
export function psqlProbeScript(c: PgConnArgs, db: string, sql: string): Script {
  const full = sessionPrefix(c) + sql
  return joinScripts([
    code('rmp_err=$(mktemp) || exit 1'),
    sh`rmp_psql() {\n${clientCommand(c, db)}\n}`,
    fedFrom(full, 'RMP_SQL', code('rmp_psql 2>"$rmp_err"')),
    code('rmp_rc=$?'),
    sh`if [ "$rmp_rc" != 0 ]; then printf '\\n%s\\n' ${PROBE_ERROR}; cat "$rmp_err"; fi`,
    code('rm -f "$rmp_err"'),
    code('exit "$rmp_rc"'),
  ])
}

const PROBE_ERROR = '@@RMP_PSQL_ERROR@@'

/** psql's error lines, without the noise, and with a hint for the usual causes. */
export function explainPsqlError(text: string, c?: PgConnArgs): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/could not change directory/.test(l))
  let msg = lines.slice(-4).join('\n') || 'psql failed without a message'
  if (/\b(psql|pg_dump|pg_restore): (command )?not found|['‘](psql|pg_dump|pg_restore)['’]: No such file/.test(msg))
    msg += '\nhint: is the postgresql client installed on the host?'
  else if (
    /No such file or directory\s*\n?.*Is the server running|connection to server on socket .* failed: No such file/.test(msg) ||
    /Connection refused/.test(msg)
  )
    msg += '\nhint: is the PostgreSQL server running (service postgresql start)?'
  else if (/Peer authentication failed/.test(msg) && c)
    msg += `\nhint: peer authentication needs the task to run as root or as the OS user '${c.login_user}' (become: true, or become_user: ${c.login_user})`
  return msg
}

/** Splits a probe's output into the data and psql's error (when it failed). */
export function splitProbeOutput(stdout: string, code: number): { data: string; error?: string } {
  const i = stdout.indexOf(`\n${PROBE_ERROR}\n`)
  if (i >= 0) return { data: stdout.slice(0, i), error: stdout.slice(i + PROBE_ERROR.length + 2) }
  if (code !== 0) return { data: stdout, error: stdout.trim() || `exit ${code}` }
  return { data: stdout }
}
