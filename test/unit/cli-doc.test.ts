import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { docCommand } from '../../src/cli/doc.js'
import { suggest } from '../../src/text/suggest.js'
import { moduleNames } from '../../src/modules/index.js'

function doc(argv: string[]): { code: number; out: string; err: string } {
  let out = ''
  let err = ''
  const code = docCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

// dist/test/unit → the project root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('cli doc: snippets, suggestions, docs from the installed package', function () {
  this.timeout(120000)

  it('issue 9: doc -s MODULE prints a task snippet with every argument, required ones marked', () => {
    const r = doc(['-s', 'file'])
    expect(r.code).to.equal(0)
    const lines = r.out.split('\n')
    expect(lines[0]).to.match(/^- name: \S/)
    expect(lines[1]).to.equal('  file:')
    expect(r.out).to.match(/^ {6}path: +# \(required\) /m)
    expect(r.out).to.match(/^ {6}state: +# /m)
    // the snippet is valid YAML: a task list whose module takes every argument key
    const keys = lines.filter((l) => /^ {6}\w+:/.test(l)).map((l) => l.trim().split(':')[0])
    expect(keys).to.include.members(['path', 'state', 'owner', 'mode'])
    expect(doc(['ansible.builtin.file', '--snippet']).out).to.equal(r.out)
  })

  it('issue 9: a misspelled module gets a suggestion', () => {
    const r = doc(['lininfile'])
    expect(r.code).to.equal(1)
    expect(r.err).to.contain("did you mean 'lineinfile'?")
    expect(doc(['-s', 'pnig']).err).to.contain("did you mean 'ping'?")
    expect(doc(['zzzzzz']).err).not.to.contain('did you mean')
    const names = moduleNames()
    expect(suggest('sytemd', names)).to.equal('systemd')
    expect(suggest('templte', names)).to.equal('template')
    expect(suggest('ansible.builtin.cpy', names)).to.equal('copy')
    expect(suggest('kubernetes', names)).to.equal(undefined)
  })

  it('issue 9: the packed package (no src/) prints the full module docs and snippets, as the source tree does', function () {
    if (spawnSync('npm', ['--version']).status !== 0) this.skip()
    const tmp = mkdtempSync(join(tmpdir(), 'rmp-pack-'))
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: root, stdio: 'pipe' })
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'))!
    execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp])
    const pkg = join(tmp, 'package')
    expect(existsSync(join(pkg, 'src'))).to.equal(false)
    // what the README links to ships; source maps pointing at the unshipped src/ do not
    for (const f of ['LICENSE', 'README.md', 'docs/modules.md', 'docs/lab.md', 'docs/jinja.md']) expect(existsSync(join(pkg, f)), f).to.equal(true)
    expect(existsSync(join(pkg, 'dist', 'src', 'cli', 'main.js.map')), 'a source map').to.equal(false)
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'))
    const empty = mkdtempSync(join(tmpdir(), 'rmp-empty-'))
    const run = (args: string[]) => execFileSync('node', [join(pkg, 'bin', 'rm-play.js'), ...args], { cwd: empty, encoding: 'utf8' })
    for (const m of ['apt', 'copy', 'postgresql_user']) {
      const installed = run(['doc', m])
      expect(installed, m).to.equal(doc([m]).out)
      // the prose of the doc comment, not only the argument table
      expect(installed.split('\n').length, m).to.be.greaterThan(30)
    }
    expect(run(['doc', '-s', 'apt'])).to.equal(doc(['-s', 'apt']).out)
  })
})
