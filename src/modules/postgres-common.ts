// What the postgres_* modules share: the connection arguments, SQL quoting, and the one way psql
// is run on a host. SQL always reaches psql on its standard input (a step's stdin, or a here-doc
// inside a probe), never on its command line; passwords never on a command line of a step.
import { clientCommand, sendsPassword, sessionPrefix, type PgConnArgs, type PsqlOptions } from '../probes/psql.js'
import type { ArgSpec } from './schema.js'
import type { ExecStep } from './types.js'

// The psql helpers live in probes/psql.ts (the probes need them too); modules take them from here.
export {
  clientCommand,
  connKey,
  explainPsqlError,
  psqlProbeScript,
  qualified,
  quoteIdent,
  quoteLiteral,
  READ_PASSWORD_SCRIPT,
  sendsPassword,
  splitProbeOutput,
  type PgConnArgs,
  type PsqlOptions,
} from '../probes/psql.js'

/** Spellings of the connection options that differ between modules (Ansible's aliases). */
export interface ConnAliases {
  login_user?: string[]
  login_password?: string[]
  login_host?: string[]
  login_port?: string[]
  login_unix_socket?: string[]
}

export function connOptions(aliases: ConnAliases = {}) {
  const a = (k: keyof ConnAliases) => (aliases[k]?.length ? { aliases: aliases[k] } : {})
  return {
    login_user: {
      type: 'str',
      default: 'postgres',
      ...a('login_user'),
      doc: 'The role to connect as. Without login_host and login_password the connection uses peer authentication over the local socket, as the OS user of this name: run by root, psql is started with `runuser -u USER`; with `become_user: postgres` it runs directly.',
    },
    login_password: { type: 'str', noLog: true, ...a('login_password'), doc: 'Password of login_user (then password authentication instead of peer).' },
    login_host: { type: 'str', ...a('login_host'), doc: 'Host of the server (TCP). Default: the local Unix socket.' },
    login_port: { type: 'int', default: 5432, ...a('login_port'), doc: 'Port of the server (also names the socket file).' },
    login_unix_socket: {
      type: 'path',
      ...a('login_unix_socket'),
      doc: "Directory of the server's Unix socket (default: the client's, /var/run/postgresql on Debian).",
    },
    ssl_mode: {
      type: 'str',
      default: 'prefer',
      choices: ['allow', 'disable', 'prefer', 'require', 'verify-ca', 'verify-full'],
      doc: 'libpq sslmode for TCP connections.',
    },
    session_role: { type: 'str', doc: 'Switch to this role (SET ROLE) after connecting; the work is done with its privileges.' },
  } as const satisfies Record<string, ArgSpec>
}

export function connProblems(c: Partial<PgConnArgs>): string[] {
  const out: string[] = []
  if (typeof c.login_password === 'string' && /[\n\r\0]/.test(c.login_password)) out.push('login_password must not contain line breaks or NUL')
  if (c.login_port !== undefined && (c.login_port < 1 || c.login_port > 65535)) out.push(`login_port must be 1..65535, got ${c.login_port}`)
  return out
}

/** An exec step that feeds `sql` to psql on stdin (the password, if any, first). */
export function psqlStep(c: PgConnArgs, db: string, sql: string, o: PsqlOptions & { secret?: boolean; okCodes?: number[] } = {}): ExecStep {
  const pw = sendsPassword(c)
  const stdin = `${pw ? `${c.login_password}\n` : ''}${sessionPrefix(c)}${sql}`
  const step: ExecStep = { kind: 'exec', script: clientCommand(c, db, { ...o, password: pw ? 'stdin' : undefined }), stdin }
  if (o.secret || pw) step.secret = true
  if (o.okCodes) step.okCodes = o.okCodes
  return step
}
