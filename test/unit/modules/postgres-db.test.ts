// postgres_db's plan on databases recorded on a lab host, and the dump/restore scripts (run for
// real against stand-in clients: a failed dump leaves no file, the exit status survives gzip).
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dumpFormat, dumpScript, planDb, postgresDb, restoreScript, sameEncoding, sameLocale, type PostgresDbArgs } from '../../../src/modules/postgres-db.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep } from '../../../src/modules/types.js'
import type { Script } from '../../../src/shell/index.js'
import { parseDatabaseState, type DatabaseState, type PgRead } from '../../../src/probes/postgres.js'
import { PG } from '../probes/postgres-recorded.js'

const real = { host: 'h', facts: {}, check: false, diff: true }
const check = { ...real, check: true }

function args(input: Record<string, unknown>): PostgresDbArgs {
  const { args, problems } = checkArgs(postgresDb.args, input, false)
  expect(problems).to.deep.equal([])
  return args as PostgresDbArgs
}

function plan(a: PostgresDbArgs, st: PgRead<DatabaseState>, ctx = real): Change[] {
  const probes = postgresDb.probes(a, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(planDb(a, { db: st }), ctx.check)
}

const present = () => parseDatabaseState(PG.dbPresent!) as PgRead<DatabaseState> & { ok: true }
const absent = () => parseDatabaseState(PG.dbAbsent!) as PgRead<DatabaseState> & { ok: true }
const sqlOf = (c: Change) => String((c.steps[0] as ExecStep).stdin)

describe('modules/postgres_db: plan', () => {
  it('creates a missing database with its options, then nothing', () => {
    const a = args({ name: 'rmpg_new', owner: 'rmpg_app', encoding: 'UTF8', template: 'template0', lc_collate: 'C.UTF-8', lc_ctype: 'C.UTF-8', conn_limit: 20 })
    const ch = plan(a, { ...absent(), roles: ['rmpg_app'] })
    expect(ch.map((c) => c.summary)).to.deep.equal(['create database rmpg_new (owner rmpg_app)'])
    expect(sqlOf(ch[0]!)).to.equal(
      `CREATE DATABASE "rmpg_new" WITH OWNER "rmpg_app" TEMPLATE "template0" ENCODING E'UTF8' LC_COLLATE E'C.UTF-8' LC_CTYPE E'C.UTF-8' CONNECTION LIMIT 20;\n`,
    )
    expect((ch[0]!.steps[0] as ExecStep).script.text).to.not.match(/ -1$/) // CREATE DATABASE cannot run in a transaction
    expect(ch[0]!.diff).to.deep.equal({
      before: 'database rmpg_new: absent\n',
      after: 'database rmpg_new\n  owner: rmpg_app\n  encoding: UTF8\n  lc_collate: C.UTF-8\n  lc_ctype: C.UTF-8\n  conn_limit: 20\n',
    })
    const st = present()
    expect(plan({ ...a, name: 'rmpg_pdb', owner: 'postgres', conn_limit: -1 }, st)).to.deep.equal([])
  })

  it('an owner that does not exist: a real run fails before any SQL; check mode says it may change', () => {
    const a = args({ name: 'rmpg_new', owner: 'rmpg_nobody' })
    expect(() => plan(a, absent())).to.throw(ModuleFailure, 'postgres_db rmpg_new: the owner role rmpg_nobody does not exist')
    const ch = plan(a, absent(), check)
    expect(ch.map((c) => [c.summary, c.uncertain])).to.deep.equal([
      ['create database rmpg_new (owner rmpg_nobody) — role rmpg_nobody does not exist yet', true],
    ])
    // An existing database already owned by it needs nothing, whatever the role list says.
    expect(plan(args({ name: 'rmpg_pdb', owner: 'postgres' }), { ...present(), roles: [] })).to.deep.equal([])
  })

  it('spellings of the same encoding and locale are the same', () => {
    expect(plan(args({ name: 'rmpg_pdb', encoding: 'utf-8', lc_collate: 'C.utf8', lc_ctype: 'C.UTF8' }), present())).to.deep.equal([])
    expect(sameEncoding('UNICODE', 'UTF8')).to.equal(true)
    expect(sameEncoding('LATIN1', 'UTF8')).to.equal(false)
    expect(sameLocale('en_US.UTF-8', 'en_US.utf8')).to.equal(true)
    expect(sameLocale('en_US.UTF-8', 'de_DE.UTF-8')).to.equal(false)
  })

  it('changes the owner and the limit of an existing database; the diff shows them', () => {
    const a = args({ name: 'rmpg_pdb', owner: 'rmpg_app', conn_limit: 3 })
    const st = present() // recorded asking about rmpg_app, which exists
    const ch = plan(a, st)
    expect(ch.map((c) => c.summary)).to.deep.equal(['alter database rmpg_pdb: owner postgres → rmpg_app, conn_limit -1 → 3'])
    expect(sqlOf(ch[0]!)).to.equal('ALTER DATABASE "rmpg_pdb" OWNER TO "rmpg_app";\nALTER DATABASE "rmpg_pdb" CONNECTION LIMIT 3;\n')
    expect(ch[0]!.diff).to.deep.equal({
      before: 'database rmpg_pdb\n  owner: postgres\n  conn_limit: -1\n',
      after: 'database rmpg_pdb\n  owner: rmpg_app\n  conn_limit: 3\n',
    })
    expect(plan(a, { ...st, db: { ...st.db!, owner: 'rmpg_app', conn_limit: 3 } })).to.deep.equal([])
  })

  it('refuses to pretend it can change the encoding', () => {
    expect(() => plan(args({ name: 'rmpg_pdb', encoding: 'LATIN1' }), present())).to.throw(ModuleFailure, /exists with encoding UTF8, not LATIN1/)
  })

  it('absent: DROP DATABASE (WITH (FORCE) when asked), then nothing', () => {
    expect(sqlOf(plan(args({ name: 'rmpg_pdb', state: 'absent', force: true }), present())[0]!)).to.equal('DROP DATABASE "rmpg_pdb" WITH (FORCE);\n')
    expect(plan(args({ name: 'rmpg_nodb', state: 'absent' }), absent())).to.deep.equal([])
  })

  it('rename: once, then nothing; neither or both existing fails', () => {
    const a = args({ name: 'rmpg_pdb', state: 'rename', target: 'rmpg_pdb2' })
    expect(sqlOf(plan(a, present())[0]!)).to.equal('ALTER DATABASE "rmpg_pdb" RENAME TO "rmpg_pdb2";\n')
    expect(plan(args({ name: 'rmpg_nodb', state: 'rename', target: 'rmpg_pdb' }), absent())).to.deep.equal([])
    expect(() => plan(args({ name: 'x', state: 'rename', target: 'y' }), { ...absent(), target: false })).to.throw(/neither exists/)
    expect(() => plan(a, { ...present(), target: true })).to.throw(/both exist/)
  })

  it('dump and restore always run; restore creates a missing database first', () => {
    const d = plan(args({ name: 'rmpg_pdb', state: 'dump', target: '/var/backups/x.sql.gz' }), present())
    expect(d.map((c) => c.summary)).to.deep.equal(['dump database rmpg_pdb to /var/backups/x.sql.gz (plain SQL, gzip)'])
    expect(() => plan(args({ name: 'rmpg_nodb', state: 'dump', target: '/tmp/x.sql' }), absent())).to.throw(/does not exist/)
    const r = plan(args({ name: 'rmpg_nodb', state: 'restore', target: '/tmp/x.pgc' }), absent())
    expect(r.map((c) => c.summary)).to.deep.equal(['create database rmpg_nodb', 'restore database rmpg_nodb from /tmp/x.pgc (custom)'])
    expect(plan(args({ name: 'rmpg_pdb', state: 'restore', target: '/tmp/x.sql' }), present()).map((c) => c.summary)).to.deep.equal([
      'restore database rmpg_pdb from /tmp/x.sql (plain SQL)',
    ])
  })

  it('no server: fails for real; in check mode, "cannot know" changes', () => {
    const st = parseDatabaseState(PG.roleServerStopped!)
    const a = args({ name: 'rmpg_new', owner: 'x' })
    expect(() => plan(a, st)).to.throw(ModuleFailure, /server running/)
    const ch = plan(a, st, check)
    expect(ch).to.have.length(1)
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/^create database rmpg_new \(owner x\) — cannot read the server now/)
  })
})

describe('modules/postgres_db: dump and restore scripts', () => {
  it('formats follow the file name', () => {
    expect(dumpFormat('/b/x.sql')).to.deep.equal({ format: 'p' })
    expect(dumpFormat('/b/x.SQL.GZ')).to.deep.equal({ format: 'p', compress: 'gzip' })
    expect(dumpFormat('/b/x.tar')).to.deep.equal({ format: 't' })
    expect(dumpFormat('/b/x.pgc')).to.deep.equal({ format: 'c' })
    expect(dumpFormat('/b/x.dump.xz')).to.deep.equal({ format: 'c', compress: 'xz' })
    expect(dumpFormat('/b/x.tar.bz2')).to.deep.equal({ format: 't', compress: 'bzip2' })
  })

  // Stand-ins for pg_dump/psql that tell what they got, or fail.
  function fakeClients(dumpExit: number): string {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-pgdump-'))
    writeFileSync(join(dir, 'pg_dump'), `#!/bin/sh\necho "-- dump of $PGDATABASE as $PGUSER, args: $*"\nexit ${dumpExit}\n`)
    writeFileSync(join(dir, 'psql'), '#!/bin/sh\necho "psql $* got: $(cat)"\n')
    writeFileSync(join(dir, 'pg_restore'), '#!/bin/sh\nfor a; do echo "[$a]"; done; echo "got: $(cat)"\n')
    for (const f of ['pg_dump', 'psql', 'pg_restore']) chmodSync(join(dir, f), 0o755)
    return dir
  }
  const conn = { login_user: 'rmp_no_such_os_user', login_port: 5432, ssl_mode: 'prefer' }
  const run = (script: Script, bin: string) =>
    spawnSync('/bin/sh', ['-c', script.text.replace(/for rmp_d in [^\n]*\n/, '')], { env: { PATH: `${bin}:/usr/bin:/bin` } })

  it('a dump lands in place only when pg_dump succeeded; its status survives gzip; a new file is 0600', () => {
    const out = mkdtempSync(join(tmpdir(), 'rmp-dumps-'))
    const ok = fakeClients(0)
    const a = args({ ...conn, name: 'app db', state: 'dump', target: join(out, 'x.sql.gz'), dump_extra_args: "--no-owner --exclude-table='a b'" })
    const r = run(dumpScript(a), ok)
    expect(r.status, r.stderr.toString()).to.equal(0)
    expect(execFileSync('gzip', ['-dc', join(out, 'x.sql.gz')]).toString()).to.equal(
      '-- dump of app db as rmp_no_such_os_user, args: --format=p --no-owner --exclude-table=a b\n',
    )
    expect(statSync(join(out, 'x.sql.gz')).mode & 0o777).to.equal(0o600)
    const bad = fakeClients(7)
    const r2 = run(dumpScript({ ...a, target: join(out, 'y.sql.gz') }), bad)
    expect(r2.status).to.equal(7)
    expect(existsSync(join(out, 'y.sql.gz'))).to.equal(false)
    expect(readdirSync(out)).to.deep.equal(['x.sql.gz'])
    // A failed dump over an existing file leaves the old one.
    const r3 = run(dumpScript(a), bad)
    expect(r3.status).to.equal(7)
    expect(execFileSync('gzip', ['-dc', join(out, 'x.sql.gz')]).toString()).to.match(/^-- dump of app db/)
  })

  it('a plain restore feeds the file to psql with ON_ERROR_STOP; pg_restore gets a conninfo dbname', () => {
    const out = mkdtempSync(join(tmpdir(), 'rmp-restore-'))
    writeFileSync(join(out, 'in.sql'), 'SELECT 1;')
    const bin = fakeClients(0)
    const r = run(restoreScript(args({ ...conn, name: 'd', state: 'restore', target: join(out, 'in.sql') })), bin)
    expect(r.stdout.toString()).to.equal('psql -X -q -v ON_ERROR_STOP=1 got: SELECT 1;\n')
    execFileSync('gzip', [join(out, 'in.sql')])
    const gz = run(restoreScript(args({ ...conn, name: 'd', state: 'restore', target: join(out, 'in.sql.gz') })), bin)
    expect(gz.stdout.toString()).to.equal('psql -X -q -v ON_ERROR_STOP=1 got: SELECT 1;\n')
    writeFileSync(join(out, 'in.tar'), 'TAR')
    const tar = run(restoreScript(args({ ...conn, name: "o'd", state: 'restore', target: join(out, 'in.tar') })), bin)
    expect(tar.stdout.toString()).to.equal("[--format=t]\n[-d]\n[dbname='o\\'d']\n[--exit-on-error]\ngot: TAR\n")
    const missing = run(restoreScript(args({ ...conn, name: 'd', state: 'restore', target: join(out, 'nope.sql') })), bin)
    expect(missing.status).to.equal(1)
    expect(missing.stderr.toString()).to.match(/cannot read .*nope.sql/)
  })
})

describe('modules/postgres_db: arguments', () => {
  it('dump/restore/rename need a target; dump targets are absolute paths', () => {
    expect(checkArgs(postgresDb.args, { name: 'x', state: 'dump' }, false).problems.map((p) => p.message)).to.deep.equal(["state=dump requires 'target'"])
    expect(postgresDb.validate!(args({ name: 'x', state: 'dump', target: 'x.sql' }))).to.deep.equal([
      "target must be an absolute path for state=dump, got 'x.sql'",
    ])
    expect(postgresDb.validate!(args({ name: 'x', state: 'dump', target: '/x.sql', target_opts: "'unclosed" }))).to.deep.equal([
      'target_opts: unterminated single quote',
    ])
  })
})
