// postgres_query: splitting SQL as psql does, arguments as psycopg renders them, and the rows read
// back from psql's framed csv output (recorded on a lab host) with their types.
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import {
  convertValue,
  parsePgArray,
  parseQueryOutput,
  planQuery,
  postgresQuery,
  queryChanged,
  queryResult,
  readCsv,
  statusChanged,
  splitStatements,
  sqlValue,
  substitute,
  token,
  type PostgresQueryArgs,
  type PreparedQuery,
} from '../../../src/modules/postgres-query.js'
import { ModuleFailure, type ExecStep, type StepOutput } from '../../../src/modules/types.js'
import { code } from '../../../src/shell/index.js'

// psql's output for RECORDED.sql, run by the module's own script on PostgreSQL 15.
const RECORDED = {
  sql: "CREATE TEMP TABLE t (id int, s text, j jsonb, b bool, n numeric, a text[], big bigint);\nINSERT INTO t VALUES (1, '', NULL, true, 1.50, ARRAY['x y', 'z,\"q\"'], 9007199254740993), (2, NULL, '{\"k\": 1}', false, NULL, NULL, 2) RETURNING id;\nUPDATE t SET s = 'u' WHERE id > 100;\nSELECT * FROM t ORDER BY id",
  tok: '2920b5000e34',
  out: '@@2920b5000e34/0/desc\nThe command has no result, or the result has no columns.\n@@2920b5000e34/0/exec\nCREATE TABLE\n@@2920b5000e34/0/end 0\n@@2920b5000e34/1/desc\nColumn,Type\nid,integer\n@@2920b5000e34/1/exec\nid\n1\n2\nINSERT 0 2\n@@2920b5000e34/1/end 2\n@@2920b5000e34/2/desc\nThe command has no result, or the result has no columns.\n@@2920b5000e34/2/exec\nUPDATE 0\n@@2920b5000e34/2/end 0\n@@2920b5000e34/3/desc\nColumn,Type\nid,integer\ns,text\nj,jsonb\nb,boolean\nn,numeric\na,text[]\nbig,bigint\n@@2920b5000e34/3/exec\nid,s,j,b,n,a,big\n1,,@@NULL2920b5000e34,t,1.50,"{""x y"",""z,\\""q\\""""}",9007199254740993\n2,@@NULL2920b5000e34,"{""k"": 1}",f,@@NULL2920b5000e34,@@NULL2920b5000e34,2\n@@2920b5000e34/3/end 2\n',
}

function prepared(input: Record<string, unknown>) {
  const { args, problems } = checkArgs(postgresQuery.args, input, false)
  expect(problems).to.deep.equal([])
  return postgresQuery.prepare!(args as PostgresQueryArgs, {} as never) as PreparedQuery
}

describe('modules/postgres_query: splitting statements', () => {
  const cases: [string, string[]][] = [
    ['SELECT 1', ['SELECT 1']],
    ['SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ["SELECT 'a;b'; SELECT 'it''s;'", ["SELECT 'a;b'", "SELECT 'it''s;'"]],
    ["SELECT E'\\';'; SELECT 2", ["SELECT E'\\';'", 'SELECT 2']],
    ['SELECT "a;b" FROM t; SELECT 2', ['SELECT "a;b" FROM t', 'SELECT 2']],
    [
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$; SELECT f()',
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$', 'SELECT f()'],
    ],
    ['DO $body$ BEGIN PERFORM 1; END $body$; SELECT 2', ['DO $body$ BEGIN PERFORM 1; END $body$', 'SELECT 2']],
    ['SELECT 1 -- a; comment\n; /* x; /* nested; */ y */ SELECT 2', ['SELECT 1 -- a; comment', '/* x; /* nested; */ y */ SELECT 2']],
    ['-- only a comment;\n;  ;', []],
    ['CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b); SELECT 1', ['CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)', 'SELECT 1']],
    ['SELECT $1, a$b$c FROM t; SELECT 2', ['SELECT $1, a$b$c FROM t', 'SELECT 2']],
    [
      'CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT x; END; SELECT f(1)',
      ['CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT x; END', 'SELECT f(1)'],
    ],
    ['BEGIN; SELECT CASE WHEN true THEN 1 END; COMMIT', ['BEGIN', 'SELECT CASE WHEN true THEN 1 END', 'COMMIT']],
    ["SELECT E'a;b', U&'c;d', x'0f'; SELECT 2", ["SELECT E'a;b', U&'c;d', x'0f'", 'SELECT 2']],
  ]
  for (const [sql, want] of cases) it(JSON.stringify(sql), () => expect(splitStatements(sql)).to.deep.equal(want))
  it('refuses psql meta-commands and unterminated quotes', () => {
    expect(() => splitStatements('SELECT 1;\n\\! rm -rf /')).to.throw(/meta-commands are not allowed/)
    expect(() => splitStatements("SELECT 'x")).to.throw(/unterminated quoted string/)
    expect(() => splitStatements('SELECT $q$ x')).to.throw(/unterminated dollar-quoted/)
    expect(splitStatements("SELECT '\\! not a command'")).to.deep.equal(["SELECT '\\! not a command'"])
  })
})

describe('modules/postgres_query: arguments', () => {
  it('values become literals', () => {
    expect(sqlValue("it's")).to.equal("E'it''s'")
    expect(sqlValue(5)).to.equal('5')
    expect(sqlValue(true)).to.equal('true')
    expect(sqlValue(null)).to.equal('NULL')
    expect(sqlValue([1, 'a'])).to.equal("ARRAY[1, E'a']")
    expect(sqlValue({ k: 1 })).to.equal(`E'{"k":1}'`)
  })
  it('placeholders, %%, and mismatches', () => {
    expect(substitute('SELECT %s, %s, 100%%', [1, "x'y"])).to.equal("SELECT 1, E'x''y', 100%")
    expect(substitute('SELECT %(a)s + %(a)s', undefined, { a: 2 })).to.equal('SELECT 2 + 2')
    expect(substitute('SELECT 100%%')).to.equal('SELECT 100%%')
    expect(() => substitute('SELECT %s, %s', [1])).to.throw(ModuleFailure, /more %s placeholders/)
    expect(() => substitute('SELECT %s', [1, 2])).to.throw(ModuleFailure, /1 %s placeholders but 2/)
    expect(() => substitute('SELECT %(b)s', undefined, { a: 1 })).to.throw(ModuleFailure, /named_args has no 'b'/)
  })
})

describe('modules/postgres_query: results', () => {
  it('csv records, quotes and line breaks included', () => {
    expect(readCsv('a,"b ""c""\nd",\n2,x\nrest', 0, 2)).to.deep.equal({
      records: [
        ['a', 'b "c"\nd', ''],
        ['2', 'x'],
      ],
      pos: 19,
    })
  })
  it('arrays and types', () => {
    expect(parsePgArray('{1,2,NULL}')).to.deep.equal(['1', '2', null])
    expect(parsePgArray('{"x y","z,\\"q\\"",NULL,"NULL"}')).to.deep.equal(['x y', 'z,"q"', null, 'NULL'])
    expect(parsePgArray('{{1,2},{3,4}}')).to.deep.equal([
      ['1', '2'],
      ['3', '4'],
    ])
    expect(parsePgArray('{}')).to.deep.equal([])
    expect(convertValue('{1,2}', 'integer[]')).to.deep.equal([1, 2])
    expect(convertValue('12', 'numeric(10,2)')).to.equal(12)
    expect(convertValue('NaN', 'numeric')).to.equal('NaN')
    expect(convertValue('t', 'boolean')).to.equal(true)
    expect(convertValue('{"a": [1]}', 'jsonb')).to.deep.equal({ a: [1] })
    expect(convertValue('9007199254740993', 'bigint')).to.equal('9007199254740993')
    expect(convertValue('2024-01-01 00:00:00+00', 'timestamp with time zone')).to.equal('2024-01-01 00:00:00+00')
  })
  it('the recorded run: rows by column with types, NULL apart from empty, status per statement', () => {
    const st = splitStatements(RECORDED.sql)
    expect(token(RECORDED.sql)).to.equal(RECORDED.tok)
    const r = parseQueryOutput(RECORDED.out, RECORDED.tok, st)
    expect(r.map((x) => [x.statusmessage, x.rowcount])).to.deep.equal([
      ['CREATE TABLE', 0],
      ['INSERT 0 2', 2],
      ['UPDATE 0', 0],
      ['SELECT 2', 2],
    ])
    expect(r[1]!.rows).to.deep.equal([{ id: 1 }, { id: 2 }])
    expect(r[3]!.rows).to.deep.equal([
      { id: 1, s: '', j: null, b: true, n: 1.5, a: ['x y', 'z,"q"'], big: '9007199254740993' },
      { id: 2, s: null, j: { k: 1 }, b: false, n: null, a: null, big: 2 },
    ])
  })
  it("what register gets: the last statement's rows, all results, rowcount by as_single_query", async () => {
    const p = prepared({ query: RECORDED.sql, as_single_query: false })
    const out: StepOutput = { step: { kind: 'exec', script: code('') }, code: 0, stdout: RECORDED.out, stderr: '' }
    const res = queryResult(p, [out])
    expect(res.statusmessage).to.equal('SELECT 2')
    expect(res.rowcount).to.equal(4)
    expect((res.query_all_results as unknown[]).length).to.equal(4)
    expect(res.query_list).to.have.length(4)
    expect(res).to.have.property('stdout', undefined)
    const single = queryResult(prepared({ query: RECORDED.sql }), [out])
    expect(single.rowcount).to.equal(2)
    expect(single.query_result).to.deep.equal(res.query_result)
  })
})

describe('modules/postgres_query: changed, as Ansible reads the status', () => {
  const cases: [string, boolean][] = [
    ['SELECT 2', false],
    ['SELECT 0', false],
    ['INSERT 0 1', true],
    ['INSERT 0 0', false],
    ['UPDATE 0', false],
    ['UPDATE 3', true],
    ['DELETE 0', false],
    ['DELETE 1', true],
    ['CREATE TABLE', true],
    ['SET', true],
    ['COPY 2', true],
    ['', true],
  ]
  for (const [status, changed] of cases) it(`${JSON.stringify(status)} → ${changed}`, () => expect(statusChanged(status)).to.equal(changed))
  it('the last statement decides (Ansible runs the query as one); a step that did not reach the server cannot tell', () => {
    const p = prepared({ query: RECORDED.sql })
    const out = (stdout: string, c = 0): StepOutput => ({ step: { kind: 'exec', script: code('') }, code: c, stdout, stderr: '' })
    expect(queryChanged(p, [out(RECORDED.out)])).to.equal(false)
    const upd = prepared({ query: RECORDED.sql.slice(0, RECORDED.sql.lastIndexOf(';')) })
    const cut = RECORDED.out.slice(0, RECORDED.out.indexOf(`@@${RECORDED.tok}/3/`)).replaceAll(RECORDED.tok, token(upd.sql))
    expect(queryChanged(upd, [out(cut)])).to.equal(false)
    expect(queryChanged(p, [out('', 2)])).to.equal(undefined)
  })
})

describe('modules/postgres_query: plan', () => {
  it('check mode runs the SQL in a transaction that is rolled back; with autocommit it fails, as in Ansible', () => {
    const ch = planQuery(prepared({ db: 'app', query: 'UPDATE t SET x = 1' }))
    const dry = ch[0]!.checkSteps![0] as ExecStep
    expect(dry.script.text).to.not.match(/ -1 /)
    expect(dry.stdin)
      .to.match(/^BEGIN;\n\\echo @@[0-9a-f]{12}\/0\/desc\nUPDATE t SET x = 1\n/)
      .and.match(/\nROLLBACK;\n$/)
    expect(dry.okCodes).to.not.include(3)
    const auto = planQuery(prepared({ query: 'VACUUM', autocommit: true }))
    expect((auto[0]!.checkSteps![0] as ExecStep).script.text).to.include('Using autocommit is mutually exclusive with check_mode')
  })
  it('a change decided after it ran ("would run" before); one transaction unless autocommit', async () => {
    const ch = planQuery(prepared({ db: 'app', query: 'UPDATE t SET x = %s WHERE id = %s', positional_args: ['a', 3] }))
    expect(ch).to.have.length(1)
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.equal("run SQL on app: UPDATE t SET x = E'a' WHERE id = 3")
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.script.text).to.match(/ --csv -1 -P null=@@NULL[0-9a-f]{12}$/)
    expect(step.stdin).to.match(/^\\echo @@[0-9a-f]{12}\/0\/desc\nUPDATE t SET x = E'a' WHERE id = 3\n\\gdesc\n/)
    const auto = planQuery(prepared({ query: 'CREATE INDEX CONCURRENTLY i ON t (x)', autocommit: true, search_path: ['app', 'public'] }))
    const s2 = auto[0]!.steps[0] as ExecStep
    expect(s2.script.text).to.not.match(/ -1 /)
    expect(s2.stdin).to.match(/^SET search_path TO "app", "public";\n/)
    expect(auto[0]!.summary).to.equal('run SQL on postgres (autocommit): CREATE INDEX CONCURRENTLY i ON t (x)')
  })
  it('rejects at load time: empty queries, meta-commands, args given twice', () => {
    const v = (input: Record<string, unknown>) => postgresQuery.validate!(checkArgs(postgresQuery.args, input, true).args as never)
    expect(v({ query: ' -- nothing\n' })).to.deep.equal(['the query is empty'])
    expect(v({ query: 'SELECT 1; \\c other' })).to.have.length(1)
    expect(v({ query: 'SELECT %s', positional_args: [1] })).to.deep.equal([])
    expect(checkArgs(postgresQuery.args, { query: 'x', positional_args: [1], named_args: { a: 1 } }, false).problems[0]!.message).to.equal(
      "arguments 'positional_args' and 'named_args' are mutually exclusive",
    )
  })
})
