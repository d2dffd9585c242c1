// The CLI's bundle (build/bundle.ts) must run the code of dist/src as dist/src runs it: in strict
// mode (ES modules are strict), and finding by path what each module finds from its own file
// (package.json, the modules' doc comments, node_modules). Builds the bundle when it is stale.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleIsCurrent } from '../../src/cli/bundle-stamp.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const bundle = join(root, 'dist', 'bundle', 'rm-play.cjs')

/** Runs `main(argv)` of the bundle in a new node (plain require: no code cache); its output. */
function bundledMain(argv: string[]): string {
  const script = `const { main } = require(${JSON.stringify(bundle)});
    let out = '';
    main(${JSON.stringify(argv)}, { out: (s) => (out += s), err: (s) => (out += s), tty: false }).then((code) => console.log(JSON.stringify({ code, out })))`
  return execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, RM_PLAY_CACHE: '0' } })
}

describe('the CLI bundle', function () {
  this.timeout(120_000)

  before(() => {
    if (!bundleIsCurrent(root)) execFileSync(process.execPath, [join(root, 'dist', 'build', 'bundle.js')], { cwd: root })
  })

  it('is strict: its first statement is "use strict"', () => {
    expect(readFileSync(bundle, 'utf8')).to.match(/^"use strict";\n/)
  })

  it("finds package.json from its modules' own places: --version is the package's", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    expect(JSON.parse(bundledMain(['--version']))).to.deep.equal({ code: 0, out: `rm-play ${pkg.version}\n` })
  })

  it('loads node_modules and the Jinja engine through createRequire: a syntax check renders a template', () => {
    const r = JSON.parse(bundledMain([join(root, 'playbooks', 'site.yml'), '--syntax-check'])) as { code: number; out: string }
    expect(r.code, r.out).to.equal(0)
    expect(r.out).to.contain('playbook: ')
  })

  it("finds each module's doc comment in dist/src (rm-play doc)", () => {
    const r = JSON.parse(bundledMain(['doc', 'copy'])) as { code: number; out: string }
    expect(r.code, r.out).to.equal(0)
    // from the file's doc comment, not the module's one-line summary
    expect(r.out).to.contain('The file is written into a private temp directory')
  })
})
