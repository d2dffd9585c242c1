// src/jinja beyond the conformance table: errors that name the variable and leak nothing, no way
// out of the sandbox, recovery after a failing filter, lookups on the controller, file options.
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkTemplate, evaluateCondition, renderTemplateFile, templateString, TemplateError } from '../../src/jinja/index.js'

const vars = { secret_token: 's3cr3t-value', d: { k: 1 }, x: [1, 2], name: 'web' }
const errorOf = (fn: () => unknown): TemplateError => {
  try {
    fn()
  } catch (e) {
    expect(e).to.be.instanceOf(TemplateError)
    return e as TemplateError
  }
  throw new Error('expected a TemplateError')
}

describe('jinja render: errors, sandbox, lookups', function () {
  it('names the undefined variable, in output, in arithmetic and in a condition', function () {
    expect(errorOf(() => templateString('{{ nope }}', { vars })).message).to.equal("'nope' is undefined")
    expect(errorOf(() => templateString('{{ 1 + missing_port }}', { vars })).message).to.equal("'missing_port' is undefined")
    expect(errorOf(() => evaluateCondition('missing_flag', { vars })).message).to.equal("'missing_flag' is undefined")
    expect(errorOf(() => templateString('a {{ d.nope }} b', { vars })).kind).to.equal('undefined')
  })

  it('never puts the values of the referenced variables in an error (MiniJinja debug dumps them)', function () {
    const e = errorOf(() => templateString('{{ secret_token ~ nope }}', { vars }))
    expect(e.message).to.not.include('s3cr3t')
    const f = errorOf(() => templateString('{{ secret_token | no_such_filter }}', { vars }))
    expect(f.message).to.not.include('s3cr3t')
    expect(f.kind).to.equal('syntax')
  })

  it('reports a syntax error at load time', function () {
    expect(() => checkTemplate('{{ 1 + }}')).to.throw(TemplateError, /syntax/)
    expect(() => checkTemplate('{% if x %}no end')).to.throw(TemplateError)
    expect(() => checkTemplate('{{ x | default(1) }}')).to.not.throw()
  })

  it('gives templates no way to reach JavaScript', function () {
    for (const probe of ["{{ ''.constructor }}", '{{ x.constructor }}', '{{ d.__proto__ }}', "{{ lookup.constructor('return process')() }}"]) {
      let out: unknown
      try {
        out = templateString(probe, { vars })
      } catch (e) {
        out = (e as Error).message
      }
      expect(String(out), probe).to.not.match(/function|\[native code\]|process/i)
    }
  })

  it('keeps working after a filter failed inside the engine', function () {
    expect(errorOf(() => templateString("{{ 'x' | from_json }}", { vars })).message).to.match(/from_json/)
    expect(errorOf(() => templateString('{{ [1] | combine }}', { vars })).message).to.match(/combine/)
    expect(templateString('{{ x | sum }}', { vars })).to.equal('3')
  })

  it('reads files, templates and the environment on the controller for lookups', function () {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-jinja-lookup-'))
    try {
      writeFileSync(join(dir, 'motd.txt'), 'hello\n\n')
      writeFileSync(join(dir, 'greet.j2'), '{% for i in x %}\n{{ name }}{{ i }}\n{% endfor %}\n')
      process.env.RMP_JINJA_TEST = 'env-value'
      const ctx = { vars, searchPaths: [dir] }
      expect(templateString("{{ lookup('file', 'motd.txt') }}", ctx)).to.equal('hello')
      expect(templateString("{{ lookup('template', 'greet.j2') }}", ctx)).to.equal('web1\nweb2\n')
      expect(templateString("{{ lookup('env', 'RMP_JINJA_TEST') }}", ctx)).to.equal('env-value')
      expect(templateString("{{ query('vars', 'name') }}", ctx)).to.deep.equal(['web'])
      expect(errorOf(() => templateString("{{ lookup('file', 'absent.txt') }}", ctx)).message).to.match(/absent\.txt/)
      expect(errorOf(() => templateString("{{ lookup('nosuch', 'a') }}", ctx)).message).to.match(/nosuch/)
      // password: made once on the controller, read back on every later run
      const made = String(templateString("{{ lookup('password', 'creds/db length=24 chars=ascii_letters,digits') }}", ctx))
      expect(made).to.match(/^[A-Za-z0-9]{24}$/)
      expect(templateString("{{ lookup('password', 'creds/db length=24') }}", ctx)).to.equal(made)
      writeFileSync(join(dir, 'a.conf'), '')
      writeFileSync(join(dir, 'b.conf'), '')
      expect(templateString("{{ query('fileglob', '*.conf') }}", ctx)).to.deep.equal([join(dir, 'a.conf'), join(dir, 'b.conf')])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('renders .j2 files with trim_blocks, and lstrip_blocks on request', function () {
    const src = '<\n  {% if true %}\nin\n  {% endif %}\n>\n'
    expect(renderTemplateFile(src, { vars })).to.equal('<\n  in\n  >\n')
    expect(renderTemplateFile(src, { vars }, { lstripBlocks: true })).to.equal('<\nin\n>\n')
    // lstrip_blocks strips before block tags only: an indented {{ }} keeps its indent
    expect(renderTemplateFile('  {{ name }}\n  {% if true %}\n  x\n  {% endif %}\n', { vars }, { lstripBlocks: true })).to.equal('  web\n  x\n')
  })
})
