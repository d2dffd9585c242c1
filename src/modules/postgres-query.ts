/**
 * postgres_query — run SQL on a PostgreSQL database and return the rows.
 *
 * `query` is one statement or several separated by `;` (dollar-quoted bodies, quotes and
 * comments are understood). `positional_args` fill `%s` placeholders and `named_args` fill
 * `%(name)s` ones, as psycopg does: each value becomes a quoted SQL literal (strings, numbers,
 * booleans, null, lists as ARRAY[...]); with arguments, `%%` stands for a literal `%`.
 *
 * The statements run in one transaction unless `autocommit: true`, which statements such as
 * `CREATE INDEX CONCURRENTLY`, `VACUUM` or `CREATE DATABASE` need (they cannot run inside a
 * transaction block). `search_path` sets the schema search path first, `encoding` the client
 * encoding. psql meta-commands (lines with a backslash outside quotes) are refused.
 *
 * Whether the task changed something is read from the status of the last statement, as Ansible's
 * postgresql_query does: a status with SELECT is not a change (a `SELECT`, but also
 * `CREATE TABLE ... AS SELECT`), an INSERT, UPDATE or DELETE is one when it touched rows, anything
 * else (DDL, SET, COPY ...) is one. `changed_when` overrides it. Check mode runs the SQL too, in a
 * transaction that is rolled back (as Ansible does; with `autocommit: true` check mode fails, as
 * in Ansible); when psql, the server or the database is not there yet (an earlier task would
 * install or create it) the task "would run".
 *
 * Returns `query_result` (the rows of the last statement, as objects by column name, with
 * integers, numerics, booleans, JSON and arrays converted), `query_all_results` (rows of every
 * statement), `rowcount`, `statusmessage` (e.g. "INSERT 0 1", "CREATE INDEX", "SELECT 2"),
 * `query`, and `query_list` (the statements).
 *
 * Connection arguments are those of postgres_user; `login_db` (alias `db`) names the database.
 *
 *   - postgres_query:
 *       db: runmaster_prod
 *       query: CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_prediction_results_user_id ON prediction_results (user_id)
 *       autocommit: true
 *     become: true
 *   - postgres_query:
 *       db: runmaster_prod
 *       query: SELECT count(*) AS n FROM users WHERE created_at > %s
 *       positional_args: ["2024-01-01"]
 *     register: users
 *     changed_when: false
 *     check_mode: false
 */
import { createHash } from 'node:crypto'
import { connOptions, connProblems, psqlStep, quoteIdent, quoteLiteral } from './postgres-common.js'
import { code } from '../shell/index.js'
import { ModuleFailure, type Change, type ExecStep, type HostModule, type StepOutput } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type PostgresQueryArgs = ArgsOf<typeof schema>

// ---------- splitting SQL as psql does ----------

/** Splits SQL into statements at top-level semicolons; throws on psql meta-commands or an unterminated quote. */
export function splitStatements(sql: string): string[] {
  const out: string[] = []
  let start = 0
  let depth = 0
  // SQL-standard function bodies (CREATE FUNCTION ... BEGIN ATOMIC ...; ...; END) hold semicolons:
  // as psql does, inside CREATE FUNCTION/PROCEDURE, BEGIN and CASE open a block that END closes.
  let words: string[] = []
  let blocks = 0
  let i = 0
  const n = sql.length
  const identChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c)
  const push = (end: number) => {
    const stmt = sql.slice(start, end)
    if (stripComments(stmt).trim() !== '') out.push(stmt.trim())
    start = end + 1
    words = []
    blocks = 0
  }
  const routine = () =>
    words[0] === 'CREATE' &&
    (words[1] === 'FUNCTION' ||
      words[1] === 'PROCEDURE' ||
      (words[1] === 'OR' && words[2] === 'REPLACE' && (words[3] === 'FUNCTION' || words[3] === 'PROCEDURE')))
  while (i < n) {
    const c = sql[i]!
    const next = sql[i + 1]
    if (/[A-Za-z_]/.test(c) && !identChar(sql[i - 1]) && !(/[EeUuBbXx]/.test(c) && next === "'") && !(/[Uu]/.test(c) && next === '&')) {
      let j = i
      while (j < n && identChar(sql[j])) j++
      const w = sql.slice(i, j).toUpperCase()
      words.push(w)
      if (routine()) {
        if (w === 'BEGIN' || w === 'CASE') blocks++
        else if (w === 'END' && blocks > 0) blocks--
      }
      i = j
    } else if (c === '-' && next === '-') {
      const e = sql.indexOf('\n', i)
      i = e < 0 ? n : e + 1
    } else if (c === '/' && next === '*') {
      let d = 1
      i += 2
      while (i < n && d > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          d++
          i += 2
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          d--
          i += 2
        } else i++
      }
      if (d > 0) throw new Error('unterminated /* comment')
    } else if (c === "'") {
      // E'...' strings take backslash escapes; others only '' (standard_conforming_strings).
      const escapes = (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !identChar(sql[i - 2])
      i++
      for (;;) {
        if (i >= n) throw new Error('unterminated quoted string')
        if (escapes && sql[i] === '\\') i += 2
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2
        else if (sql[i] === "'") {
          i++
          break
        } else i++
      }
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= n) throw new Error('unterminated quoted identifier')
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2
        else if (sql[i] === '"') {
          i++
          break
        } else i++
      }
    } else if (c === '$' && !identChar(sql[i - 1])) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i))
      if (m) {
        const tag = m[0]
        const e = sql.indexOf(tag, i + tag.length)
        if (e < 0) throw new Error(`unterminated dollar-quoted string ${tag}`)
        i = e + tag.length
      } else i++
    } else if (c === '\\') {
      throw new Error(`psql meta-commands are not allowed in a query (backslash at offset ${i}: ${JSON.stringify(sql.slice(i, i + 12))})`)
    } else if (c === '(') {
      depth++
      i++
    } else if (c === ')') {
      depth = Math.max(0, depth - 1)
      i++
    } else if (c === ';' && depth === 0 && blocks === 0) {
      push(i)
      i++
    } else i++
  }
  push(n)
  return out
}

/** Removes comments (for deciding whether a piece is empty); quotes are not considered. */
function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')
}

// ---------- arguments, as psycopg renders them ----------

export function sqlValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${quoteLiteral(String(v))}::float8`
    return String(v)
  }
  if (Array.isArray(v)) return v.length ? `ARRAY[${v.map(sqlValue).join(', ')}]` : "'{}'"
  if (typeof v === 'object') return quoteLiteral(JSON.stringify(v))
  return quoteLiteral(String(v))
}

/** Replaces %s / %(name)s placeholders with literals; %% becomes %. Without arguments the query is left alone. */
export function substitute(query: string, positional?: unknown[], named?: Record<string, unknown>): string {
  if (positional === undefined && named === undefined) return query
  let pos = 0
  const out = query.replace(/%(%|s|\(([^)]*)\)s)/g, (m, what: string, name: string | undefined) => {
    if (what === '%') return '%'
    if (name !== undefined) {
      if (!named || !(name in named)) throw new ModuleFailure(`query uses %(${name})s but named_args has no '${name}'`)
      return sqlValue(named[name])
    }
    if (!positional) throw new ModuleFailure('query uses %s but no positional_args are given')
    if (pos >= positional.length) throw new ModuleFailure(`query has more %s placeholders than the ${positional.length} positional_args`)
    return sqlValue(positional[pos++])
  })
  if (positional && pos < positional.length) throw new ModuleFailure(`query has ${pos} %s placeholders but ${positional.length} positional_args are given`)
  return out
}

// ---------- the psql script and its output ----------

export function token(sql: string): string {
  return createHash('sha256').update(sql).digest('hex').slice(0, 12)
}

/**
 * The psql input: each statement is described (\gdesc: column names and types, without running
 * it), then run (\g), between markers that carry the row count.
 */
function queryScript(statements: string[], tok: string, a: Pick<PostgresQueryArgs, 'search_path'>): string {
  const lines: string[] = []
  if (a.search_path?.length) lines.push(`SET search_path TO ${a.search_path.map(quoteIdent).join(', ')};`)
  statements.forEach((s, i) => {
    lines.push(`\\echo @@${tok}/${i}/desc`, s, '\\gdesc', `\\echo @@${tok}/${i}/exec`, '\\g', `\\echo @@${tok}/${i}/end :ROW_COUNT`)
  })
  return lines.join('\n') + '\n'
}

const nullToken = (tok: string) => `@@NULL${tok}`

/** Reads `count` CSV records from `text` at `pos`; returns them and the position after. */
export function readCsv(text: string, pos: number, count: number): { records: string[][]; pos: number } {
  const records: string[][] = []
  while (records.length < count && pos < text.length) {
    const rec: string[] = []
    for (;;) {
      let field = ''
      if (text[pos] === '"') {
        pos++
        for (;;) {
          if (pos >= text.length) throw new Error('unterminated CSV field')
          if (text[pos] === '"' && text[pos + 1] === '"') {
            field += '"'
            pos += 2
          } else if (text[pos] === '"') {
            pos++
            break
          } else field += text[pos++]
        }
      } else {
        while (pos < text.length && text[pos] !== ',' && text[pos] !== '\n') field += text[pos++]
      }
      rec.push(field)
      if (text[pos] === ',') {
        pos++
        continue
      }
      if (text[pos] === '\n') pos++
      break
    }
    records.push(rec)
  }
  return { records, pos }
}

/** Parses a one- or more-dimensional PostgreSQL array literal ({1,2,"a b",NULL}) into nested lists of strings/null. */
export function parsePgArray(s: string): unknown[] {
  let i = 0
  // A leading dimension decoration ([1:2]={...}) is dropped.
  if (s.startsWith('[')) i = s.indexOf('=') + 1
  const parse = (): unknown[] => {
    if (s[i] !== '{') throw new Error(`not an array: ${s}`)
    i++
    const out: unknown[] = []
    if (s[i] === '}') {
      i++
      return out
    }
    for (;;) {
      if (s[i] === '{') out.push(parse())
      else if (s[i] === '"') {
        i++
        let v = ''
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\') i++
          v += s[i++]
        }
        i++
        out.push(v)
      } else {
        let v = ''
        while (i < s.length && s[i] !== ',' && s[i] !== '}') v += s[i++]
        out.push(v === 'NULL' ? null : v)
      }
      if (s[i] === ',') {
        i++
        continue
      }
      if (s[i] === '}') {
        i++
        return out
      }
      throw new Error(`bad array literal: ${s}`)
    }
  }
  return parse()
}

/** A value in psql's text output, as the JSON value Ansible's module would return. */
export function convertValue(text: string | null, type: string): unknown {
  if (text === null) return null
  const t = type.replace(/\(.*\)/, '').trim()
  if (t.endsWith('[]')) {
    const base = t.slice(0, -2)
    const conv = (v: unknown): unknown => (Array.isArray(v) ? v.map(conv) : convertValue(v as string | null, base))
    try {
      return parsePgArray(text).map(conv)
    } catch {
      return text
    }
  }
  switch (t) {
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'oid': {
      const n = Number(text)
      return Number.isSafeInteger(n) ? n : text
    }
    case 'numeric':
    case 'real':
    case 'double precision': {
      const n = Number(text)
      return Number.isFinite(n) ? n : text
    }
    case 'boolean':
      return text === 't' ? true : text === 'f' ? false : text
    case 'json':
    case 'jsonb':
      try {
        return JSON.parse(text)
      } catch {
        return text
      }
    default:
      return text
  }
}

export interface StatementResult {
  statement: string
  columns: string[]
  rows: Record<string, unknown>[]
  rowcount: number
  statusmessage: string
}

/** Splits psql's output into each statement's rows, row count and status message. */
export function parseQueryOutput(stdout: string, tok: string, statements: string[]): StatementResult[] {
  const out: StatementResult[] = []
  const nul = nullToken(tok)
  statements.forEach((statement, i) => {
    const desc = stdout.indexOf(`@@${tok}/${i}/desc\n`)
    const exec = stdout.indexOf(`@@${tok}/${i}/exec\n`, desc)
    const endRe = new RegExp(`@@${tok}/${i}/end (\\d+)\\n`, 'g')
    endRe.lastIndex = Math.max(exec, 0)
    const end = endRe.exec(stdout)
    if (desc < 0 || exec < 0 || !end) throw new Error(`no output for statement ${i + 1}`)
    const rowcount = Number(end[1])
    const descText = stdout.slice(desc + `@@${tok}/${i}/desc\n`.length, exec)
    const execText = stdout.slice(exec + `@@${tok}/${i}/exec\n`.length, end.index)
    let columns: string[] = []
    let types: string[] = []
    if (descText.startsWith('Column,Type\n')) {
      const d = readCsv(descText, 'Column,Type\n'.length, Infinity).records
      columns = d.map((r) => r[0] ?? '')
      types = d.map((r) => r[1] ?? 'text')
    }
    let rows: Record<string, unknown>[] = []
    let rest = execText
    if (columns.length) {
      const header = readCsv(execText, 0, 1)
      const data = readCsv(execText, header.pos, rowcount)
      rows = data.records.map((rec) =>
        Object.fromEntries(columns.map((c, j) => [c, convertValue(rec[j] === nul ? null : (rec[j] ?? null), types[j] ?? 'text')])),
      )
      rest = execText.slice(data.pos)
    }
    const tag = rest
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop()
    out.push({ statement, columns, rows, rowcount, statusmessage: tag ?? (columns.length ? `SELECT ${rowcount}` : '') })
  })
  return out
}

// ---------- the module ----------

export interface PreparedQuery extends PostgresQueryArgs {
  sql: string
  statements: string[]
}

function prepareQuery(a: PostgresQueryArgs): PreparedQuery {
  const problems = connProblems(a)
  if (problems.length) throw new ModuleFailure(`postgres_query: ${problems.join('; ')}`)
  const sql = substitute(a.query, a.positional_args, a.named_args)
  let statements: string[]
  try {
    statements = splitStatements(sql)
  } catch (e) {
    throw new ModuleFailure(`postgres_query: ${(e as Error).message}`)
  }
  if (!statements.length) throw new ModuleFailure('postgres_query: the query is empty')
  return { ...a, sql, statements }
}

function shown(sql: string): string {
  const one = sql.replace(/\s+/g, ' ').trim()
  return one.length > 100 ? `${one.slice(0, 97)}...` : one
}

/**
 * Whether a statement with this status changed anything, as Ansible's postgresql_query decides it
 * (community.postgresql 2.x): a status with SELECT in it did not; INSERT/UPDATE/DELETE did when
 * their count is not 0; anything else (DDL, SET, COPY ...) did.
 */
export function statusChanged(statusmessage: string): boolean {
  if (statusmessage.includes('SELECT')) return false
  if (!/(UPDATE|INSERT|DELETE)/.test(statusmessage)) return true
  const s = statusmessage.split(/\s+/).filter(Boolean)
  if (s.length === 3) return s[2] !== '0'
  if (s.length === 2) return s[1] !== '0'
  return true
}

/** psql's exit code for an error in the SQL (ON_ERROR_STOP); others mean the server could not be reached. */
const SQL_ERROR = 3

export function planQuery(p: PreparedQuery): Change[] {
  const tok = token(p.sql)
  const opts = { csv: true, env: p.encoding ? { PGCLIENTENCODING: p.encoding } : undefined, nullString: nullToken(tok) }
  const step = psqlStep(p, p.login_db, queryScript(p.statements, tok, p), { ...opts, singleTransaction: !p.autocommit })
  // Check mode runs the SQL in a transaction that is rolled back, as Ansible's does; psql
  // missing or the server or database not there yet (an earlier task would make them): cannot tell.
  const dry: ExecStep = p.autocommit
    ? { kind: 'exec', script: code("echo 'Using autocommit is mutually exclusive with check_mode' >&2; exit 1") }
    : psqlStep(p, p.login_db, `BEGIN;\n${queryScript(p.statements, tok, p)}ROLLBACK;\n`, { ...opts, okCodes: [0, 1, 2, 126, 127] })
  return [{ summary: `run SQL on ${p.login_db}${p.autocommit ? ' (autocommit)' : ''}: ${shown(p.sql)}`, uncertain: true, steps: [step], checkSteps: [dry] }]
}

/** Changed as Ansible says: from the status of the last statement (Ansible runs the query as one). */
export function queryChanged(p: PreparedQuery, outputs: StepOutput[]): boolean | undefined {
  const o = outputs[outputs.length - 1]
  if (!o || o.code !== 0) return undefined
  const results = parseQueryOutput(o.stdout, token(p.sql), p.statements)
  return statusChanged(results[results.length - 1]!.statusmessage)
}

export function queryResult(p: PreparedQuery, outputs: StepOutput[]): Record<string, unknown> {
  const o = outputs[outputs.length - 1]
  // psql's framed output is not what a user registers: the rows are in query_result.
  const base = { query: p.sql, query_list: p.statements, stdout: undefined, stdout_lines: undefined }
  if (!o || o.code !== 0) return base
  const results = parseQueryOutput(o.stdout, token(p.sql), p.statements)
  const last = results[results.length - 1]!
  // As Ansible: a statement that returns no rows at all (DDL, INSERT without RETURNING) gives {}.
  const rowsOf = (r: (typeof results)[number]) => (r.columns.length ? r.rows : {})
  return {
    ...base,
    query_result: rowsOf(last),
    query_all_results: results.map(rowsOf),
    rowcount: p.as_single_query ? last.rowcount : results.reduce((n, r) => n + r.rowcount, 0),
    statusmessage: last.statusmessage,
  }
}

const schema = {
  options: {
    query: { type: 'str', required: true, doc: 'The SQL: one statement or several separated by ";".' },
    positional_args: { type: 'list', doc: 'Values for %s placeholders, in order.' },
    named_args: { type: 'dict', doc: 'Values for %(name)s placeholders.' },
    login_db: { type: 'str', default: 'postgres', aliases: ['db'], doc: 'Database to run the query in.' },
    autocommit: {
      type: 'bool',
      default: false,
      doc: 'Run each statement on its own (needed for CREATE INDEX CONCURRENTLY, VACUUM, CREATE DATABASE); default: one transaction.',
    },
    as_single_query: { type: 'bool', default: true, doc: 'true: rowcount is that of the last statement; false: the sum over all statements.' },
    search_path: { type: 'list', elements: 'str', doc: 'Schemas to set as search_path first.' },
    encoding: { type: 'str', doc: 'Client encoding (PGCLIENTENCODING).' },
    ...connOptions({ login_user: ['login'], login_port: ['port'], login_unix_socket: ['unix_socket'] }),
  },
  mutuallyExclusive: [['positional_args', 'named_args']],
} as const satisfies Schema

export const postgresQuery: HostModule<PostgresQueryArgs, PreparedQuery, Record<never, never>> = {
  kind: 'host',
  name: 'postgres_query',
  doc: 'Run SQL on a PostgreSQL database (changed as the status of its last statement says) and return the rows.',
  args: schema,
  returns: {
    query_result: 'rows of the last statement, as a list of objects (column name → value)',
    query_all_results: 'rows of every statement (a list of lists)',
    rowcount: 'rows returned or affected (last statement, or the sum with as_single_query: false)',
    statusmessage: 'the last statement\'s status, e.g. "INSERT 0 1", "CREATE INDEX", "SELECT 2"',
    query: 'the SQL that ran, arguments substituted',
    query_list: 'the statements that ran',
  },
  validate(a) {
    const out = connProblems(a)
    if (typeof a.query === 'string' && !a.query.includes('{{')) {
      try {
        const sql =
          Array.isArray(a.positional_args) || (a.named_args && typeof a.named_args === 'object') ? a.query.replace(/%(%|s|\([^)]*\)s)/g, 'NULL') : a.query
        if (!splitStatements(sql).length) out.push('the query is empty')
      } catch (e) {
        out.push((e as Error).message)
      }
    }
    return out
  },
  prepare: prepareQuery,
  probes: () => ({}),
  plan: planQuery,
  changedBy: queryChanged,
  result: (p, _state, outputs) => queryResult(p, outputs),
}
