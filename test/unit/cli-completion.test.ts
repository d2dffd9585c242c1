import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bashScript, zshScript } from '../../src/cli/completion.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'rm-play.js')

/** What bash completes for the words typed, with the script loaded and rm-play on the PATH. */
function complete(cwd: string, ...words: string[]): string[] {
  const script = `rm-play() { node ${bin} "$@"; }
${bashScript()}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _rm_play; printf '%s\\n' "\${COMPREPLY[@]}"`
  const r = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ANSIBLE_CONFIG: join(cwd, 'ansible.cfg') } })
  expect(r.status, r.stderr).to.equal(0)
  return r.stdout.split('\n').filter(Boolean).sort()
}

describe('cli completion: bash and zsh', function () {
  this.timeout(30000)
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-comp-'))
    chmodSync(dir, 0o755)
    mkdirSync(join(dir, 'inv'))
    writeFileSync(join(dir, 'inv', 'hosts.ini'), '[web]\nweb1\nweb2\n[db]\ndb1\n')
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\ninventory = inv/hosts.ini\n')
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  tasks: []\n')
  })

  it('issue 9: completes commands, flags, module names, hosts and groups from the configured inventory, and files', () => {
    expect(complete(dir, 'rm-play', 'doc', 'lin')).to.deep.equal(['lineinfile'])
    expect(complete(dir, 'rm-play', 'all', '-m', 'co')).to.deep.equal(['command', 'copy'])
    expect(complete(dir, 'rm-play', 'site.yml', '-l', 'we')).to.deep.equal(['web', 'web1', 'web2'])
    expect(complete(dir, 'rm-play', '--che')).to.deep.equal(['--check'])
    expect(complete(dir, 'rm-play', 'si')).to.deep.equal(['site.yml'])
    expect(complete(dir, 'rm-play', 'inv')).to.deep.equal(['inv', 'inventory'])
    expect(complete(dir, 'rm-play', 'd')).to.deep.equal(['db', 'db1', 'doc'])
    expect(complete(dir, 'rm-play', 'lab', 'do')).to.deep.equal(['down'])
  })

  it('issue 9: the scripts are valid shell (zsh through bashcompinit)', () => {
    expect(spawnSync('bash', ['-n'], { input: bashScript() }).status).to.equal(0)
    const z = zshScript()
    expect(z).to.contain('bashcompinit').and.to.contain('complete -o filenames -F _rm_play rm-play')
    if (spawnSync('zsh', ['--version']).status === 0) expect(spawnSync('zsh', ['-n'], { input: z }).status).to.equal(0)
  })
})
