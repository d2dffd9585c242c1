// --step as ansible-playbook asks it: y runs the task, n skips it (not shown), c runs it and every
// later task without asking; the answers come from stdin. The same answers to both tools.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasAnsible } from '../helpers/ansible.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'rm-play.js')
const dir = mkdtempSync(join(tmpdir(), 'rmp-step-'))
const site = join(dir, 'site.yml')
writeFileSync(site, '- hosts: all\n  gather_facts: false\n  tasks:\n' + ['one', 'two', 'three', 'four'].map((m) => `    - debug: { msg: ${m} }\n`).join(''))

const ran = (out: string) => [...out.matchAll(/"msg": "(\w+)"/g)].map((m) => m[1])

describe('--step', () => {
  it('y, n, c: runs one, skips two, runs three and four without asking again, as ansible-playbook', function () {
    this.timeout(60_000)
    const r = spawnSync('node', [bin, site, '-i', 'box,', '-c', 'local', '--step'], { input: 'y\nn\nc\n', encoding: 'utf8' })
    expect(r.status, r.stderr).to.equal(0)
    expect(ran(r.stdout)).to.deep.equal(['one', 'three', 'four'])
    expect(r.stderr.match(/Perform task: TASK: debug \(N\)o\/\(y\)es\/\(c\)ontinue: /g)).to.have.length(3)
    if (hasAnsible()) {
      const a = spawnSync('ansible-playbook', [site, '-i', 'box,', '-c', 'local', '--step'], {
        input: 'y\nn\nc\n',
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'false' },
      })
      expect(ran(a.stdout)).to.deep.equal(ran(r.stdout))
    }
  })

  it('no answer (end of input) skips the task', function () {
    this.timeout(60_000)
    const r = spawnSync('node', [bin, site, '-i', 'box,', '-c', 'local', '--step'], { input: 'y\n', encoding: 'utf8' })
    expect(r.status, r.stderr).to.equal(0)
    expect(ran(r.stdout)).to.deep.equal(['one'])
  })
})
