// PostgreSQL on a real lab host (Debian bookworm, PostgreSQL 15, sysv-init, over SSH): the guide's
// database section (user, database, GRANT ALL) and the rest of postgres_user, postgres_db,
// postgres_privs and postgres_query. Each converging playbook goes through: a --check --diff run
// that changes nothing (host snapshot and the server's catalogs before = after), a real run that
// changes exactly what check mode predicted, and a second run that changes nothing.
import { expect } from 'chai'
import { errorList, formatError } from '../../../src/playbook/errors.js'
import { converge as convergeOn, type Converged } from '../../helpers/converge.js'
import { sh, snapshot, snapshotDiff, type HostSnapshot } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'

const PW = "Sup3r s3cret 'pw' $HOME"
const PW2 = 'an0ther-Secret'

describe('postgres modules on a lab host', function () {
  let lab: TestLab
  let host: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const out = async (script: string) => (await run(script)).stdout.trim()
  /** A query as the postgres superuser, tuples only. */
  const psql = (sql: string, db = 'postgres') => out(`cd / && runuser -u postgres -- psql -X -A -t -v ON_ERROR_STOP=1 -d ${db} <<'EOF'\n${sql}\nEOF`)
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  vars:\n    pw: "${PW.replace(/"/g, '\\"')}"\n  tasks:\n${tasks}`
  const summaries = (r: PlayOutcome, task: string) => r.results(task)[0]!.changes.map((c) => c.summary)

  /** What the server holds, for proving that check mode changed nothing in it. */
  const catalogs = () =>
    psql(`SELECT rolname, rolsuper, rolcanlogin, rolcreatedb, rolconnlimit, rolvaliduntil, rolpassword FROM pg_authid ORDER BY 1;
SELECT datname, pg_get_userbyid(datdba), datacl, datconnlimit FROM pg_database ORDER BY 1;
SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2;`)

  /** Files of the server's data directory and its workers change on their own (checkpoints, autovacuum). */
  const ours = (s: HostSnapshot): HostSnapshot => ({
    ...s,
    files: s.files.filter((l) => !l.startsWith('/var/lib/postgresql/')),
    processes: s.processes.filter((l) => !/^postgres .*(autovacuum worker|parallel worker)/.test(l)),
  })

  /** check (nothing changes, in the server's catalogs neither) → real (what check predicted) → again (nothing to do). */
  const converge = (yaml: string): Promise<Converged> =>
    convergeOn(lab.inventory, host, (o) => play(yaml, { inventory: [lab.inventory], limit: host, ...o }), {
      steady: ours,
      extraState: { what: 'the server', read: catalogs },
      secrets: [PW, PW2],
    })

  async function loadErrors(yaml: string): Promise<string[]> {
    try {
      await play(yaml, { inventory: [lab.inventory], limit: host })
    } catch (e) {
      return errorList(e).map(formatError)
    }
    return []
  }

  before(async function () {
    lab = await testLab(4)
    host = lab.names[2]!
    await resetHosts(lab, [host])
    const setup = await play(
      pb(`    - apt: { name: postgresql, update_cache: true, cache_valid_time: 3600, install_recommends: false }
    - shell: service postgresql start
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(setup.exitCode, setup.text).to.equal(0)
    // Every statement goes to the server log: the tests look for passwords there.
    await psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();")
  })

  after(async function () {
    if (lab) await resetHosts(lab, [host])
  })

  it("the guide's database: user with a password, database owned by it, GRANT ALL", async () => {
    const yaml = pb(`    - name: app user
      postgres_user: { name: rmpg_app, password: "{{ pw }}", role_attr_flags: "LOGIN,NOSUPERUSER,NOCREATEDB" }
    - name: reader
      postgres_user: { name: rmpg_reader, role_attr_flags: NOLOGIN, comment: "read only" }
      become: true
      become_user: postgres
    - name: database
      postgres_db: { name: rmpg_prod, owner: rmpg_app, encoding: UTF8, template: template0 }
`)
    const { check, real } = await converge(yaml)
    expect(summaries(check, 'app user')).to.deep.equal(['create role rmpg_app (LOGIN, NOSUPERUSER, NOCREATEDB, password)'])
    // The owner is created by the task before: check mode cannot see it yet, and says so.
    expect(summaries(check, 'database')).to.deep.equal(['create database rmpg_prod (owner rmpg_app) — role rmpg_app does not exist yet'])
    expect(summaries(real, 'database')).to.deep.equal(['create database rmpg_prod (owner rmpg_app)'])
    expect(real.text).to.include('-role rmpg_app: absent\n+role rmpg_app\n+  login: true\n+  superuser: false\n+  createdb: false\n+  password: (set)')
    expect(real.text).to.include('+database rmpg_prod\n+  owner: rmpg_app\n+  encoding: UTF8')
    expect(
      await psql("SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname LIKE 'rmpg%' ORDER BY 1"),
    ).to.equal('rmpg_app|t|f|f|\nrmpg_reader|f|f|f|read only')
    expect(await psql("SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'rmpg_prod'")).to.equal('rmpg_app|UTF8')
    expect(await psql("SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'rmpg_app'")).to.equal('SCRAM-SHA-256$')
    // The password works, over TCP with scram-sha-256 (Debian's pg_hba for 127.0.0.1).
    expect(await out(`PGPASSWORD='${PW.replace(/'/g, `'\\''`)}' psql -X -A -t -h 127.0.0.1 -U rmpg_app -d rmpg_prod -c 'SELECT current_user'`)).to.equal(
      'rmpg_app',
    )
    // The clear password never reached the server: its log shows statements, with the verifier only.
    const log = await out('cat /var/log/postgresql/postgresql-15-main.log')
    expect(log).to.match(/CREATE ROLE "rmpg_app" WITH .*PASSWORD E'SCRAM-SHA-256\$4096:/)
    expect(log).to.not.include('Sup3r')

    // GRANT ALL PRIVILEGES ON DATABASE rmpg_prod TO rmpg_app: the owner has it already, every time.
    const grant = pb(`    - name: grant all
      postgres_privs: { database: rmpg_prod, type: database, privs: ALL, roles: rmpg_app }
`)
    for (const check of [true, false]) {
      const g = await play(grant, { inventory: [lab.inventory], limit: host, check })
      expect(g.exitCode, g.text).to.equal(0)
      expect(g.totalChanged(), g.text).to.equal(0)
    }
  })

  it('a new password is changed once ("password: (changed)"), the old one stops working; a new owner', async () => {
    const yaml = pb(`    - name: app user
      postgres_user: { name: rmpg_app, password: "${PW2}" }
    - name: owner user
      postgres_user: { name: rmpg_owner2, role_attr_flags: NOLOGIN }
    - name: owner
      postgres_db: { name: rmpg_prod, owner: rmpg_owner2, conn_limit: 50 }
`)
    const { check, real } = await converge(yaml)
    expect(real.text).to.include(' role rmpg_app\n-  password: (set)\n+  password: (changed)')
    expect(await out(`PGPASSWORD='${PW2}' psql -X -A -t -h 127.0.0.1 -U rmpg_app -d rmpg_prod -c 'SELECT 1'`)).to.equal('1')
    expect((await run(`PGPASSWORD='${PW.replace(/'/g, `'\\''`)}' psql -X -h 127.0.0.1 -U rmpg_app -d rmpg_prod -c 'SELECT 1'`, true)).code).to.not.equal(0)
    expect(summaries(check, 'owner')).to.deep.equal([
      'alter database rmpg_prod: owner rmpg_app → rmpg_owner2, conn_limit -1 → 50 — role rmpg_owner2 does not exist yet',
    ])
    expect(summaries(real, 'owner')).to.deep.equal(['alter database rmpg_prod: owner rmpg_app → rmpg_owner2, conn_limit -1 → 50'])
    expect(real.text).to.include('-  owner: rmpg_app\n-  conn_limit: -1\n+  owner: rmpg_owner2\n+  conn_limit: 50')
  })

  it('postgres_query: CREATE INDEX CONCURRENTLY needs autocommit; rows come back typed; failed statements roll back', async () => {
    await psql('CREATE TABLE items (id serial PRIMARY KEY, name text); CREATE TABLE orders (id int);', 'rmpg_prod')
    const idx = pb(`    - name: index
      postgres_query:
        db: rmpg_prod
        query: CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_items_name ON items (name)
        autocommit: true
      register: ix
    - name: rows
      postgres_query:
        db: rmpg_prod
        query: "INSERT INTO items (name) VALUES (%s), (%s) RETURNING id, name; SELECT count(*) AS n, bool_and(name IS NOT NULL) AS named, json_agg(name ORDER BY id) AS names FROM items"
        positional_args: ["it's", "x;y"]
      register: rows
    - debug: { msg: "{{ ix.statusmessage }} {{ rows.query_result[0].n }} {{ rows.query_result[0].named }} {{ rows.query_all_results[0] | length }} {{ rows.rowcount }}" }
      when: not ansible_check_mode
`)
    const before = ours(await snapshot(lab.inventory, host))
    // As Ansible's postgresql_query: autocommit cannot run in check mode (it could not be rolled back)
    const check = await play(idx, { inventory: [lab.inventory], limit: host, check: true })
    expect(check.exitCode, check.text).to.equal(2)
    expect(check.results('index')[0]!.msg).to.include('Using autocommit is mutually exclusive with check_mode')
    // Otherwise check mode runs the SQL in a transaction that is rolled back, and reports what it did
    const rowsOnly = idx.replace(/    - name: index\n[\s\S]*?register: ix\n/, '')
    const dry = await play(rowsOnly, { inventory: [lab.inventory], limit: host, check: true })
    expect(dry.exitCode, dry.text).to.equal(0)
    expect(dry.results('rows')[0]!.status).to.equal('ok')
    expect(dry.results('rows')[0]!.output!.query_result).to.deep.equal([{ n: 2, named: true, names: ["it's", 'x;y'] }])
    expect(snapshotDiff(before, ours(await snapshot(lab.inventory, host)))).to.deep.equal([])
    expect(await psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_items_name'", 'rmpg_prod')).to.equal('0')
    expect(await psql('SELECT count(*) FROM items', 'rmpg_prod')).to.equal('0')
    const r = await play(idx, { inventory: [lab.inventory], limit: host })
    expect(r.exitCode, r.text).to.equal(0)
    // Jinja prints a boolean as Python does: True, as Ansible's debug shows it
    expect(r.results('debug')[0]!.msg).to.equal('CREATE INDEX 2 True 2 1')
    expect(r.results('rows')[0]!.output!.query_result).to.deep.equal([{ n: 2, named: true, names: ["it's", 'x;y'] }])
    expect(await psql("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_items_name'", 'rmpg_prod')).to.equal(
      'CREATE INDEX idx_items_name ON public.items USING btree (name)',
    )

    const bad = await play(
      pb(`    - name: in a transaction
      postgres_query: { db: rmpg_prod, query: "CREATE TABLE rmpg_tmp (x int); CREATE INDEX CONCURRENTLY i2 ON items (id)" }
    - name: changed_when false
      postgres_query: { db: rmpg_prod, query: "SELECT 1 AS one" }
      changed_when: false
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(bad.exitCode).to.equal(2)
    expect(bad.results('in a transaction')[0]!.msg).to.include('CREATE INDEX CONCURRENTLY cannot run inside a transaction block')
    expect(await psql("SELECT count(*) FROM pg_tables WHERE tablename = 'rmpg_tmp'", 'rmpg_prod')).to.equal('0')

    const ok = await play(
      pb(`    - name: as the app, with its password over TCP
      postgres_query: { db: rmpg_prod, query: "SELECT current_user AS me", login_user: rmpg_app, login_password: "${PW2}", login_host: 127.0.0.1 }
      changed_when: false
      register: me
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(ok.exitCode, ok.text).to.equal(0)
    expect(ok.totalChanged()).to.equal(0)
    expect(ok.results('as the app, with its password over TCP')[0]!.output!.query_result).to.deep.equal([{ me: 'rmpg_app' }])
    expect(ok.text + JSON.stringify(ok.events)).to.not.include(PW2)
  })

  it('dump and restore (plain gzip and custom); a failed dump leaves no file', async () => {
    const yaml = pb(`    - file: { path: /var/backups/rmpg, state: directory, mode: "0700" }
    - name: dump
      postgres_db: { name: rmpg_prod, state: dump, target: /var/backups/rmpg/prod.sql.gz }
    - name: dump custom
      postgres_db: { name: rmpg_prod, state: dump, target: /var/backups/rmpg/prod.pgc }
    - name: restore
      postgres_db: { name: rmpg_copy, owner: rmpg_app, state: restore, target: /var/backups/rmpg/prod.sql.gz }
    - name: restore custom
      postgres_db: { name: rmpg_copy2, state: restore, target: /var/backups/rmpg/prod.pgc, target_opts: --no-owner }
`)
    await run('rm -rf /var/backups/rmpg')
    // Restore would create rmpg_copy and rmpg_copy2: check mode must leave host and server as they were.
    const before = ours(await snapshot(lab.inventory, host))
    const dbBefore = await catalogs()
    const check = await play(yaml, { inventory: [lab.inventory], limit: host, check: true })
    expect(check.exitCode, check.text).to.equal(0)
    expect(snapshotDiff(before, ours(await snapshot(lab.inventory, host))), 'check mode changed the host').to.deep.equal([])
    expect(await catalogs(), 'check mode changed the server').to.equal(dbBefore)
    expect(check.text, check.text).to.include(`would change: [${host}] dump database rmpg_prod to /var/backups/rmpg/prod.sql.gz (plain SQL, gzip)`)
    expect(await out('ls /var/backups')).to.not.include('rmpg')
    const r = await play(yaml, { inventory: [lab.inventory], limit: host })
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results('restore')[0]!.changes.map((c) => c.summary)).to.deep.equal([
      'create database rmpg_copy (owner rmpg_app)',
      'restore database rmpg_copy from /var/backups/rmpg/prod.sql.gz (plain SQL, gzip)',
    ])
    expect(await out('stat -c %a /var/backups/rmpg/prod.sql.gz; gzip -dc /var/backups/rmpg/prod.sql.gz | grep -c "CREATE TABLE public.items"')).to.equal(
      '600\n1',
    )
    expect(await psql("SELECT string_agg(name, ',' ORDER BY id) FROM items", 'rmpg_copy')).to.equal("it's,x;y")
    expect(await psql('SELECT count(*) FROM items', 'rmpg_copy2')).to.equal('2')

    const fail = await play(
      pb(`    - name: bad dump
      postgres_db: { name: rmpg_prod, state: dump, target: /var/backups/rmpg/bad.sql, target_opts: --no-such-option }
`),
      { inventory: [lab.inventory], limit: host },
    )
    expect(fail.exitCode).to.equal(2)
    expect(fail.results('bad dump')[0]!.msg).to.match(/unrecognized option/)
    expect(await out('ls -A /var/backups/rmpg')).to.equal('prod.pgc\nprod.sql.gz')
  })

  it('privileges on the database, schema, tables (ALL_IN_SCHEMA), sequence, group; revoke from PUBLIC; drops', async () => {
    await psql('CREATE SCHEMA IF NOT EXISTS reports;', 'rmpg_prod')
    const yaml = pb(`    - name: grant all to the app
      postgres_privs: { database: rmpg_prod, type: database, privs: ALL PRIVILEGES, roles: rmpg_app }
    - name: no public connect
      postgres_privs: { database: rmpg_prod, type: database, privs: CONNECT, roles: PUBLIC, state: absent }
    - name: schema
      postgres_privs: { database: rmpg_prod, type: schema, objs: reports, privs: USAGE, roles: "rmpg_app,rmpg_reader" }
    - name: tables
      postgres_privs: { database: rmpg_prod, schema: public, objs: ALL_IN_SCHEMA, privs: SELECT, roles: rmpg_reader }
    - name: sequence
      postgres_privs: { database: rmpg_prod, type: sequence, objs: items_id_seq, privs: "USAGE,SELECT", roles: rmpg_app, grant_option: true }
    - name: group
      postgres_privs: { database: rmpg_prod, type: group, objs: rmpg_reader, roles: rmpg_app }
    - name: drop a database
      postgres_db: { name: rmpg_copy2, state: absent }
    - name: drop a role that is not there
      postgres_user: { name: rmpg_gone, state: absent }
`)
    const { check, real } = await converge(yaml)
    expect(summaries(check, 'grant all to the app')).to.deep.equal(['grant CREATE, CONNECT, TEMPORARY on database rmpg_prod to rmpg_app'])
    expect(real.text).to.include(' table public.items\n-  rmpg_reader: (none)\n+  rmpg_reader: SELECT')
    expect(real.text).to.include('-  PUBLIC: CONNECT, TEMPORARY\n+  PUBLIC: TEMPORARY')
    const has = await psql(
      `SELECT has_database_privilege('rmpg_app', 'rmpg_prod', 'CREATE'), has_database_privilege('rmpg_reader', 'rmpg_prod', 'CONNECT'),
  has_schema_privilege('rmpg_reader', 'reports', 'USAGE'), has_table_privilege('rmpg_reader', 'public.orders', 'SELECT'), has_table_privilege('rmpg_reader', 'public.orders', 'INSERT'),
  has_sequence_privilege('rmpg_app', 'items_id_seq', 'USAGE WITH GRANT OPTION'), pg_has_role('rmpg_app', 'rmpg_reader', 'MEMBER'), pg_get_userbyid(datdba), datconnlimit
  FROM pg_database WHERE datname = 'rmpg_prod'`,
      'rmpg_prod',
    )
    expect(has).to.equal('t|f|t|t|f|t|t|rmpg_owner2|50')
    expect(await psql("SELECT count(*) FROM pg_database WHERE datname = 'rmpg_copy2'")).to.equal('0')
  })

  it('bad arguments are refused at load time with file:line:col', async () => {
    const errs = await loadErrors(
      pb(`    - postgres_user: { name: x, role_attr_flags: "LOGIN,SUPERUSR" }
    - postgres_privs: { database: d, type: database, privs: SELECT, roles: r }
    - postgres_query: { query: "SELECT 1; \\\\! id" }
    - postgres_db: { name: d, state: dump }
`),
    )
    expect(errs).to.have.length(4)
    expect(errs[0]).to.match(/site\.yml:6:\d+: postgres_user: role_attr_flags: unknown flag 'SUPERUSR'/)
    expect(errs[1]).to.match(/site\.yml:7:\d+: postgres_privs: privilege 'SELECT' does not apply to type=database/)
    expect(errs[2]).to.match(/site\.yml:8:\d+: postgres_query: psql meta-commands are not allowed/)
    expect(errs[3]).to.match(/site\.yml:9:\d+: postgres_db: state=dump requires 'target'/)
  })
})
