// What all postgres_* modules rely on: SQL quoting, and how psql is started — SQL and passwords on
// stdin, never on a command line; peer authentication through runuser; readable errors.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  clientCommand,
  connKey,
  explainPsqlError,
  psqlProbeScript,
  psqlStep,
  quoteIdent,
  quoteLiteral,
  splitProbeOutput,
  type PgConnArgs,
} from '../../../src/modules/postgres-common.js'

const peer: PgConnArgs = { login_user: 'postgres', login_port: 5432, ssl_mode: 'prefer' }
const tcp: PgConnArgs = { login_user: 'app', login_password: "pa ss'wd$(x)", login_host: 'db.example', login_port: 5433, ssl_mode: 'require' }

describe('modules/postgres-common: quoting', () => {
  const cases: [string, string, string][] = [
    ['plain', '"plain"', "E'plain'"],
    ['Mixed Case', '"Mixed Case"', "E'Mixed Case'"],
    ['a"b', '"a""b"', `E'a"b'`],
    ["it's", `"it's"`, "E'it''s'"],
    ['back\\slash', '"back\\slash"', "E'back\\\\slash'"],
    ["x'; DROP ROLE postgres; --", `"x'; DROP ROLE postgres; --"`, "E'x''; DROP ROLE postgres; --'"],
    ['two\nlines', '"two\nlines"', "E'two\\nlines'"],
  ]
  for (const [v, ident, lit] of cases) {
    it(`quotes ${JSON.stringify(v)}`, () => {
      expect(quoteIdent(v)).to.equal(ident)
      expect(quoteLiteral(v)).to.equal(lit)
    })
  }
  it('refuses NUL, which PostgreSQL cannot store', () => {
    expect(() => quoteIdent('a\0b')).to.throw(/NUL/)
    expect(() => quoteLiteral('a\0b')).to.throw(/NUL/)
  })
  it('literals never hold a line break: here-docs of generated SQL cannot be cut short', () => {
    expect(quoteLiteral('a\nRMP_SQL\nb')).to.not.include('\n')
  })
})

describe('modules/postgres-common: running psql', () => {
  it('peer authentication: as the login user through runuser when root, directly otherwise', () => {
    const s = clientCommand(peer, 'my db').text
    expect(s).to.include('rmp_u=postgres')
    expect(s).to.include('then set -- runuser -u "$rmp_u" --; else set --; fi')
    expect(s).to.include(`"$@" env 'PGDATABASE=my db' PGUSER=postgres PGPORT=5432 PGSSLMODE=prefer`)
    expect(s).to.not.include('PGHOST')
    expect(s).to.not.include('PGPASSWORD')
  })
  it('a probe carries its SQL in a quoted here-doc (base64) and reports psql errors after a marker', () => {
    const s = psqlProbeScript(peer, 'postgres', "SELECT E'$HOME `x`';").text
    expect(s).to.include(`<<'RMP_SQL' | rmp_psql 2>"$rmp_err"\n${Buffer.from("SELECT E'$HOME `x`';").toString('base64')}\nRMP_SQL`)
    expect(s).to.not.match(/psql[^\n]* -c /)
    expect(splitProbeOutput('\n@@RMP_PSQL_ERROR@@\npsql: error: boom\n', 2)).to.deep.equal({ data: '', error: 'psql: error: boom\n' })
    expect(splitProbeOutput('{"a":1}\n', 0)).to.deep.equal({ data: '{"a":1}\n' })
  })
  it('a step sends the password as the first line of stdin, then the SQL; marked secret', () => {
    const st = psqlStep(tcp, 'appdb', 'SELECT 1;\n', { singleTransaction: true })
    expect(st.stdin).to.equal("pa ss'wd$(x)\nSELECT 1;\n")
    expect(st.secret).to.equal(true)
    expect(st.script.text).to.not.include('pa ss')
    expect(st.script.text).to.include('IFS= read -r PGPASSWORD || exit 1')
    expect(st.script.text).to.include('PGHOST=db.example')
    expect(st.script.text).to.match(/ -1$/)
    const withRole = psqlStep({ ...peer, session_role: 'owner x' }, 'd', 'SELECT 1;\n')
    expect(withRole.stdin).to.equal('SET ROLE "owner x";\nSELECT 1;\n')
    expect(withRole.secret).to.equal(undefined)
  })
  it('really: a shell gives the client the password in its environment and the SQL on stdin, neither in argv', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-pg-'))
    // A stand-in client that reports what it was given.
    writeFileSync(join(dir, 'rmp-fake-psql'), '#!/bin/sh\necho "argv=$*"\necho "pw=$PGPASSWORD"\necho "db=$PGDATABASE"\necho "stdin=$(cat)"\n')
    chmodSync(join(dir, 'rmp-fake-psql'), 0o755)
    const c = { ...tcp, login_password: "pa ss'wd$(x)" }
    const script = clientCommand(c, "d'b", { password: 'stdin', program: ['rmp-fake-psql', '-X'] })
    const out = execFileSync('/bin/sh', ['-c', script.text], { input: "pa ss'wd$(x)\nSELECT 42;\n", env: { PATH: `${dir}:/usr/bin:/bin` } }).toString()
    expect(out).to.equal("argv=-X\npw=pa ss'wd$(x)\ndb=d'b\nstdin=SELECT 42;\n")
  })
  it('probe ids name everything the script depends on, but not the password', () => {
    expect(connKey(tcp, 'x')).to.not.include('pa ss')
    expect(connKey(tcp, 'x')).to.not.equal(connKey({ ...tcp, login_password: 'other' }, 'x'))
    expect(connKey(tcp, 'x')).to.not.equal(connKey(tcp, 'y'))
    expect(connKey(peer, 'x')).to.not.equal(connKey({ ...peer, login_port: 5433 }, 'x'))
  })
  it('explains the usual failures', () => {
    expect(explainPsqlError('env: ‘psql’: No such file or directory\n')).to.match(/client installed/)
    expect(
      explainPsqlError(
        'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n',
      ),
    ).to.match(/server running/)
    expect(
      explainPsqlError('could not change directory to "/root": Permission denied\npsql: error: FATAL:  Peer authentication failed for user "postgres"\n', peer),
    ).to.equal(
      'psql: error: FATAL:  Peer authentication failed for user "postgres"\nhint: peer authentication needs the task to run as root or as the OS user \'postgres\' (become: true, or become_user: postgres)',
    )
  })
})
