// Work done once per run rather than once per host: vault decryption, vars_files and template
// reads. The run's counters (run-context.ts) show how often the expensive step ran.
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { currentRun, RunContext, withRun } from '../../src/playbook/run-context.js'
import { renderTemplateFile } from '../../src/playbook/template.js'
import { VarScope } from '../../src/playbook/vars.js'
import { decryptVault, encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { play } from '../helpers/run-playbook.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-caches-'))
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5']
const inv = join(scratch, 'hosts')
writeFileSync(inv, `[web]\n${HOSTS.map((h) => `${h} ansible_connection=local`).join('\n')}\n`)

describe('vault decryption is memoised', () => {
  it('the same text and password derive the key once', () => {
    const text = encryptVault('a: 1\n', 'pw-memo')
    const run = new RunContext()
    withRun(run, () => {
      expect(decryptVault(text, 'pw-memo')).to.equal('a: 1\n')
      expect(decryptVault(text, 'pw-memo')).to.equal('a: 1\n')
    })
    expect(run.counters.keyDerivations).to.equal(1)
  })
  it('a wrong password still fails every time (failures are not remembered)', () => {
    const text = encryptVault('a: 1\n', 'right')
    expect(() => decryptVault(text, 'wrong')).to.throw(/decryption failed: wrong vault password/)
    expect(() => decryptVault(text, 'wrong')).to.throw(/decryption failed: wrong vault password/)
    expect(decryptVault(text, 'right')).to.equal('a: 1\n')
  })
})

describe('vars_files are read once per play', () => {
  afterEach(() => setVaultPassword(undefined))
  it('a vault vars_file is read and decrypted once for five hosts, and its values stay masked', async () => {
    setVaultPassword('play-pw')
    const secret = encryptVault('token: s3cr3t-value\n', 'play-pw')
    const r = await play('- hosts: web\n  gather_facts: false\n  vars_files: [secret.yml]\n  tasks:\n    - debug: msg="token={{ token }}"\n', {
      inventory: [inv],
      files: { 'secret.yml': secret },
    })
    expect(r.exitCode).to.equal(0)
    expect(r.run.counters.varsFileReads).to.equal(1)
    expect(r.run.counters.keyDerivations).to.equal(1)
    const msgs = r
      .results()
      .filter((e) => e.msg !== undefined)
      .map((e) => `${e.host}:${e.msg}`)
    expect(msgs).to.deep.equal(HOSTS.map((h) => `${h}:token=********`))
    expect(r.text).not.to.include('s3cr3t-value')
  })
  it('a vars_file that cannot be loaded still fails every host', async () => {
    const r = await play('- hosts: web\n  gather_facts: false\n  vars_files: [list.yml]\n  tasks:\n    - debug: msg=x\n', {
      inventory: [inv],
      files: { 'list.yml': '- a\n- b\n' },
    })
    expect(r.results('vars_files').map((e) => `${e.host}:${e.status}`)).to.deep.equal(HOSTS.map((h) => `${h}:failed`))
  })
  it('a templated vars_file path is still rendered per host', async () => {
    const r = await play('- hosts: web\n  gather_facts: false\n  vars_files: ["vf-{{ inventory_hostname }}.yml"]\n  tasks:\n    - debug: msg={{ v }}\n', {
      inventory: [inv],
      files: Object.fromEntries(HOSTS.map((h) => [`vf-${h}.yml`, `v: from-${h}\n`])),
    })
    expect(
      r
        .results()
        .filter((e) => e.msg !== undefined)
        .map((e) => `${e.host}:${e.msg}`),
    ).to.deep.equal(HOSTS.map((h) => `${h}:from-${h}`))
  })
})

describe('template files are read once per version', () => {
  it('renders for many hosts from one read, and reads again when the file changes', () => {
    const file = join(scratch, 'once.ejs')
    writeFileSync(file, 'a=<%= a %>\n')
    const counters = currentRun().counters
    const before = counters.templateReads
    for (const a of [1, 2, 3]) expect(renderTemplateFile(file, new VarScope([{ name: 't', values: { a } }]))).to.equal(`a=${a}\n`)
    expect(counters.templateReads - before).to.equal(1)
    writeFileSync(file, 'b=<%= a %> (changed)\n')
    expect(renderTemplateFile(file, new VarScope([{ name: 't', values: { a: 4 } }]))).to.equal('b=4 (changed)\n')
    expect(counters.templateReads - before).to.equal(2)
  })
})
