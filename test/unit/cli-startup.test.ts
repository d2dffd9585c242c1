// Startup: `rm-play --version`, `--help` and `lab list` load neither the playbook engine, nor the
// module catalogue, nor ssh2 or zx, nor the bundle; a syntax check loads no engine; a local run does not load ssh2. What is loaded is checked (by
// a resolve hook that lists every module), not how long it takes (speed is for bench/). A run's
// modules are checked in dist/src, run as bin/rm-play.js runs it without a current bundle: in the
// bundle esbuild keeps each lazy import lazy (a module's code runs at its first import), but the
// hook cannot see inside one file.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'rmp-startup-'))
const hooks = join(dir, 'hooks.mjs')
writeFileSync(
  hooks,
  "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n'); return r }\n",
)
const register = join(dir, 'register.mjs')
writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
const unbundled = join(dir, 'unbundled.mjs')
writeFileSync(
  unbundled,
  `import { front } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'cli', 'front.js')).href)}\nprocess.exitCode = await front(process.argv.slice(2))\n`,
)
writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n')

/** The files `rm-play args` loads, run by bin/rm-play.js or from dist/src alone. */
function loaded(args: string[], from: 'bin' | 'dist/src' = 'bin'): string[] {
  const entry = from === 'bin' ? join(root, 'bin', 'rm-play.js') : unbundled
  const r = spawnSync('node', ['--import', pathToFileURL(register).href, entry, ...args], { encoding: 'utf8', cwd: dir })
  expect(r.status, r.stderr).to.equal(0)
  return [...r.stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1]!)
}

const heavy = (urls: string[]) =>
  urls.filter((u) => /\/node_modules\/(ssh2|zx)\/|\/dist\/src\/(engine|modules|connection)\/|\/dist\/src\/cli\/code-cache\.js/.test(u))

describe('startup: what a command loads', () => {
  it('--version, --help and lab list load no engine, modules, ssh2 or zx', function () {
    this.timeout(60_000)
    for (const args of [['--version'], ['--help'], ['lab', 'list']]) expect(heavy(loaded(args)), args.join(' ')).to.deep.equal([])
  })

  it('a syntax check loads no engine, connection, reporter or diff', function () {
    this.timeout(60_000)
    const urls = loaded([join(dir, 'site.yml'), '-i', 'box,', '--syntax-check'], 'dist/src')
    expect(urls.some((u) => u.includes('/dist/src/playbook/load.js'))).to.equal(true)
    expect(
      urls.filter((u) => /\/node_modules\/(ssh2|zx|diff)\/|\/dist\/src\/(engine|connection)\/|\/dist\/src\/report\/(pretty|json|diff)\.js/.test(u)),
    ).to.deep.equal([])
  })

  it('a local run loads the engine but not ssh2', function () {
    this.timeout(60_000)
    const urls = loaded([join(dir, 'site.yml'), '-i', 'box,', '-c', 'local'], 'dist/src')
    expect(urls.some((u) => u.includes('/dist/src/engine/run.js'))).to.equal(true)
    expect(urls.filter((u) => /\/node_modules\/ssh2\//.test(u))).to.deep.equal([])
  })

  it('a run through bin/rm-play.js takes the engine from the current bundle, not dist/src', function () {
    this.timeout(60_000)
    const urls = loaded([join(dir, 'site.yml'), '-i', 'box,', '-c', 'local'])
    expect(urls.some((u) => u.endsWith('/dist/src/cli/code-cache.js'))).to.equal(true)
    expect(urls.filter((u) => /\/dist\/src\/(engine\/|playbook\/load\.js)/.test(u))).to.deep.equal([])
  })
})
