// The template module renders `.j2` files with src/jinja (Ansible's Jinja2), `.ejs` with EJS:
// the redis.conf with `{{ redis_port }}` and `{% for %}` is written as Ansible writes it.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { play } from '../helpers/run-playbook.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { MASK } from '../../src/report/mask.js'
import { ansibleAvailable } from './jinja-ansible.js'

const REDIS_J2 = `# {{ ansible_managed }}
port {{ redis_port }}
bind {{ redis_bind | default('127.0.0.1') }}
{% if redis_password is defined %}
requirepass {{ redis_password }}
{% endif %}
{% for s in redis_save %}
save {{ s.0 }} {{ s.1 }}
{% endfor %}
maxmemory {{ redis_maxmemory_mb // 2 }}mb
appendonly {{ redis_appendonly | bool | ternary('yes', 'no') }}
protected {{ redis_protected }}
`
const VARS = `  vars:\n    redis_port: 6380\n    redis_save: [[900, 1], [300, 10]]\n    redis_maxmemory_mb: 512\n    redis_appendonly: "yes"\n    redis_protected: true\n`

describe('jinja: the template module renders .j2 files as Ansible does', function () {
  const scratch = mkdtempSync(join(tmpdir(), 'rmp-j2-'))
  const inv = join(scratch, 'hosts')
  writeFileSync(inv, 'h1 ansible_connection=local\n')
  afterEach(() => setVaultPassword(undefined))

  it("writes the issue's redis.conf with the values, not the {{ }} text; a second run changes nothing", async function () {
    const dest = join(scratch, 'redis.conf')
    const yaml = `- hosts: all\n  gather_facts: false\n${VARS}  tasks:\n    - template: { src: redis.conf.j2, dest: ${dest} }\n`
    const first = await play(yaml, { inventory: [inv], files: { 'templates/redis.conf.j2': REDIS_J2 } })
    expect(first.exitCode, first.text).to.equal(0)
    const written = readFileSync(dest, 'utf8')
    expect(written).to.equal('# Ansible managed\nport 6380\nbind 127.0.0.1\nsave 900 1\nsave 300 10\nmaxmemory 256mb\nappendonly yes\nprotected True\n')
    const second = await play(yaml, { inventory: [inv], files: { 'templates/redis.conf.j2': REDIS_J2 } })
    expect(second.totalChanged()).to.equal(0)
  })

  it('writes byte for byte what ansible-playbook writes from the same template (conformance)', async function () {
    if (!ansibleAvailable()) return this.skip()
    this.timeout(120_000)
    const dir = mkdtempSync(join(tmpdir(), 'rmp-j2-ansible-'))
    mkdirSync(join(dir, 'templates'))
    writeFileSync(join(dir, 'templates', 'redis.conf.j2'), REDIS_J2)
    const theirs = join(dir, 'ansible.conf')
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: localhost\n  gather_facts: false\n${VARS}  tasks:\n    - template: { src: redis.conf.j2, dest: ${theirs} }\n`,
    )
    execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(dir, 'site.yml')], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
    })
    const ours = join(scratch, 'ours.conf')
    const r = await play(`- hosts: all\n  gather_facts: false\n${VARS}  tasks:\n    - template: { src: redis.conf.j2, dest: ${ours} }\n`, {
      inventory: [inv],
      files: { 'templates/redis.conf.j2': REDIS_J2 },
    })
    expect(r.exitCode, r.text).to.equal(0)
    expect(readFileSync(ours, 'utf8')).to.equal(readFileSync(theirs, 'utf8'))
  })

  it("gives a template Ansible's template variables: ansible_managed (2.14's default string), template_uid/host/path/fullpath", async function () {
    if (!ansibleAvailable()) return this.skip()
    this.timeout(120_000)
    const j2 =
      '{{ ansible_managed }}|{{ template_uid }}|{{ template_host }}|{{ template_path }}|{{ template_fullpath | basename }}|{{ template_destpath | basename }}\n'
    const render = async (dir: string, run: (site: string) => Promise<void> | void) => {
      const site = `- hosts: all\n  gather_facts: false\n  tasks:\n    - template: { src: meta.j2, dest: ${join(dir, 'out')} }\n`
      await run(site)
      return readFileSync(join(dir, 'out'), 'utf8')
    }
    const dir = mkdtempSync(join(tmpdir(), 'rmp-j2-ansible-'))
    const theirs = await render(dir, (site) => {
      mkdirSync(join(dir, 'templates'))
      writeFileSync(join(dir, 'templates', 'meta.j2'), j2)
      writeFileSync(join(dir, 'site.yml'), site)
      execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(dir, 'site.yml')], {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
      })
    })
    const ours = await render(scratch, async (site) => {
      const r = await play(site, { inventory: [inv], files: { 'templates/meta.j2': j2 } })
      expect(r.exitCode, r.text).to.equal(0)
    })
    expect(ours).to.equal(theirs)
  })

  it('an undefined variable in a .j2 file is a playbook error naming it and the file', async function () {
    const r = await play(`- hosts: all\n  gather_facts: false\n  tasks:\n    - template: { src: bad.conf.j2, dest: ${join(scratch, 'bad.conf')} }\n`, {
      inventory: [inv],
      files: { 'templates/bad.conf.j2': 'a\nport {{ redis_prot }}\n' },
    })
    expect(r.exitCode).to.not.equal(0)
    expect(r.text).to.match(/bad\.conf\.j2/)
    expect(r.text).to.match(/'redis_prot' is undefined/)
  })

  it('trust 22: a value computed from a vault secret inside a .j2 file is masked in the diff; other lines stay readable', async function () {
    setVaultPassword('unit-pw')
    const pw = `Vault-${randomBytes(6).toString('hex')}`
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars_files: [vault.yml]\n  vars:\n    port: 6390\n  tasks:\n    - template: { src: s.conf.j2, dest: ${join(scratch, 's.conf')} }\n`,
      {
        inventory: [inv],
        diff: true,
        verbosity: 3,
        files: {
          'vault.yml': encryptVault(`pw: ${pw}\n`, 'unit-pw'),
          'templates/s.conf.j2':
            "port {{ port }}\nsecret {{ pw | upper }}\n{% set b = pw | b64encode %}\nencoded {{ b }}\nshort {{ pw | replace('Vault-', 'V.') }}\n",
        },
      },
    )
    expect(r.exitCode, r.text).to.equal(0)
    const all = r.text + JSON.stringify(r.events)
    for (const f of [pw, pw.toUpperCase(), Buffer.from(pw).toString('base64'), pw.replace('Vault-', 'V.')]) expect(all, f).not.to.include(f)
    expect(r.text).to.include('port 6390')
    expect(r.text).to.include(MASK)
  })
})
