/**
 * postgres_db — create, change, drop, rename, dump or restore a PostgreSQL database.
 *
 * `state: present` (the default) creates the database `name` with `owner`, `template`,
 * `encoding`, `lc_collate`, `lc_ctype`, `conn_limit` and `tablespace` when it does not exist; for
 * an existing one it changes the owner, connection limit and tablespace when they differ, and
 * fails when encoding or locale differ (PostgreSQL cannot change them: drop and recreate).
 * `state: absent` drops it (`force: true` disconnects its users first, PostgreSQL 13+).
 * `state: rename` renames `name` to `target` (nothing to do when only `target` exists).
 *
 * `state: dump` writes the database to the file `target` with pg_dump; the format follows the
 * name: `.sql` plain SQL, `.tar` tar, `.pgc`/`.dump` custom; a further `.gz`, `.bz2` or `.xz`
 * compresses it. The dump goes to a temp file beside the target, renamed into place only when
 * pg_dump succeeded (a failed dump leaves no partial file); a new file gets mode 0600.
 * `state: restore` loads `target` into the database (created first if missing): plain SQL
 * (optionally compressed) through psql with ON_ERROR_STOP, the other formats through
 * pg_restore. `target_opts` adds arguments to pg_dump/pg_restore (`dump_extra_args` to pg_dump).
 * A dump or restore always counts as a change.
 *
 * Connection arguments are those of postgres_user (peer authentication as `postgres` by
 * default); `maintenance_db` is the database to connect to for creating and dropping.
 *
 *   - postgres_db: { name: runmaster_prod, owner: runmaster, encoding: UTF8, template: template0 }
 *     become: true
 *   - postgres_db: { name: runmaster_prod, state: dump, target: /var/backups/runmaster.sql.gz }
 *     become: true
 */
import { databaseProbe, type DatabaseInfo } from '../probes/postgres.js'
import { clientCommand, connOptions, connProblems, psqlStep, quoteIdent, quoteLiteral, READ_PASSWORD_SCRIPT, sendsPassword } from './postgres-common.js'
import { CLEAN_STALE_TEMPS, MAKE_PRIVATE_TEMP } from '../shell/remote-path.js'
import { shlexSplit } from '../shell/shlex.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { ModuleFailure, needing, type Change, type ExecStep, type HostModule, type StateOf, type Step } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type PostgresDbArgs = ArgsOf<typeof schema>

/** Encoding names as PostgreSQL compares them: case and punctuation do not matter; UNICODE is UTF8. */
export function sameEncoding(a: string, b: string): boolean {
  const n = (s: string) => {
    const x = s.toLowerCase().replace(/[^a-z0-9]/g, '')
    return x === 'unicode' ? 'utf8' : x
  }
  return n(a) === n(b)
}

/** Locale names: en_US.UTF-8 and en_US.utf8 name the same locale. */
export function sameLocale(a: string, b: string): boolean {
  const n = (s: string) => {
    const [lang, codeset = ''] = s.split('.', 2)
    return `${lang}.${codeset.toLowerCase().replace(/[^a-z0-9]/g, '')}`
  }
  return n(a) === n(b)
}

export interface DumpFormat {
  /** pg_dump --format letter: p(lain), t(ar), c(ustom). */
  format: 'p' | 't' | 'c'
  compress?: 'gzip' | 'bzip2' | 'xz'
}

export function dumpFormat(target: string): DumpFormat {
  let name = target.toLowerCase()
  let compress: DumpFormat['compress']
  for (const [ext, prog] of [
    ['.gz', 'gzip'],
    ['.bz2', 'bzip2'],
    ['.xz', 'xz'],
  ] as const) {
    if (name.endsWith(ext)) {
      compress = prog
      name = name.slice(0, -ext.length)
    }
  }
  const format = name.endsWith('.tar') ? 't' : name.endsWith('.pgc') || name.endsWith('.dump') ? 'c' : 'p'
  return { format, ...(compress ? { compress } : {}) }
}

function describeFormat(f: DumpFormat): string {
  return `${{ p: 'plain SQL', t: 'tar', c: 'custom' }[f.format]}${f.compress ? `, ${f.compress}` : ''}`
}

/** libpq connection-string quoting for a dbname (pg_restore -d takes a connection string). */
function conninfoValue(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * The script of a dump: pg_dump into a private temp directory beside the target (mktemp -d: random
 * name, created exclusively, 0700, so nothing another user planted in a shared directory is
 * written through and the dump is never readable by others while it is written), its exit status
 * kept even through a compressor, then rename. The client command may switch to the postgres OS
 * user; the redirections stay in the calling shell, so the target's directory only needs to be
 * writable by the task's user.
 */
export function dumpScript(p: PostgresDbArgs): Script {
  const f = dumpFormat(p.target!)
  const extra = [...shlexSplit(p.dump_extra_args ?? ''), ...shlexSplit(p.target_opts ?? '')]
  const client = clientCommand(p, p.name, { program: ['pg_dump', `--format=${f.format}`, ...extra], password: 'exported' })
  return joinScripts([
    ...(sendsPassword(p) ? [READ_PASSWORD_SCRIPT] : []),
    sh`dest=${p.target!}`,
    code('dir=$(dirname -- "$dest")'),
    code('[ -d "$dir" ] || { echo "directory $dir does not exist" >&2; exit 1; }'),
    code('umask 077'),
    CLEAN_STALE_TEMPS,
    MAKE_PRIVATE_TEMP,
    sh`{ (\n${client}\n) </dev/null || echo "$?" > "$t/rc"; }${f.compress ? sh` | ${f.compress} -c` : code('')} > "$t/dump" || exit 1`,
    code('if [ -s "$t/rc" ]; then exit "$(cat "$t/rc")"; fi'),
    code('if [ -f "$dest" ] && [ ! -L "$dest" ]; then chmod --reference="$dest" "$t/dump"; chown --reference="$dest" "$t/dump" 2>/dev/null || true; fi'),
    code('mv -fT -- "$t/dump" "$dest"'),
  ])
}

/** The script of a restore: the file is read by the calling shell and fed to psql or pg_restore. */
export function restoreScript(p: PostgresDbArgs): Script {
  const f = dumpFormat(p.target!)
  const extra = shlexSplit(p.target_opts ?? '')
  const program =
    f.format === 'p'
      ? ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...extra]
      : ['pg_restore', `--format=${f.format}`, '-d', `dbname=${conninfoValue(p.name)}`, '--exit-on-error', ...extra]
  const client = clientCommand(p, p.name, { program, password: 'exported' })
  const lines = [...(sendsPassword(p) ? [READ_PASSWORD_SCRIPT] : []), sh`src=${p.target!}`, code('[ -r "$src" ] || { echo "cannot read $src" >&2; exit 1; }')]
  if (!f.compress) {
    lines.push(sh`(\n${client}\n) < "$src"`)
  } else {
    lines.push(code('rc=$(mktemp) || exit 1'), code(`trap 'rm -f -- "$rc"' EXIT`))
    lines.push(sh`{ ${f.compress} -dc < "$src" || echo "$?" > "$rc"; } | (\n${client}\n) || exit "$?"`)
    lines.push(code('if [ -s "$rc" ]; then echo "cannot decompress $src" >&2; exit 1; fi'))
  }
  return joinScripts(lines)
}

const probes = (p: PostgresDbArgs) => ({
  db: databaseProbe(p, p.maintenance_db, p.name, p.state === 'rename' ? p.target : undefined, p.owner !== undefined ? [p.owner] : []),
})

function createSql(p: PostgresDbArgs): string {
  const opts: string[] = []
  if (p.owner !== undefined) opts.push(`OWNER ${quoteIdent(p.owner)}`)
  if (p.template !== undefined) opts.push(`TEMPLATE ${quoteIdent(p.template)}`)
  if (p.encoding !== undefined) opts.push(`ENCODING ${quoteLiteral(p.encoding)}`)
  if (p.lc_collate !== undefined) opts.push(`LC_COLLATE ${quoteLiteral(p.lc_collate)}`)
  if (p.lc_ctype !== undefined) opts.push(`LC_CTYPE ${quoteLiteral(p.lc_ctype)}`)
  if (p.conn_limit !== undefined) opts.push(`CONNECTION LIMIT ${p.conn_limit}`)
  if (p.tablespace !== undefined) opts.push(`TABLESPACE ${quoteIdent(p.tablespace)}`)
  return `CREATE DATABASE ${quoteIdent(p.name)}${opts.length ? ` WITH ${opts.join(' ')}` : ''};\n`
}

function dbText(name: string, d: Partial<DatabaseInfo> | null, keys: (keyof DatabaseInfo)[]): string {
  if (!d) return `database ${name}: absent\n`
  return [`database ${name}`, ...keys.filter((k) => k !== 'name' && d[k] !== undefined).map((k) => `  ${k}: ${String(d[k])}`)].join('\n') + '\n'
}

function wantedInfo(p: PostgresDbArgs): Partial<DatabaseInfo> {
  const w: Partial<DatabaseInfo> = {}
  if (p.owner !== undefined) w.owner = p.owner
  if (p.encoding !== undefined) w.encoding = p.encoding
  if (p.lc_collate !== undefined) w.lc_collate = p.lc_collate
  if (p.lc_ctype !== undefined) w.lc_ctype = p.lc_ctype
  if (p.conn_limit !== undefined) w.conn_limit = p.conn_limit
  if (p.tablespace !== undefined) w.tablespace = p.tablespace
  return w
}

function createChange(p: PostgresDbArgs, note = ''): Change {
  const keys = Object.keys(wantedInfo(p)) as (keyof DatabaseInfo)[]
  return {
    summary: `create database ${p.name}${p.owner ? ` (owner ${p.owner})` : ''}${note}`,
    steps: [psqlStep(p, p.maintenance_db, createSql(p))],
    diff: { before: `database ${p.name}: absent\n`, after: dbText(p.name, { name: p.name, ...wantedInfo(p) }, keys) },
  }
}

function presentChanges(p: PostgresDbArgs, db: DatabaseInfo | null): Change[] {
  if (!db) return [createChange(p)]
  const fixed: [keyof DatabaseInfo, string | undefined, (a: string, b: string) => boolean][] = [
    ['encoding', p.encoding, sameEncoding],
    ['lc_collate', p.lc_collate, sameLocale],
    ['lc_ctype', p.lc_ctype, sameLocale],
  ]
  for (const [k, want, same] of fixed) {
    if (want !== undefined && !same(String(db[k]), want))
      throw new ModuleFailure(
        `database ${p.name} exists with ${k} ${String(db[k])}, not ${want}: PostgreSQL cannot change it (drop the database and create it again)`,
      )
  }
  const sql: string[] = []
  const what: string[] = []
  const changed: (keyof DatabaseInfo)[] = []
  const ident = quoteIdent(p.name)
  if (p.owner !== undefined && db.owner !== p.owner) {
    sql.push(`ALTER DATABASE ${ident} OWNER TO ${quoteIdent(p.owner)};`)
    what.push(`owner ${db.owner} → ${p.owner}`)
    changed.push('owner')
  }
  if (p.conn_limit !== undefined && db.conn_limit !== p.conn_limit) {
    sql.push(`ALTER DATABASE ${ident} CONNECTION LIMIT ${p.conn_limit};`)
    what.push(`conn_limit ${db.conn_limit} → ${p.conn_limit}`)
    changed.push('conn_limit')
  }
  if (p.tablespace !== undefined && db.tablespace !== p.tablespace) {
    sql.push(`ALTER DATABASE ${ident} SET TABLESPACE ${quoteIdent(p.tablespace)};`)
    what.push(`tablespace ${db.tablespace} → ${p.tablespace}`)
    changed.push('tablespace')
  }
  if (!sql.length) return []
  return [
    {
      summary: `alter database ${p.name}: ${what.join(', ')}`,
      steps: [psqlStep(p, p.maintenance_db, sql.join('\n') + '\n')],
      diff: { before: dbText(p.name, db, changed), after: dbText(p.name, { ...db, ...wantedInfo(p) }, changed) },
    },
  ]
}

function dumpChange(p: PostgresDbArgs): Change {
  return {
    summary: `dump database ${p.name} to ${p.target} (${describeFormat(dumpFormat(p.target!))})`,
    steps: [dumpStep(p)],
    diff: { path: p.target, before: `${p.target}: (previous dump or none)\n`, after: `${p.target}: dump of ${p.name}\n` },
  }
}

function stepWith(p: PostgresDbArgs, script: Script, label?: string): ExecStep {
  const pw = sendsPassword(p)
  return { kind: 'exec', script, stdin: pw ? `${p.login_password}\n` : undefined, secret: pw || undefined, ...(label ? { label } : {}) }
}

function dumpStep(p: PostgresDbArgs): ExecStep {
  return stepWith(p, dumpScript(p), 'pg_dump')
}

function restoreChange(p: PostgresDbArgs): Change {
  return { summary: `restore database ${p.name} from ${p.target} (${describeFormat(dumpFormat(p.target!))})`, steps: [stepWith(p, restoreScript(p))] }
}

/** What a step ran, for `executed_commands`: its SQL, or the client command line. */
function executed(p: PostgresDbArgs, step: Step): string {
  if (step.kind !== 'exec') return ''
  if (step.label === 'pg_dump' && p.state === 'dump') return `pg_dump ${p.name} > ${p.target}`
  if (p.state === 'restore' && !step.stdin?.includes('CREATE DATABASE'))
    return `${dumpFormat(p.target!).format === 'p' ? 'psql' : 'pg_restore'} ${p.name} < ${p.target}`
  const sql = String(step.stdin ?? '')
  return (sendsPassword(p) ? sql.slice(sql.indexOf('\n') + 1) : sql).trim()
}

export function planDb(p: PostgresDbArgs, { db: st }: StateOf<ReturnType<typeof probes>>): Change[] {
  if (!st.ok) {
    const note = ` — cannot read the server now (${st.error.split('\n')[0]})`
    const changes: Change[] =
      p.state === 'present' || p.state === 'restore'
        ? [createChange(p, note)]
        : p.state === 'dump'
          ? [dumpChange(p)]
          : p.state === 'rename'
            ? [{ summary: `rename database ${p.name} to ${p.target}${note}`, steps: [] }]
            : []
    if (p.state === 'restore') changes.push(restoreChange(p))
    return needing(`postgres_db ${p.name}: ${st.error}`, changes)
  }
  const db = st.db
  if (p.owner !== undefined && !st.roles.includes(p.owner) && (p.state === 'present' || p.state === 'restore')) {
    const needed = !db || (p.state === 'present' && db.owner !== p.owner)
    if (needed) {
      // An earlier task of this run may create the role: check mode cannot know, a real run can.
      const changes = p.state === 'present' ? presentChanges(p, db) : [...(db ? [] : [createChange(p)]), restoreChange(p)]
      return needing(
        `postgres_db ${p.name}: the owner role ${p.owner} does not exist`,
        changes.map((c) => ({ ...c, summary: `${c.summary} — role ${p.owner} does not exist yet` })),
      )
    }
  }
  if ((p.state === 'dump' || p.state === 'restore') && !p.target!.startsWith('/'))
    throw new ModuleFailure(`target must be an absolute path for state=${p.state}, got '${p.target}'`)
  switch (p.state) {
    case 'present':
      return presentChanges(p, db)
    case 'absent':
      if (!db) return []
      return [
        {
          summary: `drop database ${p.name}${p.force ? ' (force)' : ''}`,
          steps: [psqlStep(p, p.maintenance_db, `DROP DATABASE ${quoteIdent(p.name)}${p.force ? ' WITH (FORCE)' : ''};\n`)],
          diff: { before: dbText(p.name, db, ['owner']), after: `database ${p.name}: absent\n` },
        },
      ]
    case 'rename': {
      const target = p.target!
      if (!db && st.target) return []
      if (!db) throw new ModuleFailure(`cannot rename database ${p.name} to ${target}: neither exists`)
      if (st.target) throw new ModuleFailure(`cannot rename database ${p.name} to ${target}: both exist`)
      return [
        {
          summary: `rename database ${p.name} to ${target}`,
          steps: [psqlStep(p, p.maintenance_db, `ALTER DATABASE ${quoteIdent(p.name)} RENAME TO ${quoteIdent(target)};\n`)],
          diff: { before: `database ${p.name}\n`, after: `database ${target}\n` },
        },
      ]
    }
    case 'dump':
      if (!db)
        return needing(`cannot dump database ${p.name}: it does not exist`, [
          { ...dumpChange(p), summary: `${dumpChange(p).summary} — database ${p.name} does not exist yet` },
        ])
      return [dumpChange(p)]
    case 'restore':
      return [...(db ? [] : [createChange(p)]), restoreChange(p)]
  }
}

const schema = {
  options: {
    name: { type: 'str', required: true, aliases: ['db'], doc: 'The database.' },
    owner: { type: 'str', doc: 'Owning role (changed on an existing database).' },
    template: { type: 'str', doc: 'Template to create from (template0 for another encoding or locale).' },
    encoding: { type: 'str', doc: 'Encoding, e.g. UTF8 (on creation only; a different existing one fails).' },
    lc_collate: { type: 'str', doc: 'Collation order (LC_COLLATE), on creation only.' },
    lc_ctype: { type: 'str', doc: 'Character classification (LC_CTYPE), on creation only.' },
    conn_limit: { type: 'int', doc: 'Connection limit (-1: none).' },
    tablespace: { type: 'str', doc: 'Default tablespace (moved on an existing database).' },
    state: {
      type: 'str',
      default: 'present',
      choices: ['present', 'absent', 'dump', 'restore', 'rename'],
      doc: 'present, absent, dump (to target), restore (from target), rename (to target).',
    },
    target: { type: 'path', doc: 'dump/restore: the file (absolute path; .sql, .tar, .pgc/.dump, plus .gz/.bz2/.xz); rename: the new name.' },
    target_opts: { type: 'str', doc: 'Extra arguments for pg_dump or pg_restore/psql.' },
    dump_extra_args: { type: 'str', doc: 'Extra arguments for pg_dump.' },
    maintenance_db: { type: 'str', default: 'postgres', doc: 'Database to connect to for create/drop/alter.' },
    force: { type: 'bool', default: false, doc: 'state=absent: drop even while users are connected (PostgreSQL 13+).' },
    ...connOptions({ login_user: ['login'], login_port: ['port'], login_unix_socket: ['unix_socket'] }),
  },
  requiredIf: [
    ['state', 'dump', ['target']],
    ['state', 'restore', ['target']],
    ['state', 'rename', ['target']],
  ],
} as const satisfies Schema

export const postgresDb: HostModule<PostgresDbArgs, PostgresDbArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'postgres_db',
  doc: 'Create, change, drop, rename, dump or restore a PostgreSQL database.',
  args: schema,
  returns: { db: 'the database name', executed_commands: 'the SQL statements or client commands that ran (or would run)' },
  validate(a) {
    const out = connProblems(a)
    if ((a.state === 'dump' || a.state === 'restore') && typeof a.target === 'string' && !a.target.startsWith('/') && !a.target.includes('{{'))
      out.push(`target must be an absolute path for state=${a.state}, got '${a.target}'`)
    for (const k of ['target_opts', 'dump_extra_args'] as const) {
      const v = a[k]
      if (typeof v === 'string') {
        try {
          shlexSplit(v)
        } catch (e) {
          out.push(`${k}: ${(e as Error).message}`)
        }
      }
    }
    return out
  },
  probes,
  plan: planDb,
  result(p, state, outputs) {
    return { db: p.name, executed_commands: outputs.map((o) => executed(p, o.step)) }
  },
}
