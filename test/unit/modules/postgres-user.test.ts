// postgres_user's plan on roles recorded on a lab host: (arguments, state) → changes, then the
// state after → no change. Passwords: compared against the stored SCRAM verifier, never shown.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { parseRoleFlags, postgresUser, type PostgresUserArgs, type PreparedUser } from '../../../src/modules/postgres-user.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { scramMatches } from '../../../src/modules/scram.js'
import { ModuleFailure, type Change, type ExecStep } from '../../../src/modules/types.js'
import { parseRoleState, type PgRead, type RoleInfo, type RoleState } from '../../../src/probes/postgres.js'
import { PG } from '../probes/postgres-recorded.js'

const real = { host: 'h', facts: {}, check: false, diff: true }
const check = { ...real, check: true }

function args(input: Record<string, unknown>): PostgresUserArgs {
  const { args, problems } = checkArgs(postgresUser.args, input, false)
  expect(problems).to.deep.equal([])
  return args as PostgresUserArgs
}

async function prepared(input: Record<string, unknown>): Promise<PreparedUser> {
  const a = args(input)
  return postgresUser.prepare!(a, {} as never) as PreparedUser
}

function plan(p: PreparedUser, st: PgRead<RoleState>, ctx = real): Change[] {
  const probes = postgresUser.probes(p, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(postgresUser.plan(p, { role: st }, ctx), ctx.check)
}

const stateOf = (k: string) => parseRoleState(PG[k]!) as PgRead<RoleState> & { ok: true }
const sqlOf = (c: Change) => String((c.steps[0] as ExecStep).stdin)

/** The role as the server would have it after the change (what the next probe would read). */
function after(p: PreparedUser, before: RoleInfo | null): PgRead<RoleState> {
  const base: RoleInfo = before ?? {
    name: p.name,
    superuser: false,
    inherit: true,
    createrole: false,
    createdb: false,
    login: true,
    replication: false,
    bypassrls: false,
    conn_limit: -1,
    valid_until: null,
    expires_same: null,
    comment: null,
    password: null,
  }
  const role: RoleInfo = { ...base, ...parseRoleFlags(p.role_attr_flags).attrs }
  if (p.conn_limit !== undefined) role.conn_limit = p.conn_limit
  if (p.expires !== undefined) role.expires_same = true
  if (p.comment !== undefined) role.comment = p.comment === '' ? null : p.comment
  if (p.password !== undefined && !(before && p.no_password_changes)) role.password = p.password === '' ? null : (p.verifier ?? p.password)
  return { ok: true, superuser: true, role }
}

describe('modules/postgres_user: plan', () => {
  it('creates a missing role that logs in, with a SCRAM verifier made on the controller', async () => {
    const p = await prepared({ name: 'runmaster', password: 'S3cret pw', role_attr_flags: 'CREATEDB,NOSUPERUSER', conn_limit: 10 })
    const ch = plan(p, stateOf('roleAbsent'))
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('create role runmaster (CREATEDB, NOSUPERUSER, LOGIN, conn_limit 10, password)')
    const sql = sqlOf(ch[0]!)
    expect(sql).to.match(/^CREATE ROLE "runmaster" WITH CREATEDB NOSUPERUSER LOGIN CONNECTION LIMIT 10 PASSWORD E'SCRAM-SHA-256\$4096:[^']+';\n$/)
    expect(sql).to.not.include('S3cret')
    expect(scramMatches('S3cret pw', /E'([^']+)'/.exec(sql)![1]!)).to.equal(true)
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.secret).to.equal(true)
    expect(step.script.text).to.match(/ -1$/)
    expect(ch[0]!.diff).to.deep.equal({
      before: 'role runmaster: absent\n',
      after: 'role runmaster\n  createdb: true\n  superuser: false\n  login: true\n  conn_limit: 10\n  password: (set)\n',
    })
    expect(plan(p, after(p, null))).to.deep.equal([])
  })

  it('an unchanged password is recognised from the stored verifier: nothing to do', async () => {
    const p = await prepared({
      name: 'rmpg_rec',
      password: 'S3cret pw',
      role_attr_flags: 'LOGIN,CREATEDB',
      conn_limit: 5,
      expires: '2030-01-01 00:00:00+00',
      comment: 'recorded role',
    })
    expect(plan(p, stateOf('roleWithPassword'))).to.deep.equal([])
  })

  it('a different password: ALTER with a new verifier; the diff says only "(changed)"', async () => {
    const p = await prepared({ name: 'rmpg_rec', password: 'new one' })
    const st = stateOf('roleWithPassword')
    const ch = plan(p, st)
    expect(ch.map((c) => c.summary)).to.deep.equal(['alter role rmpg_rec (password)'])
    expect(sqlOf(ch[0]!)).to.match(/^ALTER ROLE "rmpg_rec" WITH PASSWORD E'SCRAM-SHA-256\$[^']+';\n$/)
    expect(ch[0]!.diff).to.deep.equal({ before: 'role rmpg_rec\n  password: (set)\n', after: 'role rmpg_rec\n  password: (changed)\n' })
    expect(JSON.stringify(ch[0]!.diff)).to.not.include('new one')
    expect(plan(p, after(p, st.role))).to.deep.equal([])
    const result = postgresUser.result!(p, { role: st }, [], real)
    expect(result).to.deep.equal({ user: 'rmpg_rec', queries: ['ALTER ROLE "rmpg_rec" WITH PASSWORD \'********\';'] })
  })

  it('no_password_changes leaves an existing password alone', async () => {
    const p = await prepared({ name: 'rmpg_rec', password: 'new one', no_password_changes: true })
    expect(plan(p, stateOf('roleWithPassword'))).to.deep.equal([])
  })

  it('an md5-stored password that matches is re-stored as SCRAM, once', async () => {
    const p = await prepared({ name: 'rmpg_md5', password: 'md5pass' })
    const st = stateOf('roleMd5')
    const ch = plan(p, st)
    expect(ch[0]!.diff!.after).to.equal('role rmpg_md5\n  password: (unchanged, re-stored as SCRAM-SHA-256)\n')
    expect(plan(p, after(p, st.role))).to.deep.equal([])
  })

  it('a password given as a verifier is stored as it is and compared as text', async () => {
    const stored = stateOf('roleWithPassword').role!.password!
    expect(plan(await prepared({ name: 'rmpg_rec', password: stored }), stateOf('roleWithPassword'))).to.deep.equal([])
    const ch = plan(await prepared({ name: 'rmpg_md5', password: stored }), stateOf('roleMd5'))
    expect(sqlOf(ch[0]!)).to.equal(`ALTER ROLE "rmpg_md5" WITH PASSWORD E'${stored}';\n`)
  })

  it('password "" removes a password, and then nothing', async () => {
    const p = await prepared({ name: 'rmpg_rec', password: '' })
    const st = stateOf('roleWithPassword')
    const ch = plan(p, st)
    expect(sqlOf(ch[0]!)).to.equal('ALTER ROLE "rmpg_rec" WITH PASSWORD NULL;\n')
    expect(plan(p, after(p, st.role))).to.deep.equal([])
    expect(plan(p, stateOf('roleNoLogin'))).to.deep.equal([])
  })

  it('attributes, limit, expiry and comment: only what differs', async () => {
    const p = await prepared({ name: 'rmpg_rec', role_attr_flags: 'login,nocreatedb,CREATEROLE', conn_limit: 5, expires: 'infinity', comment: "the 'app'" })
    // Recorded with expires 2030-01-01: the server's comparison with 'infinity' says false.
    const rec = stateOf('roleWithPassword')
    const st = { ...rec, role: { ...rec.role!, expires_same: false } }
    const ch = plan(p, st)
    expect(ch[0]!.summary).to.equal('alter role rmpg_rec (NOCREATEDB, CREATEROLE, expires infinity, comment)')
    expect(sqlOf(ch[0]!)).to.equal(`ALTER ROLE "rmpg_rec" WITH NOCREATEDB CREATEROLE VALID UNTIL E'infinity';\nCOMMENT ON ROLE "rmpg_rec" IS E'the ''app''';\n`)
    expect(ch[0]!.diff!.before).to.equal('role rmpg_rec\n  createdb: true\n  createrole: false\n  expires: 2030-01-01 00:00:00+00\n  comment: recorded role\n')
    expect(plan(p, after(p, st.role))).to.deep.equal([])
  })

  it('a NOLOGIN role is created without LOGIN', async () => {
    const p = await prepared({ name: 'grp', role_attr_flags: 'NOLOGIN' })
    expect(sqlOf(plan(p, stateOf('roleAbsent'))[0]!)).to.equal('CREATE ROLE "grp" WITH NOLOGIN;\n')
  })

  it('absent: DROP ROLE when it exists, nothing when not; fail_on_user: false tolerates psql failing', async () => {
    const p = await prepared({ name: 'rmpg_rec', state: 'absent', password: 'ignored' })
    const ch = plan(p, stateOf('roleWithPassword'))
    expect(ch[0]!.summary).to.equal('drop role rmpg_rec')
    expect(sqlOf(ch[0]!)).to.equal('DROP ROLE "rmpg_rec";\n')
    expect((ch[0]!.steps[0] as ExecStep).okCodes).to.equal(undefined)
    expect(plan(p, stateOf('roleAbsent'))).to.deep.equal([])
    const lax = await prepared({ name: 'rmpg_rec', state: 'absent', fail_on_user: false })
    expect((plan(lax, stateOf('roleWithPassword'))[0]!.steps[0] as ExecStep).okCodes).to.deep.equal([0, 3])
  })

  it('a non-superuser cannot read the verifier: the password is set and the change is "may change"', async () => {
    const p = await prepared({ name: 'rmpg_rec', password: 'S3cret pw', login_user: 'rmpg_rec', login_password: 'S3cret pw', login_host: '127.0.0.1' })
    const ch = plan(p, stateOf('roleAsNonSuperuser'))
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/cannot be read by a non-superuser/)
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.stdin).to.match(/^S3cret pw\nALTER ROLE/)
    expect(step.script.text).to.not.include('S3cret')
  })

  it('no server: fails in a real run; in check mode says it cannot know', async () => {
    const p = await prepared({ name: 'runmaster', password: 'x' })
    expect(() => plan(p, stateOf('roleServerStopped'))).to.throw(ModuleFailure, /server running/)
    const ch = plan(p, stateOf('roleNoPsql'), check)
    expect(ch).to.have.length(1)
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/^create role runmaster \(LOGIN, password\) — cannot read the server now/)
  })
})

describe('modules/postgres_user: arguments', () => {
  it('flags are checked at load time', () => {
    expect(postgresUser.validate!(args({ name: 'x', role_attr_flags: 'LOGIN,SUPERUSR' }))).to.deep.equal([
      "role_attr_flags: unknown flag 'SUPERUSR' (known: SUPERUSER, NOSUPERUSER, CREATEROLE, NOCREATEROLE, CREATEDB, NOCREATEDB, INHERIT, NOINHERIT, LOGIN, NOLOGIN, REPLICATION, NOREPLICATION, BYPASSRLS, NOBYPASSRLS)",
    ])
    expect(postgresUser.validate!(args({ name: 'x', role_attr_flags: 'LOGIN,NOLOGIN' }))).to.deep.equal(['role_attr_flags: both LOGIN and NOLOGIN'])
    expect(postgresUser.validate!(args({ name: 'x', login_password: 'a\nb' }))).to.deep.equal(['login_password must not contain line breaks or NUL'])
  })
  it('schema: name required, aliases, choices, secrets', () => {
    expect(checkArgs(postgresUser.args, {}, false).problems.map((p) => p.message)).to.deep.equal(["missing required argument 'name'"])
    expect(checkArgs(postgresUser.args, { user: 'x', db: 'd', port: '5433' }, false).args).to.deep.include({ name: 'x', login_db: 'd', login_port: 5433 })
    expect(checkArgs(postgresUser.args, { name: 'x', state: 'gone' }, false).problems[0]!.message).to.match(/must be one of "present", "absent"/)
    expect(postgresUser.args.options.password!.noLog).to.equal(true)
    expect(postgresUser.args.options.login_password!.noLog).to.equal(true)
  })
})
