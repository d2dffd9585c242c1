// Trust cases of the playbook language (issue 11): undefined variables are playbook errors (1),
// !unsafe and !vault values are literal (2), hostile YAML stays data (4), EJS options are out of
// a template's reach (5), bad arguments stop the run before any connection (6). The host side of
// 1, 2, 5 and 21 is in test/e2e/trust-language.test.ts.
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import type { RmError } from '../../src/playbook/errors.js'
import { renderTemplateText } from '../../src/playbook/template.js'
import { freeNames } from '../../src/playbook/undefined-names.js'
import { VarScope } from '../../src/playbook/vars.js'
import { currentRun } from '../../src/playbook/run-context.js'
import { loadVarsFile } from '../../src/playbook/vars-files.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { parseYaml } from '../../src/playbook/yaml.js'
import { loadErrors, loadProject, project } from '../helpers/load-playbook.js'
import { play } from '../helpers/run-playbook.js'
import { hasAnsible } from '../helpers/ansible.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-trust-lang-'))
const local = join(scratch, 'hosts')
writeFileSync(local, '[web]\nh1 ansible_connection=local\n')

/** Runs the CLI as a user would: exit code and everything it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

/** Renders variable `name` of a YAML mapping, as a task would see it. */
function rendered(yaml: string, name: string): unknown {
  return new VarScope([{ name: 'test', values: parseYaml(yaml, 'vars.yml') as Record<string, unknown> }]).lookup(name)
}

const at = (e: RmError) => `${e.pos?.file.split('/').pop()}:${e.pos?.line}:${e.pos?.col}`

describe('trust: the playbook language', () => {
  after(() => setVaultPassword(undefined))

  describe('trust 1: an undefined variable is a playbook error', () => {
    const playbook = (dir: string, task: string) => `- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "first\\n", dest: ${dir}/first }
${task}
    - copy: { content: "second\\n", dest: ${dir}/second }
`
    it('trust 1: ignore_errors does not hide an undefined variable: the host fails, later tasks do not run, the run exits 2', async () => {
      const dir = mkdtempSync(join(scratch, 'ign-'))
      const r = await play(playbook(dir, '    - debug: { msg: "{{ nosuch }}" }\n      ignore_errors: true'), { inventory: [local] })
      expect(r.exitCode, r.text).to.equal(2)
      expect(r.text).to.match(/undefined variable 'nosuch'.*site\.yml:5:7.*ignore_errors and failed_when do not hide it/)
      expect(r.stats.h1!.ignored).to.equal(0)
      expect(existsSync(join(dir, 'first'))).to.equal(true)
      expect(existsSync(join(dir, 'second')), 'a task after the playbook error ran').to.equal(false)
    })

    it('trust 1: failed_when: false, a loop item and an undefined `when` do not hide it either', async () => {
      for (const task of [
        '    - command: echo "{{ nosuch.attr }}"\n      failed_when: false',
        '    - debug: { msg: "{{ item }} {{ nosuch if item == 2 else 0 }}" }\n      loop: [1, 2]\n      ignore_errors: true',
        '    - debug: { msg: hi }\n      when: nosuch == 1\n      ignore_errors: true',
      ]) {
        const dir = mkdtempSync(join(scratch, 'var-'))
        const r = await play(playbook(dir, task), { inventory: [local] })
        expect(r.exitCode, `${task}\n${r.text}`).to.equal(2)
        expect(existsSync(join(dir, 'second')), task).to.equal(false)
      }
    })

    it('trust 1: an undefined variable in a template file is a playbook error too', async () => {
      const dir = mkdtempSync(join(scratch, 'tpl-'))
      const r = await play(playbook(dir, `    - template: { src: a.ejs, dest: ${dir}/a }\n      ignore_errors: true`), {
        inventory: [local],
        files: { 'templates/a.ejs': 'x=<%= nosuch_in_template %>\n' },
      })
      expect(r.exitCode, r.text).to.equal(2)
      expect(r.text).to.match(/a\.ejs:1:1: .*undefined variable 'nosuch_in_template'/)
      expect(existsSync(join(dir, 'second'))).to.equal(false)
    })

    it('trust 1: a host error under ignore_errors is still ignored (only playbook errors are not)', async () => {
      const dir = mkdtempSync(join(scratch, 'host-'))
      const r = await play(playbook(dir, '    - command: /bin/false\n      ignore_errors: true'), { inventory: [local] })
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.stats.h1!.ignored).to.equal(1)
      expect(existsSync(join(dir, 'second'))).to.equal(true)
    })

    it('trust 1: Ansible 2.14 ignores the undefined variable under ignore_errors and exits 0 (rm-play differs on purpose), not under failed_when', function () {
      if (!hasAnsible()) this.skip()
      const dir = mkdtempSync(join(scratch, 'ansible-'))
      writeFileSync(
        join(dir, 'site.yml'),
        playbook(dir, '    - debug: { msg: "{{ nosuch }}" }\n      ignore_errors: true').replace('hosts: web', 'hosts: localhost\n  connection: local'),
      )
      const r = spawnSync('ansible-playbook', ['-i', 'localhost,', join(dir, 'site.yml')], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } })
      expect(r.status, r.stdout).to.equal(0)
      expect(r.stdout).to.match(/'nosuch' is undefined[\s\S]*\.\.\.ignoring/)
      expect(existsSync(join(dir, 'second'))).to.equal(true)
      // ... but under failed_when: false Ansible fails the task, as rm-play does.
      writeFileSync(
        join(dir, 'fw.yml'),
        playbook(dir, '    - command: echo "{{ nosuch.attr }}"\n      failed_when: false')
          .replace('hosts: web', 'hosts: localhost\n  connection: local')
          .replace('/second', '/fw-second'),
      )
      const fw = spawnSync('ansible-playbook', ['-i', 'localhost,', join(dir, 'fw.yml')], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } })
      expect(fw.status, fw.stdout).to.equal(2)
      expect(existsSync(join(dir, 'fw-second'))).to.equal(false)
    })

    it('trust 1: a variable nothing defines is a load error at file:line:col, before any host is touched', async () => {
      const dir = project({
        'site.yml': `- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "first\\n", dest: DIR/first }
    - debug: { msg: "{{ nosuch }}" }
      ignore_errors: true
    - command: echo hi
      when: other_typo | length > 0
`,
      })
      writeFileSync(join(dir, 'site.yml'), readFileSync(join(dir, 'site.yml'), 'utf8').replace('DIR', dir))
      const r = await cli([join(dir, 'site.yml'), '-i', local])
      expect(r.code).to.equal(1)
      expect(r.err).to.match(/site\.yml:5:21: undefined variable 'nosuch'/)
      expect(r.err).to.match(/site\.yml:8:13: undefined variable 'other_typo'/)
      expect(r.err).to.match(/no host was touched/i)
      expect(existsSync(join(dir, 'first')), 'the first task ran').to.equal(false)
    })

    it('trust 1: names some source defines, guarded names, loop variables and facts are not reported', async () => {
      const dir = project({
        'site.yml': `- hosts: web
  gather_facts: false
  vars: { from_play: 1 }
  vars_files: [more.yml]
  tasks:
    - command: echo {{ from_play }} {{ from_file }} {{ from_group }} {{ from_extra }} {{ maybe | default('x') }} {{ ansible_hostname | default('') }}
      register: out
    - set_fact: { made: "{{ out.stdout }}" }
    - debug: { msg: "{{ made }} {{ thing }} {{ ix }} {{ inventory_hostname }} {{ hostvars[inventory_hostname].made }} {{ [1, 2] | map('string') | list }}" }
      loop: [a]
      loop_control: { loop_var: thing, index_var: ix }
      when: (maybe is defined or out is changed) and nothing is undefined
    - debug: { msg: "{{ task_level }}" }
      vars: { task_level: 1 }
    - debug: { var: not_defined_but_only_shown }
    - debug: { msg: "{{ optional.attr if optional is defined else 'none' }}" }
      when: [other_optional is defined, other_optional > 1]
`,
        'more.yml': 'from_file: 2\n',
        'group_vars/web.yml': 'from_group: 3\n',
      })
      const r = await cli([join(dir, 'site.yml'), '-i', local, '-e', 'from_extra=4'])
      expect(r.err).to.equal('')
      expect(r.code, r.out).to.equal(0)
    })

    it('trust 1: assert that: conditions are checked too, and `x is defined` there guards x (the assert speaks at run time)', async () => {
      const site = (that: string) =>
        project({ 'site.yml': `- hosts: web\n  gather_facts: false\n  tasks:\n    - assert: { that: [${that}] }\n    - debug: { msg: "{{ stamp }}" }\n` })
      const guarded = await cli([join(site('stamp is defined'), 'site.yml'), '-i', local, '--syntax-check'])
      expect(guarded.code, guarded.err).to.equal(0)
      const typo = await cli([join(site('stmap == 1'), 'site.yml'), '-i', local, '--syntax-check'])
      expect(typo.code).to.equal(1)
      expect(typo.err).to.match(/site\.yml:4:24: undefined variable 'stmap'/)
      expect(typo.err).to.match(/site\.yml:5:21: undefined variable 'stamp'/)
    })

    it('trust 1: where the names cannot be known (include_vars), nothing is reported at load time', async () => {
      const dir = project({
        'site.yml': '- hosts: web\n  gather_facts: false\n  tasks:\n    - include_vars: { file: more.yml }\n    - debug: { msg: "{{ from_include }}" }\n',
        'files/more.yml': 'from_include: 5\n',
      })
      const r = await cli([join(dir, 'site.yml'), '-i', local])
      expect(r.code, r.err).to.equal(0)
      expect(r.out).to.contain('"msg": 5') // a number, as Ansible prints it
    })

    it('trust 1: free names of expressions (guards, members, loop and set names, strings)', () => {
      const table: [string, string[]][] = [
        ['a', ['a']],
        ['a.b.c', ['a']],
        ['a | default(b)', []],
        ['a is defined and b', ['b']],
        ['a is not defined or b', ['b']],
        ["x['k'] + y", ['x', 'y']],
        ["'a string with words' ~ z", ['z']],
        ["l | selectattr('k', 'equalto', w) | map(attribute='name')", ['l', 'w']],
        ['range(n) | list if cond else None', ['n', 'cond']],
        ["{'key': val}", ['val']],
        ['x.y if x is defined else z', ['z']],
        ['x is defined and x > 1', []],
        ['{% for i in xs %}{{ i ~ loop.index }}{% endfor %}', ['xs']],
        ['{% set t = 1 %}{{ t + u }}', ['u']],
      ]
      for (const [expr, want] of table) expect(freeNames(expr).sort(), expr).to.deep.equal(want.sort())
    })
  })

  describe('trust 2: !unsafe and !vault values are used byte for byte', () => {
    const hostile = `a{{ 7*7 }}b{% if x %}'"$(touch /tmp/rmp-canary)\`id\`\n{{ nope }}`

    it('trust 2: a value marked !unsafe is never templated (a scalar, and every string of a mapping or a list)', () => {
      const yaml = `s: !unsafe ${JSON.stringify(hostile)}\nm: !unsafe { k: "{{ 1 + 1 }}", l: ["{% x %}"] }\nl: !unsafe ["{{ a }}", 3]\nref: "{{ s }}"\n`
      expect(rendered(yaml, 's')).to.equal(hostile)
      expect(rendered(yaml, 'ref')).to.equal(hostile)
      expect(rendered(yaml, 'm')).to.deep.equal({ k: '{{ 1 + 1 }}', l: ['{% x %}'] })
      expect(rendered(yaml, 'l')).to.deep.equal(['{{ a }}', 3])
      // A plain value is still templated.
      expect(rendered('p: "a{{ 7*7 }}b"\n', 'p')).to.equal('a49b')
    })

    it('trust 2: an inline !vault value is decrypted and never templated; a wrong password is a load error at file:line:col', () => {
      setVaultPassword('pw1')
      const yaml = `pw: !vault |\n${encryptVault(hostile, 'pw1')
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n`
      expect(rendered(yaml, 'pw')).to.equal(hostile)
      setVaultPassword('wrong')
      expect(() => parseYaml(`x: 1\n${yaml}`, 'v.yml'))
        .to.throw()
        .that.satisfies((e: { errors: RmError[] }) => {
          expect(e.errors.map(at)).to.deep.equal(['v.yml:2:5'])
          expect(e.errors[0]!.message).to.match(/cannot decrypt this !vault value/)
          return true
        })
      setVaultPassword(undefined)
      expect(() => parseYaml(yaml, 'v.yml')).to.throw(/no vault password was given/)
    })

    it('trust 2: values of a whole encrypted vars file are templated (as in Ansible); !unsafe inside one keeps {{ literal', () => {
      setVaultPassword('pw2')
      const f = join(scratch, 'vault-vars.yml')
      writeFileSync(f, encryptVault('templated: "a{{ 7*7 }}b"\nliteral: !unsafe "a{{ 7*7 }}b"\n', 'pw2'))
      const scope = new VarScope([{ name: 'vars file', values: loadVarsFile(f) }])
      expect(scope.lookup('templated')).to.equal('a49b')
      expect(scope.lookup('literal')).to.equal('a{{ 7*7 }}b')
      expect(currentRun().secrets.has('a{{ 7*7 }}b'), 'the literal secret is masked as it renders').to.equal(true)
      // include_vars values are data: the literal comes out plain.
      expect(loadVarsFile(f, 'plain').literal).to.equal('a{{ 7*7 }}b')
    })

    it('trust 2: Ansible agrees: !unsafe and !vault values written byte for byte', function () {
      if (!hasAnsible()) this.skip()
      this.timeout(60000)
      const dir = mkdtempSync(join(scratch, 'ansible-unsafe-'))
      writeFileSync(join(dir, 'pw'), 'pw3\n')
      const vault = encryptVault(hostile, 'pw3')
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`)
        .join('\n')
      const yaml = `- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    u: !unsafe ${JSON.stringify(hostile)}
    v: !vault |
${vault}
  tasks:
    - copy: { content: "{{ u }}", dest: ${dir}/u }
    - copy: { content: "{{ v }}", dest: ${dir}/v }
`
      writeFileSync(join(dir, 'site.yml'), yaml)
      execFileSync('ansible-playbook', ['-i', 'localhost,', '--vault-password-file', join(dir, 'pw'), join(dir, 'site.yml')], { encoding: 'utf8' })
      const ansible = [readFileSync(join(dir, 'u'), 'utf8'), readFileSync(join(dir, 'v'), 'utf8')]
      expect(ansible).to.deep.equal([hostile, hostile])
    })
  })

  describe('trust 4: hostile YAML stays data', () => {
    it('trust 4: __proto__, constructor and <<: {__proto__} keys are kept as data; Object.prototype is unchanged', async () => {
      const yaml = `- hosts: web
  gather_facts: false
  vars:
    one: 1
    plain: { __proto__: { polluted: 1 }, constructor: { prototype: { polluted: 2 } } }
    templated: { __proto__: { polluted: "{{ one }}" }, k: "{{ one }}" }
    base: &b { __proto__: { polluted: 3 } }
    merged:
      <<: *b
      k: 1
    inline:
      <<: { __proto__: { polluted: 4 } }
  tasks:
    - debug: { msg: "{{ [plain, templated, merged, inline] | to_json }} {{ ({}).polluted is defined }}" }
`
      const r = await play(yaml, { inventory: [local] })
      expect(r.exitCode, r.text).to.equal(0)
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
      expect(Object.getOwnPropertyNames(Object.prototype)).to.not.include('polluted')
      const msg = String((r.results()[0]!.output as { msg: string }).msg)
      const [json, leaked] = [msg.slice(0, msg.lastIndexOf(' ')), msg.slice(msg.lastIndexOf(' ') + 1)]
      const values = JSON.parse(json) as Record<string, unknown>[]
      expect(leaked).to.equal('False')
      expect(values.map((v) => Object.keys(v))).to.deep.equal([['__proto__', 'constructor'], ['__proto__', 'k'], ['__proto__', 'k'], ['__proto__']])
      expect(values.map((v) => JSON.stringify(Object.getOwnPropertyDescriptor(v, '__proto__')!.value))).to.deep.equal([
        '{"polluted":1}',
        '{"polluted":1}',
        '{"polluted":3}',
        '{"polluted":4}',
      ])
    })

    it('trust 4: variables named constructor, toString and __proto__ are their own values, never Object internals', async () => {
      const r = await play(
        `- hosts: web
  gather_facts: false
  vars: { constructor: c, toString: t }
  tasks:
    - debug: { msg: "{{ constructor }} {{ toString }} {{ vars['__proto__'] | to_json }} {{ ({}).polluted is defined }}" }
`,
        { inventory: [local], extraVars: JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown> },
      )
      expect(r.exitCode, r.text).to.equal(0)
      expect((r.results()[0]!.output as { msg: string }).msg).to.equal('c t {"polluted": 1} False')
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
    })

    it('trust 4: unknown tags (!!js/function, !!python/object, !foo) are load errors at file:line:col', () => {
      const errs = loadErrors({
        'site.yml': `- hosts: all
  vars:
    f: !!js/function "function () { return 1 }"
    p: !!python/object:os.system { a: 1 }
  tasks:
    - debug: { msg: !foo bar }
`,
      })
      expect(errs.map((e) => `${at(e)} ${e.message}`)).to.deep.equal([
        'site.yml:3:8 unknown YAML tag: !!js/function',
        'site.yml:4:8 unknown YAML tag: !!python/object:os.system',
        'site.yml:6:21 unknown YAML tag: !foo',
      ])
    })
  })

  describe('trust 5: template variables never reach EJS options', () => {
    it('trust 5: settings, outputFunctionName, localsName, escapeFunction, client, destructuredLocals are plain text', () => {
      const canary = join(scratch, 'ejs-canary')
      const payload = `x;require('fs').writeFileSync('${canary}','pwned');var y`
      const vars: Record<string, unknown> = {
        settings: { 'view options': { outputFunctionName: payload, client: true, escapeFunction: payload, localsName: payload } },
        outputFunctionName: payload,
        localsName: payload,
        escapeFunction: payload,
        client: true,
        destructuredLocals: [payload],
        opts: { outputFunctionName: payload },
      }
      const text = '<%= outputFunctionName %>|<%= localsName %>|<%= escapeFunction %>|<%= client %>|<%= settings["view options"].outputFunctionName %>\n'
      const out = renderTemplateText(text, join(scratch, 't.ejs'), new VarScope([{ name: 'vars', values: vars }]))
      expect(out).to.equal(`${payload}|${payload}|${payload}|true|${payload}\n`)
      expect(existsSync(canary)).to.equal(false)
    })
  })

  describe('trust 6: bad arguments stop the run before any connection', () => {
    const bad = `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: /tmp/x, state: touch, mdoe: '0644' }
    - file: { path: /tmp/x, state: touch, mode: u=rwz }
    - file: { path: /tmp/x, state: touch, mode: '0999' }
    - copy: { content: x, dest: /tmp/y, backup: maybe }
    - wait_for: { port: eighty }
`
    it('trust 6: misspelled parameter, invalid symbolic and octal modes, wrong types: all reported at file:line:col', () => {
      const errs = loadErrors(bad)
      const lines = errs.map((e) => `${e.pos?.line}: ${e.message}`)
      expect(lines).to.have.length(5)
      expect(lines[0]).to.match(/^4: file: unknown argument 'mdoe'; did you mean 'mode'/)
      expect(lines[1]).to.match(/^5: file: .*mode.*u=rwz/)
      expect(lines[2]).to.match(/^6: file: .*mode.*0999/)
      expect(lines[3]).to.match(/^7: copy: argument 'backup' must be a boolean/)
      expect(lines[4]).to.match(/^8: wait_for: argument 'port' must be an integer/)
    })

    it('trust 6: also in --check, and nothing connects (the host does not exist)', async () => {
      const dir = project({ 'site.yml': bad })
      for (const mode of [[], ['--check']]) {
        const r = await cli([join(dir, 'site.yml'), '-i', 'no-such-host.invalid,', ...mode])
        expect(r.code).to.equal(1)
        expect(r.err).to.match(/5 problems found; no host was touched/)
        expect(r.err + r.out).to.not.match(/UNREACHABLE|no-such-host\.invalid/)
      }
      expect(loadProject(bad).playbook).to.equal(undefined)
    })
  })
})
