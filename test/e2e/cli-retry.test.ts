// Retry files on lab hosts: none by default (as current Ansible); with retry_files_enabled in
// ansible.cfg, `<playbook>.retry` names the failed hosts (the same file ansible-playbook writes),
// and `--limit @<playbook>.retry` runs only them.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { hasAnsible } from '../helpers/ansible.js'
import { closeHostConnections } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

async function rmPlay(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  let out = ''
  let err = ''
  try {
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
    return { code, out, err }
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
  }
}

describe('cli retry files on lab hosts', function () {
  this.timeout(180000)
  let lab: TestLab
  let dir: string
  let site: string
  let failing: string
  before(async () => {
    lab = await testLab(2)
    failing = lab.names[1]!
    dir = mkdtempSync(join(tmpdir(), 'rmp-retry-'))
    site = join(dir, 'site.yml')
    writeFileSync(
      site,
      `- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - command: "test {{ inventory_hostname }} != ${failing}"\n      changed_when: false\n`,
    )
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\nretry_files_enabled = True\n')
  })
  after(() => closeHostConnections())

  it('off by default: a failed run writes no retry file', async () => {
    const r = await rmPlay([site, '-i', lab.inventory], { ANSIBLE_CONFIG: join(dir, 'none.cfg') })
    expect(r.code, r.out + r.err).to.equal(2)
    expect(existsSync(join(dir, 'site.retry'))).to.equal(false)
    expect(r.out).not.to.contain('to retry')
  })

  it('retry_files_enabled: site.retry names the failed host, as ansible-playbook writes it, and --limit @site.retry runs only it', async () => {
    const r = await rmPlay([site, '-i', lab.inventory], { ANSIBLE_CONFIG: join(dir, 'ansible.cfg') })
    expect(r.code, r.out + r.err).to.equal(2)
    const retry = join(dir, 'site.retry')
    expect(readFileSync(retry, 'utf8')).to.equal(`${failing}\n`)
    expect(r.out).to.contain(`\tto retry, use: --limit @${retry}\n`)
    if (hasAnsible()) {
      const theirs = join(dir, 'ansible-retries')
      mkdirSync(theirs)
      const a = spawnSync('ansible-playbook', ['-i', lab.inventory, site], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_RETRY_FILES_SAVE_PATH: theirs, ANSIBLE_NOCOLOR: '1' },
      })
      expect(a.status, a.stdout + a.stderr).to.equal(2)
      expect(readFileSync(join(theirs, 'site.retry'), 'utf8')).to.equal(readFileSync(retry, 'utf8'))
    }
    const again = await rmPlay([site, '-i', lab.inventory, '--limit', `@${retry}`, '--json'], { ANSIBLE_CONFIG: join(dir, 'none.cfg') })
    const hosts = again.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string })
      .filter((e) => e.type === 'host-result')
      .map((e) => e.host)
    expect(hosts).to.deep.equal([failing])
    expect(again.code).to.equal(2)
  })
})
