// The postgres probes' parsers on outputs recorded on a lab host, and the SQL they send.
import { expect } from 'chai'
import { databaseSql, parseDatabaseState, parsePrivState, parseRoleState, privSql, roleProbe, roleSql } from '../../../src/probes/postgres.js'
import { PG } from './postgres-recorded.js'

const peer = { login_user: 'postgres', login_port: 5432, ssl_mode: 'prefer' }

describe('probes/postgres: roles', () => {
  it('a role with a SCRAM password, read by a superuser', () => {
    const r = parseRoleState(PG.roleWithPassword!)
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.superuser).to.equal(true)
    expect(r.role).to.deep.include({
      name: 'rmpg_rec',
      superuser: false,
      createdb: true,
      login: true,
      conn_limit: 5,
      valid_until: '2030-01-01 00:00:00+00',
      expires_same: true,
      comment: 'recorded role',
    })
    expect(r.role!.password).to.match(/^SCRAM-SHA-256\$4096:/)
    expect(r.role).to.not.have.property('password_readable')
  })
  it('md5 password, no password, no role', () => {
    const md5 = parseRoleState(PG.roleMd5!)
    expect(md5.ok && md5.role!.password).to.equal('md595a1d6a5a0b5d7eb0e53e32e715824af')
    const none = parseRoleState(PG.roleNoLogin!)
    expect(none.ok && none.role!.password).to.equal(null)
    expect(none.ok && none.role!.login).to.equal(false)
    expect(parseRoleState(PG.roleAbsent!)).to.deep.equal({ ok: true, superuser: true, role: null })
  })
  it('read by a non-superuser: the password is unknown (undefined), not "none"', () => {
    const r = parseRoleState(PG.roleAsNonSuperuser!)
    expect(r.ok && r.superuser).to.equal(false)
    expect(r.ok && r.role).to.not.have.property('password')
  })
  it('failures become { ok: false, error } with the cause', () => {
    const cases: [string, RegExp][] = [
      ['roleWrongPassword', /password authentication failed for user "rmpg_rec"/],
      ['roleNoDatabase', /database "rmpg_nodb" does not exist/],
      ['roleNoPsql', /hint: is the postgresql client installed/],
      ['roleServerStopped', /hint: is the PostgreSQL server running/],
    ]
    for (const [k, re] of cases) {
      const r = parseRoleState(PG[k]!)
      expect(r.ok, k).to.equal(false)
      if (!r.ok) expect(r.error, k).to.match(re)
    }
  })
  it('garbage is an error of the probe, not a state', () => {
    expect(() => parseRoleState({ stdout: 'hello\n', code: 0 })).to.throw(/no JSON/)
  })
  it('the SQL: values are literals, the password column only for superusers, expiry compared by the server', () => {
    const sql = roleSql("o'brien", '2030-01-01')
    expect(sql).to.include("WHERE r.rolname = E'o''brien'")
    expect(sql).to.include("(r.rolvaliduntil IS NOT DISTINCT FROM E'2030-01-01'::timestamptz)")
    expect(sql).to.match(/\\if :rmp_super\n\\set rmp_pw 'a.rolpassword'/)
    expect(roleSql('x')).to.include("'expires_same', NULL::boolean")
    expect(roleProbe(peer, 'postgres', 'x').id).to.not.equal(roleProbe(peer, 'postgres', 'x', 'infinity').id)
  })
})

describe('probes/postgres: databases', () => {
  it('present, with the asked-about roles that exist', () => {
    expect(parseDatabaseState(PG.dbPresent!)).to.deep.equal({
      ok: true,
      db: { name: 'rmpg_pdb', owner: 'postgres', encoding: 'UTF8', lc_collate: 'C.UTF-8', lc_ctype: 'C.UTF-8', conn_limit: -1, tablespace: 'pg_default' },
      target: false,
      roles: ['rmpg_app'],
    })
  })
  it('absent, with a rename target that exists', () => {
    expect(parseDatabaseState(PG.dbAbsent!)).to.deep.equal({ ok: true, db: null, target: true, roles: [] })
  })
  it('the SQL quotes the names', () => {
    expect(databaseSql('a"b', "t'x", ['r'])).to.include(`WHERE d.datname = E'a"b'`)
    expect(databaseSql('a"b', "t'x", ['r'])).to.include(`WHERE datname = E't''x'`)
  })
})

describe('probes/postgres: privileges', () => {
  it('a database ACL, as aclexplode lists it (PUBLIC for grantee 0)', () => {
    const r = parsePrivState(PG.privsDatabase!, ['rmpg_pdb'])
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.serverVersion).to.equal(150020)
    expect(r.roles).to.deep.equal(['rmpg_app', 'rmpg_reader'])
    expect(r.missing).to.deep.equal([])
    expect(r.objects[0]!.acl).to.deep.include.members([
      ['PUBLIC', 'CONNECT', false],
      ['rmpg_app', 'CREATE', false],
    ])
  })
  it('ALL_IN_SCHEMA lists what is there; named objects that are not are "missing"', () => {
    const all = parsePrivState(PG.privsTablesAll!, undefined)
    expect(all.ok && all.objects.map((o) => o.name)).to.deep.equal(['qt', 't1', 't2'])
    expect(all.ok && all.missing).to.deep.equal([])
    const some = parsePrivState(PG.privsTablesSome!, ['t1', 'nosuch'])
    expect(some.ok && some.missing).to.deep.equal(['nosuch'])
  })
  it("grant option, functions by the server's signature, group membership", () => {
    const seq = parsePrivState(PG.privsSequence!, ['t1_id_seq'])
    expect(seq.ok && seq.objects[0]!.acl).to.deep.include(['rmpg_app', 'USAGE', true])
    const fn = parsePrivState(PG.privsFunction!, ['add1(int,int)'])
    expect(fn.ok && fn.objects[0]).to.deep.include({ name: 'add1(int,int)', ident: 'public.add1(a integer, b integer)' })
    const grp = parsePrivState(PG.privsGroup!, ['rmpg_app'])
    expect(grp.ok && grp.objects[0]!.acl).to.deep.equal([['rmpg_reader', 'MEMBER', false]])
  })
  it('the SQL reads the default ACL when there is none, and quotes the names', () => {
    const sql = privSql('table', ["t'1"], 'my schema', ['r"1'])
    expect(sql).to.include("aclexplode(coalesce(c.relacl, acldefault('r', c.relowner)))")
    expect(sql).to.include("n.nspname = E'my schema'")
    expect(sql).to.include("c.relname = ANY (ARRAY[E't''1']::text[])")
    expect(sql).to.include(`rolname = ANY (ARRAY[E'r"1']::text[])`)
    expect(privSql('database', ['d'], 'public', [])).to.include("acldefault('d', d.datdba)")
    expect(privSql('sequence', undefined, 'public', [])).to.include("c.relkind IN ('S')")
  })
})
