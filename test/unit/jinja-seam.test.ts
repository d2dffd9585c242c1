// rm-play's expression API (expression.ts) answered by src/jinja, with Ansible's meaning, omit,
// lazy views, undefined names and taint of values computed from secrets.
import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import {
  evaluate,
  evaluateCondition,
  ExpressionError,
  notFound,
  OMIT,
  renderString,
  renderValue,
  UndefinedVariableError,
} from '../../src/playbook/expression.js'
import { renderConcat } from '../../src/jinja/concat.js'
import { SETTLE } from '../../src/playbook/lazy-view.js'
import { currentRun } from '../../src/playbook/run-context.js'
import { MASK, maskString } from '../../src/report/mask.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { play } from '../helpers/run-playbook.js'

const fresh = (tag: string) => `${tag}-${randomBytes(6).toString('hex')}`
const source = (vars: Record<string, unknown>) => ({ lookup: (k: string) => (k in vars ? vars[k] : notFound) })

describe('jinja seam: rm-play expressions through src/jinja', function () {
  const src = source({ a: 7, xs: [], d: {}, port: '8080', item: ['p', 'q'], s: 'webserver' })

  it("gives the issue's table Ansible's answers", function () {
    expect(renderString('{{ a // 2 + 100 }}', src)).to.equal('103')
    expect(evaluateCondition('not xs', src)).to.equal(true)
    expect(evaluateCondition('not d', src)).to.equal(true)
    expect(renderString('{{ [1, 2] + [3] }}', src)).to.deep.equal([1, 2, 3])
    expect(evaluateCondition('port == 8080', src)).to.equal(false)
    expect(() => renderString('{{ port + 1 }}', src)).to.throw()
    expect(renderString("{{ '%s-%d' % ('web', 1) }}", src)).to.equal('web-1')
    expect(renderString("{{ s.startswith('web') }}", src)).to.equal(true)
    expect(renderString('{{ item.0 }}-{{ range(3) | list }}', src)).to.equal('p-[0, 1, 2]')
    expect(renderString('{% if a > 3 %}big{% else %}small{% endif %}', src)).to.equal('big')
  })

  it('removes a key whose value is omit, and keeps a lone variable its type', function () {
    const out = renderValue({ mode: '{{ a }}', owner: '{{ nope | default(omit) }}', list: ['{{ omit }}', 'x'] }, src)
    expect(out).to.deep.equal({ mode: 7, list: ['x'] })
    expect(renderValue('{{ xs }}', src)).to.deep.equal([])
    expect(evaluate('xs', src)).to.deep.equal([])
    void OMIT
  })

  it('names an undefined variable with the error type the engine expects', function () {
    expect(() => renderString('{{ nope }}', src)).to.throw(UndefinedVariableError, /nope/)
    expect(() => evaluateCondition('nope.x', src)).to.throw(UndefinedVariableError, /nope/)
    expect(evaluateCondition('nope.x is not defined', src)).to.equal(true)
  })

  it('reads hostvars[h].x alone; settles the whole lazy view only when it is used whole', function () {
    let settled = 0
    const reads: string[] = []
    const web1 = new Proxy({ role: 'db', secret_ish: 'x' } as Record<string, unknown>, {
      get: (t, k) => (typeof k === 'string' && reads.push(k), t[k as string]),
    })
    const view = { web1, [SETTLE]: () => (settled++, { web1: { role: 'db', secret_ish: 'x' } }) }
    const src = source({ hostvars: view, h: 'web1' })
    expect(renderString("{{ hostvars['web1'].role }} {{ hostvars[h]['role'] }}", src)).to.equal('db db')
    expect(renderString("{{ hostvars['web2'].role | default('none') }} {{ hostvars[h].nope is defined }}", src)).to.equal('none False')
    expect(() => renderString('{{ hostvars.web1.role }} {{ hostvars[h].nope }}', src)).to.throw(UndefinedVariableError, /hostvars\['web1'\]\.nope/)
    expect(settled).to.equal(1) // hostvars.web1: used whole
    expect(reads.filter((k) => k === 'secret_ish')).to.deep.equal([])
    expect(renderString("{{ hostvars | dict2items | map(attribute='key') | list }}", src)).to.deep.equal(['web1'])
    expect(settled).to.equal(2)
  })

  it('runs a playbook written in Jinja-only forms end to end (local connection), and a syntax error stops it at load', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-seam-'))
    const inv = join(dir, 'hosts')
    writeFileSync(inv, 'h1 ansible_connection=local\n')
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars:\n    xs: [3, 4, 5]\n    name: web\n  tasks:\n` +
        `    - debug: { msg: "{{ '%s-%02d' % (name, xs[1:] | length) }} {% if xs %}full{% else %}empty{% endif %} {{ xs[-1] // 2 }}" }\n` +
        `    - debug: { msg: skipped }\n      when: not xs\n`,
      { inventory: [inv] },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results().map((e) => e.msg)).to.deep.equal(['web-02 full 2', undefined])
    expect(r.results().map((e) => e.status)).to.deep.equal(['ok', 'skipped'])
    const bad = await play(`- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ 1 + }}" }\n`, { inventory: [inv] }).catch((e: Error) => e)
    expect(String(bad instanceof Error ? bad.message : (bad as { text: string }).text)).to.match(/bad expression|syntax/)
  })

  it('at run time an undefined variable names itself, the task and file:line, and the nearest defined name', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-seam-'))
    const inv = join(dir, 'hosts')
    writeFileSync(inv, 'h1 ansible_connection=local\n')
    // `app_nmae` is set by an include_vars the loader cannot see through, so the run finds it
    const run = (expr: string) =>
      play(
        `- hosts: all\n  gather_facts: false\n  vars:\n    app_name: web\n    conf: { port: 80 }\n  tasks:\n` +
          `    - include_vars: { file: "{{ 'none.yml' if false else 'x.yml' }}" }\n      ignore_errors: true\n` +
          `    - debug: { msg: "{{ ${expr} }}" }\n`,
        { inventory: [inv] },
      )
    const typo = await run('app_nmae')
    expect(typo.exitCode).to.equal(2)
    expect(String(typo.results()[1]!.msg)).to.match(/undefined variable 'app_nmae' in task debug.*site\.yml:9:7\); did you mean 'app_name'\?/)
    const attr = await run('conf.prot')
    expect(String(attr.results()[1]!.msg)).to.match(/undefined variable 'conf\.prot' in task .*site\.yml:9:7\); did you mean 'conf\.port'\?/)
    const far = await run('zzz_nothing_like_it')
    expect(String(far.results()[1]!.msg))
      .to.match(/undefined variable 'zzz_nothing_like_it' in task .*site\.yml:9:7\)/)
      .and.not.to.match(/did you mean/)
  })

  it("trust: no expression reaches the controller's JavaScript (constructors, prototypes, process)", function () {
    const escapes = [
      "({}).constructor.constructor('return process')()",
      "''.constructor.constructor('return process')()",
      '[].constructor.constructor("return this")().process.exit(3)',
      "x.__proto__.constructor.constructor('return process')()",
      "lookup('pipe', 'true') if false else (x | attr('constructor'))",
      "(x | map(attribute='constructor') | list)[0]('return process')()",
    ]
    const src = source({ x: { a: 1 } })
    for (const e of escapes) {
      let result: unknown
      try {
        result = evaluate(e, src)
      } catch (err) {
        result = err
      }
      // an error, or a value that is data: never a function, never the process object
      expect(typeof result, e).not.to.equal('function')
      expect(String(result instanceof Error ? result.message : JSON.stringify(result)), e).not.to.match(/\bpid\b|versions|\[native code\]/)
    }
    expect(() => evaluate("({}).constructor.constructor('return process')()", src)).to.throw(ExpressionError)
  })

  it("random: Ansible's ranges and choices; with a seed, the same pick every run", function () {
    const src = source({ xs: ['a', 'b', 'c'], h: 'web1' })
    for (let i = 0; i < 50; i++) {
      expect(['a', 'b', 'c']).to.include(evaluate('xs | random', src))
      expect(Number(evaluate('10 | random(start=5, step=2)', src))).to.be.oneOf([5, 7, 9])
      expect(Number(evaluate('3 | random', src))).to.be.oneOf([0, 1, 2])
    }
    expect(evaluate('60 | random(seed=h)', src)).to.equal(evaluate('60 | random(seed=h)', src))
    expect(() => evaluate('[] | random', src)).to.throw(/empty sequence/)
  })

  describe('trust 22 with Jinja forms: a value computed from a secret is a secret', function () {
    const pw = `Pa-${fresh('x')}`
    currentRun().secrets.add(pw)
    const sec = source({ pw, users: [{ name: 'alice-the-user', password: pw }], port: 5432 })
    const leaks = (v: unknown) => maskString(typeof v === 'string' ? v : JSON.stringify(v), currentRun().secrets)
    const derived: [string, string][] = [
      ['pw | upper', pw.toUpperCase()],
      ['pw | b64encode', Buffer.from(pw).toString('base64')],
      ['pw[2:9]', pw.slice(2, 9)],
      ["pw | regex_replace('-', '_')", pw.replace(/-/g, '_')],
      ["'x' ~ pw ~ 'y'", `x${pw}y`],
      ["pw | reverse | join('')", [...pw].reverse().join('')],
      ["users | map(attribute='password') | map('upper') | list", pw.toUpperCase()],
    ]
    for (const [expr, value] of derived) {
      it(`trust 22: {{ ${expr} }} is masked wherever it appears`, function () {
        const v = evaluate(expr, sec)
        expect(JSON.stringify(v)).to.include(value)
        expect(leaks(`shown: ${JSON.stringify(v)} and ${String(v)}`)).not.to.include(value)
      })
    }

    it('trust 22: an intermediate of a filter chain is masked too', function () {
      const v = String(evaluate("pw | hash('sha256') | b64encode", sec))
      const hex = Buffer.from(v, 'base64').toString()
      expect(hex).to.equal(createHash('sha256').update(pw).digest('hex'))
      expect(leaks(`stdout: ${hex}`)).to.equal(`stdout: ${MASK}`)
    })

    it("trust 22: a slice of another host's secret (hostvars[h].x, read lazily) is masked in a line, the rest stays readable", function () {
      const viaHostvars = source({ hostvars: { db1: { pw } }, port: 5432 })
      const out = String(renderString("run: echo {{ hostvars['db1'].pw[3:11] }} on port {{ port }}", viaHostvars))
      expect(out).to.include(pw.slice(3, 11))
      expect(leaks(out)).to.equal(`run: echo ${MASK} on port 5432`)
    })

    it('trust 22: a secret in text around plain tags (rendered without the engine, concat.ts) is masked, the rest stays readable', function () {
      const text = 'password = {{ db.password }}\nport = {{ port }}\n'
      const plain = source({ db: { password: pw }, port: 5432 })
      expect(renderConcat(text, { db: { password: pw }, port: 5432 }), 'concat.ts takes this one').to.be.a('string')
      const out = String(renderString(text, plain))
      expect(out).to.equal(`password = ${pw}\nport = 5432\n`)
      expect(leaks(out)).to.equal(`password = ${MASK}\nport = 5432\n`)
    })

    it('trust 22: copies of clean values stay readable', function () {
      const before = currentRun().secrets.size
      expect(evaluate("users | map(attribute='name') | join(',')", sec)).to.equal('alice-the-user')
      expect(evaluateCondition('pw | length > 3', sec)).to.equal(true)
      expect(currentRun().secrets.size).to.equal(before)
    })
  })
})
