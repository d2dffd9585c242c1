// What a person reads: debug values as Ansible prints them (compared with ansible-playbook's
// default output), check mode's "cannot know" in the human output, --json's error event when
// nothing ran, and the live line under a slow task.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { liveLine } from '../../src/report/live-line.js'
import { hasAnsible } from '../helpers/ansible.js'
import { play } from '../helpers/run-playbook.js'

const scratch = mkdtempSync(join(tmpdir(), 'rmp-cli-output-'))
const local = join(scratch, 'hosts')
writeFileSync(local, 'localhost ansible_connection=local\n')

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

/** The `ok: [h] => { ... }` blocks of a run's output, in order. */
const debugBlocks = (text: string) => text.match(/^ok: \[localhost\] => \{\n[\s\S]*?\n\}$/gm) ?? []

describe('cli output', () => {
  it('debug prints lists, dicts and numbers as Ansible does (not as JSON-encoded strings)', async function () {
    if (!hasAnsible()) this.skip()
    this.timeout(120_000)
    const yaml = `- hosts: localhost
  gather_facts: false
  vars: { n: 5 }
  tasks:
    - command: printf 'a\\nb\\n'
      register: out
    - debug: { msg: "{{ out.stdout_lines }}" }
    - debug: { msg: { a: 1, b: [x, y] } }
    - debug: { msg: "{{ n }}" }
    - debug: { var: out.stdout_lines }
    - debug: { msg: plain }
`
    const file = join(scratch, 'debug.yml')
    writeFileSync(file, yaml)
    const ours = await play(yaml, { inventory: [local] })
    const theirs = spawnSync('ansible-playbook', ['-i', local, file], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'default', ANSIBLE_RETRY_FILES_ENABLED: 'false' },
    })
    expect(theirs.status, theirs.stderr).to.equal(0)
    expect(debugBlocks(theirs.stdout)).to.have.length(5)
    expect(debugBlocks(ours.text)).to.deep.equal(debugBlocks(theirs.stdout))
  })

  it('check mode says in the human output what it cannot know', async () => {
    const r = await play(
      '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: echo hi\n      register: out\n    - debug: { msg: "{{ out.stdout }}" }\n',
      { inventory: [local], check: true },
    )
    expect(r.text).to.contain('ok: [localhost] (depends on out, which check mode cannot know)')
  })

  it('--json on a load error: an error event on stdout, exit 1', async () => {
    const bad = join(scratch, 'bad.yml')
    writeFileSync(bad, '- hosts: all\n  tasks:\n    - nosuchmodule: {}\n')
    const r = await cli([bad, '-i', local, '--json'])
    expect(r.code).to.equal(1)
    const events = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; errors: { msg: string; pos?: string }[] })
    expect(events).to.have.length(1)
    expect(events[0]!.type).to.equal('error')
    expect(events[0]!.errors[0]!.pos).to.match(/bad\.yml:3:/)
    const usage = await cli([bad, '--json', '--nosuch'])
    expect(JSON.parse(usage.out).errors[0].msg).to.match(/unknown option --nosuch/)
  })

  it('the live line counts hosts done/total and does not call hosts waiting for a fork running', () => {
    const line = liveLine({ pending: ['h3', 'h4', 'h5', 'h6'], total: 6, forks: 2, elapsedMs: 5200 })
    expect(line).to.equal('  … still running on h3, h4 (5s); 2/6 hosts done; 2 waiting for a fork')
    expect(liveLine({ pending: ['h1'], total: 1, forks: 50, elapsedMs: 3000 })).to.equal('  … still running on h1 (3s); 0/1 host done')
  })
})
