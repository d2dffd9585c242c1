// postgres_privs' plan on ACLs recorded on a lab host: what is missing is granted, what is held is
// revoked, nothing when the ACL (or the default ACL of an owner) already says so.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { parsePrivs, planPrivs, postgresPrivs, type PostgresPrivsArgs } from '../../../src/modules/postgres-privs.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep } from '../../../src/modules/types.js'
import { parsePrivState, type AclEntry, type PgRead, type PrivState } from '../../../src/probes/postgres.js'
import { PG } from '../probes/postgres-recorded.js'

const real = { host: 'h', facts: {}, check: false, diff: true }
const check = { ...real, check: true }

function args(input: Record<string, unknown>): PostgresPrivsArgs {
  const { args, problems } = checkArgs(postgresPrivs.args, input, false)
  expect(problems).to.deep.equal([])
  expect(postgresPrivs.validate!(args as never)).to.deep.equal([])
  return args as PostgresPrivsArgs
}

function plan(a: PostgresPrivsArgs, st: PgRead<PrivState>, ctx = real): Change[] {
  const probes = postgresPrivs.probes(a, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(planPrivs(a, { privs: st }), ctx.check)
}

const rec = (k: string, objs: string[] | undefined) => parsePrivState(PG[k]!, objs) as PgRead<PrivState> & { ok: true }
const sqlOf = (c: Change) => String((c.steps[0] as ExecStep).stdin)

/** The ACLs after the plan's statements ran, as the server would show them. */
function applied(a: PostgresPrivsArgs, st: PrivState): PrivState {
  const wanted = parsePrivs(a.type, a.privs, st.serverVersion).privs
  const objects = st.objects.map((o) => {
    let acl: AclEntry[] = o.acl.map((e) => [...e] as AclEntry)
    for (const role of a.roles) {
      const who = role.toUpperCase() === 'PUBLIC' ? 'PUBLIC' : role
      if (!(who === 'PUBLIC' || st.roles.includes(who))) continue
      for (const p of wanted) {
        const e = acl.find(([g, q]) => g === who && q === p)
        if (a.state === 'absent') acl = acl.filter((x) => x !== e)
        else if (!e) acl.push([who, p, a.grant_option === true])
        else if (a.grant_option !== undefined) e[2] = a.grant_option
      }
    }
    return { ...o, acl }
  })
  return { ...st, objects }
}

function idempotent(a: PostgresPrivsArgs, st: PgRead<PrivState> & { ok: true }): void {
  expect(plan(a, { ok: true, ...applied(a, st) })).to.deep.equal([])
}

describe('modules/postgres_privs: plan', () => {
  it("GRANT ALL ON DATABASE to its owner: the default ACL already has it (the guide's grant is idempotent)", () => {
    const st = rec('privsDatabase', ['rmpg_pdb'])
    const owned = {
      ...st,
      objects: [
        {
          name: 'runmaster_prod',
          acl: [
            ['PUBLIC', 'TEMPORARY', false],
            ['PUBLIC', 'CONNECT', false],
            ['runmaster', 'CREATE', false],
            ['runmaster', 'TEMPORARY', false],
            ['runmaster', 'CONNECT', false],
          ] as AclEntry[],
        },
      ],
      roles: ['runmaster'],
    }
    expect(plan(args({ database: 'runmaster_prod', type: 'database', privs: 'ALL PRIVILEGES', roles: 'runmaster' }), owned)).to.deep.equal([])
  })

  it('GRANT ALL ON DATABASE to a role without privileges: one GRANT, then nothing', () => {
    const st = rec('privsDatabase', ['rmpg_pdb'])
    const a = args({ database: 'rmpg_pdb', type: 'database', privs: 'ALL', roles: 'rmpg_reader' })
    const ch = plan(a, st)
    expect(ch.map((c) => c.summary)).to.deep.equal(['grant CREATE, CONNECT, TEMPORARY on database rmpg_pdb to rmpg_reader'])
    expect(sqlOf(ch[0]!)).to.equal('GRANT CREATE, CONNECT, TEMPORARY ON DATABASE "rmpg_pdb" TO "rmpg_reader";\n')
    expect((ch[0]!.steps[0] as ExecStep).script.text).to.match(/ -1$/)
    expect(ch[0]!.diff).to.deep.equal({
      before: 'database rmpg_pdb\n  rmpg_reader: (none)\n',
      after: 'database rmpg_pdb\n  rmpg_reader: CREATE, CONNECT, TEMPORARY\n',
    })
    idempotent(a, st)
    // the recorded ACL: rmpg_app was granted ALL by an earlier run
    expect(plan(args({ db: 'rmpg_pdb', type: 'database', priv: 'CONNECT,TEMP', role: 'rmpg_app' }), st)).to.deep.equal([])
  })

  it('ALL_IN_SCHEMA: grants only on the tables that lack it', () => {
    const st = rec('privsTablesAll', undefined)
    const a = args({ database: 'rmpg_pdb', objs: 'ALL_IN_SCHEMA', privs: 'SELECT', roles: 'rmpg_reader' })
    const ch = plan(a, st)
    expect(sqlOf(ch[0]!)).to.equal('GRANT SELECT ON TABLE "public"."qt" TO "rmpg_reader";\n')
    expect(ch[0]!.summary).to.equal('grant SELECT on table public.qt to rmpg_reader')
    idempotent(a, st)
  })

  it('revokes only what is held; PUBLIC is a keyword, not a role', () => {
    const st = rec('privsTablesSome', ['t1'])
    const a = args({ database: 'rmpg_pdb', objs: 't1', privs: 'SELECT,INSERT', roles: 'rmpg_reader,PUBLIC', state: 'absent' })
    const ch = plan(a, st)
    expect(sqlOf(ch[0]!)).to.equal('REVOKE SELECT ON TABLE "public"."t1" FROM "rmpg_reader";\n')
    idempotent(a, st)
  })

  it('grant_option: true keeps an option that is there; false revokes it', () => {
    const st = rec('privsSequence', ['t1_id_seq'])
    expect(plan(args({ database: 'rmpg_pdb', type: 'sequence', objs: 't1_id_seq', privs: 'USAGE', roles: 'rmpg_app', grant_option: true }), st)).to.deep.equal(
      [],
    )
    const a = args({ database: 'rmpg_pdb', type: 'sequence', objs: 't1_id_seq', privs: 'USAGE', roles: 'rmpg_app', grant_option: false })
    const ch = plan(a, st)
    expect(sqlOf(ch[0]!)).to.equal('REVOKE GRANT OPTION FOR USAGE ON SEQUENCE "public"."t1_id_seq" FROM "rmpg_app";\n')
    expect(ch[0]!.diff).to.deep.equal({ before: 'sequence public.t1_id_seq\n  rmpg_app: USAGE*\n', after: 'sequence public.t1_id_seq\n  rmpg_app: USAGE\n' })
    idempotent(a, st)
    // a missing privilege with grant option
    const b = args({ database: 'rmpg_pdb', type: 'sequence', objs: 't1_id_seq', privs: 'SELECT,USAGE', roles: 'rmpg_app', grant_option: true })
    expect(sqlOf(plan(b, st)[0]!)).to.equal('GRANT SELECT ON SEQUENCE "public"."t1_id_seq" TO "rmpg_app" WITH GRANT OPTION;\n')
  })

  it('functions are named in GRANT by the signature the server printed', () => {
    const st = rec('privsFunction', ['add1(int,int)'])
    const a = args({ database: 'rmpg_pdb', type: 'function', objs: 'add1(int:int)', privs: 'EXECUTE', roles: 'PUBLIC', state: 'absent' })
    expect(plan(a, st)).to.deep.equal([])
    const withPublic = { ...st, objects: [{ ...st.objects[0]!, acl: [...st.objects[0]!.acl, ['PUBLIC', 'EXECUTE', false] as AclEntry] }] }
    expect(sqlOf(plan(a, withPublic)[0]!)).to.equal('REVOKE EXECUTE ON FUNCTION public.add1(a integer, b integer) FROM PUBLIC;\n')
  })

  it('schemas and group membership', () => {
    const sch = rec('privsSchema', ['s1', 'public'])
    // The probe for objs=s1 reads s1 only.
    const s1 = { ...sch, objects: sch.objects.filter((o) => o.name === 's1') }
    expect(plan(args({ database: 'rmpg_pdb', type: 'schema', objs: 's1', privs: 'USAGE', roles: 'rmpg_app,rmpg_reader' }), s1)).to.deep.equal([])
    const c = args({ database: 'rmpg_pdb', type: 'schema', objs: 's1,public', privs: 'CREATE', roles: 'rmpg_app' })
    expect(sqlOf(plan(c, sch)[0]!)).to.equal('GRANT CREATE ON SCHEMA "public" TO "rmpg_app";\nGRANT CREATE ON SCHEMA "s1" TO "rmpg_app";\n')
    idempotent(c, sch)
    const grp = rec('privsGroup', ['rmpg_app'])
    expect(plan(args({ database: 'rmpg_pdb', type: 'group', objs: 'rmpg_app', roles: 'rmpg_reader' }), grp)).to.deep.equal([])
    const off = args({ database: 'rmpg_pdb', type: 'group', objs: 'rmpg_app', roles: 'rmpg_reader', state: 'absent' })
    expect(sqlOf(plan(off, grp)[0]!)).to.equal('REVOKE "rmpg_app" FROM "rmpg_reader";\n')
    idempotent(off, grp)
    expect(sqlOf(plan(args({ database: 'rmpg_pdb', type: 'group', objs: 'rmpg_app', roles: 'rmpg_reader', admin_option: true }), grp)[0]!)).to.equal(
      'GRANT "rmpg_app" TO "rmpg_reader" WITH ADMIN OPTION;\n',
    )
  })

  it('a missing role or object fails a real run, is "may change" in check mode; fail_on_role: false skips the role', () => {
    const st = rec('privsDatabase', ['rmpg_pdb'])
    const a = args({ database: 'rmpg_pdb', type: 'database', privs: 'CONNECT', roles: 'rmpg_nobody' })
    expect(() => plan(a, st)).to.throw(ModuleFailure, /role rmpg_nobody does not exist/)
    const ch = plan(a, st, check)
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.equal('grant CONNECT on database rmpg_pdb to rmpg_nobody — role rmpg_nobody does not exist')
    expect(plan(args({ database: 'rmpg_pdb', type: 'database', privs: 'CONNECT', roles: 'rmpg_nobody,rmpg_app', fail_on_role: false }), st)).to.deep.equal([])
    const some = rec('privsTablesSome', ['t1', 'nosuch'])
    expect(() => plan(args({ database: 'rmpg_pdb', objs: 't1,nosuch', privs: 'SELECT', roles: 'rmpg_reader' }), some)).to.throw(
      ModuleFailure,
      /table nosuch not found in schema public in database rmpg_pdb/,
    )
    expect(
      plan(args({ database: 'rmpg_pdb', objs: 't1,nosuch', privs: 'SELECT', roles: 'rmpg_reader', state: 'absent' }), some).map((c) => c.summary),
    ).to.deep.equal(['revoke SELECT on table public.t1 from rmpg_reader'])
    expect(() => plan(args({ database: 'rmpg_pdb', objs: 't1', privs: 'SELECT', roles: 'rmpg_nobody', state: 'absent' }), some, check)).to.throw(
      ModuleFailure,
      /role rmpg_nobody does not exist/,
    )
    const noDb = parsePrivState(PG.roleNoDatabase!, ['rmpg_nodb'])
    expect(() => plan(args({ database: 'rmpg_nodb', type: 'database', privs: 'ALL', roles: 'x' }), noDb)).to.throw(/database "rmpg_nodb" does not exist/)
    expect(plan(args({ database: 'rmpg_nodb', type: 'database', privs: 'ALL', roles: 'x' }), noDb, check)[0]!.summary).to.match(
      /^grant ALL on database rmpg_nodb to x — cannot read the server now/,
    )
  })
})

describe('modules/postgres_privs: arguments', () => {
  const problems = (input: Record<string, unknown>) => postgresPrivs.validate!(checkArgs(postgresPrivs.args, input, true).args as never)
  it('privileges must fit the type', () => {
    expect(problems({ database: 'd', type: 'database', privs: 'SELECT', roles: 'r' })).to.deep.equal([
      "privilege 'SELECT' does not apply to type=database (use CREATE, CONNECT, TEMPORARY, ALL)",
    ])
    expect(problems({ database: 'd', type: 'schema', objs: 's', roles: 'r' })).to.deep.equal(['privs is required for type=schema'])
    expect(problems({ database: 'd', type: 'group', objs: 'g', privs: 'ALL', roles: 'r' })).to.deep.equal([
      'privs cannot be used with type=group (objs are the groups, roles their members)',
    ])
  })
  it('objects: required but for databases; ALL_IN_SCHEMA only for tables, sequences, functions; function signatures', () => {
    expect(problems({ database: 'd', privs: 'SELECT', roles: 'r' })).to.deep.equal(['objs is required for type=table'])
    expect(problems({ database: 'd', type: 'schema', objs: 'ALL_IN_SCHEMA', privs: 'USAGE', roles: 'r' })).to.deep.equal([
      'objs=ALL_IN_SCHEMA only applies to type table, sequence or function',
    ])
    expect(problems({ database: 'd', type: 'function', objs: 'f(int); DROP TABLE x', privs: 'EXECUTE', roles: 'r' })).to.deep.equal([
      "function 'f(int); DROP TABLE x' must look like name(argtype:argtype)",
    ])
    expect(problems({ database: 'd', type: 'function', objs: 'f(int:text),g()', privs: 'EXECUTE', roles: 'r' })).to.deep.equal([])
    expect(problems({ database: 'd', type: 'database', schema: 'x', privs: 'ALL', roles: 'r' })).to.deep.equal([
      'schema only applies to type table, sequence or function (for type=schema name the schema in objs)',
    ])
  })
  it('schema: database and roles required; password is the login password and secret', () => {
    expect(checkArgs(postgresPrivs.args, {}, false).problems.map((p) => p.message)).to.deep.equal([
      "missing required argument 'database'",
      "missing required argument 'roles'",
    ])
    const a = checkArgs(postgresPrivs.args, { db: 'd', role: 'a, b', password: 'pw', objs: 't1,t2' }, false).args
    expect(a).to.deep.include({ database: 'd', roles: ['a', 'b'], login_password: 'pw', objs: ['t1', 't2'] })
    expect(postgresPrivs.args.options.login_password!.noLog).to.equal(true)
  })
  it('MAINTAIN is a table privilege from PostgreSQL 17', () => {
    expect(parsePrivs('table', 'ALL', 150000).privs).to.not.include('MAINTAIN')
    expect(parsePrivs('table', 'ALL', 170000).privs).to.include('MAINTAIN')
  })
})
