// The load cache (playbook/load-cache.ts) must never change a result: a playbook loaded from a warm
// cache is the one loaded without it (values and every file:line:col), errors come back the same
// each time, and neither a secret nor a failed check is written to it.
import { expect } from 'chai'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkTemplateOnce } from '../../src/playbook/checked-templates.js'
import { RmError, RmErrors, errorList, formatError } from '../../src/playbook/errors.js'
import { resetLoadCache } from '../../src/playbook/load-cache.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import { keyPosOf, parseYaml, parseYamlFile, posOf, valuePosOf } from '../../src/playbook/yaml.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { loadVarsFile } from '../../src/playbook/vars-files.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const saved = { dir: process.env.RM_PLAY_CACHE_DIR, off: process.env.RM_PLAY_CACHE }
let dir = ''

function useCache(on: boolean): void {
  if (on) delete process.env.RM_PLAY_CACHE
  else process.env.RM_PLAY_CACHE = '0'
  resetLoadCache()
}

/** Every cached file's bytes, joined (to look for what must not be there). */
function cacheText(): string {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else out.push(readFileSync(join(d, e.name), 'latin1'))
    }
  }
  walk(dir)
  return out.join('\n')
}

/** Each object's path with its positions: posOf, and keyPosOf/valuePosOf of every key. */
function positions(value: unknown): unknown[] {
  const out: unknown[] = []
  const go = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object') return
    out.push([path, posOf(v)])
    for (const [k, x] of Object.entries(v)) {
      out.push([`${path}.${k}`, keyPosOf(v, k), valuePosOf(v, k)])
      go(x, `${path}.${k}`)
    }
  }
  go(value, '')
  return out
}

const SAMPLES = {
  'tasks.yml': `- name: a
  command: echo {{ x }}
  args: { chdir: /tmp }
  when: [a, b]
- &t
  name: b
  debug: { msg: !unsafe "{{ raw }}" }
- *t
`,
  'vars.yml': `base: &base { mode: 0644, on: yes, off: no, n: n, t: 12:30 }
one:
  <<: *base
  mode: 0600
set: !!set { a, b }
bin: !!binary aGVsbG8=
inf: .inf
nested: [[1, [2, {deep: [x]}]], {}]
`,
}

describe('load cache', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-cache-'))
    process.env.RM_PLAY_CACHE_DIR = dir
    useCache(true)
  })
  after(() => {
    if (saved.dir === undefined) delete process.env.RM_PLAY_CACHE_DIR
    else process.env.RM_PLAY_CACHE_DIR = saved.dir
    if (saved.off === undefined) delete process.env.RM_PLAY_CACHE
    else process.env.RM_PLAY_CACHE = saved.off
    resetLoadCache()
  })

  it('a cached YAML file gives the values and positions a fresh parse gives, under its own file name', () => {
    for (const [name, text] of Object.entries(SAMPLES)) {
      const fresh = parseYaml(text, `/x/${name}`)
      parseYamlFile(text, `/elsewhere/${name}`) // fills the cache
      const cached = parseYamlFile(text, `/x/${name}`)
      expect(cached, name).to.deep.equal(fresh)
      expect(positions(cached), name).to.deep.equal(positions(fresh))
    }
    expect(cacheText()).to.include('echo {{ x }}') // it was a hit, not a second parse
  })

  it('playbooks/site.yml loads the same from a warm cache as without one', function () {
    this.timeout(60_000)
    const file = join(root, 'playbooks', 'site.yml')
    useCache(false)
    const without = loadPlaybook(file)
    useCache(true)
    loadPlaybook(file)
    const warm = loadPlaybook(file)
    expect(warm).to.deep.equal(without)
    expect(cacheText()).to.include('runmaster')
  })

  it('a corrupt entry is a miss, not an error', () => {
    const text = SAMPLES['vars.yml']
    const fresh = parseYaml(text, 'v.yml')
    parseYamlFile(text, 'v.yml')
    const yamlDir = join(dir, readdirSync(dir)[0]!, 'yaml')
    for (const f of readdirSync(yamlDir)) writeFileSync(join(yamlDir, f), 'not v8 data')
    const again = parseYamlFile(text, 'v.yml')
    expect(again).to.deep.equal(fresh)
    expect(positions(again)).to.deep.equal(positions(fresh))
  })

  it('an error is reported with its file:line:col every time, and a failed check is not remembered', () => {
    const d = mkdtempSync(join(tmpdir(), 'rmp-cache-pb-'))
    writeFileSync(join(d, 'site.yml'), '- hosts: all\n  tasks:\n    - debug:\n        msg: "{{ x | no_such_filter }}"\n')
    const errorOf = (): string => {
      try {
        loadPlaybook(join(d, 'site.yml'))
      } catch (e) {
        if (e instanceof RmError || e instanceof RmErrors) return errorList(e).map(formatError).join('\n')
        throw e
      }
      return 'no error'
    }
    const first = errorOf()
    expect(first).to.match(/site\.yml:4:\d+/)
    expect(first).to.include('no_such_filter')
    expect(errorOf()).to.equal(first)
    expect(() => checkTemplateOnce('{{ x | no_such_filter }}')).to.throw(/no_such_filter/)
    expect(() => checkTemplateOnce('{{ x | no_such_filter }}')).to.throw(/no_such_filter/)
    expect(() => checkTemplateOnce('{{ x | default(1) }}')).not.to.throw()
  })

  it('keeps no secret: a !vault value and a vault-encrypted vars file are not cached, templates only as hashes', () => {
    const pw = 'cache-test-pw'
    setVaultPassword(pw)
    try {
      const secret = 'S3cret-for-the-cache-test'
      const vaulted = `password: !vault |\n  ${encryptVault(secret, pw).split('\n').join('\n  ')}\n`
      expect(parseYamlFile(vaulted, 'v.yml')).to.deep.equal({ password: secret })
      const f = join(mkdtempSync(join(tmpdir(), 'rmp-cache-vault-')), 'vault.yml')
      writeFileSync(f, encryptVault('token: Other-secret-in-a-file\n', pw))
      expect(loadVarsFile(f)).to.deep.equal({ token: 'Other-secret-in-a-file' })
      checkTemplateOnce(`{{ '${secret}' | default(1) }}`)
      const cached = cacheText()
      for (const s of [secret, 'Other-secret-in-a-file', pw]) expect(cached).not.to.include(s)
    } finally {
      setVaultPassword(undefined)
    }
  })
})
