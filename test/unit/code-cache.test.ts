// The CLI's code cache (src/cli/code-cache.ts) may only make a start faster, never change what runs:
// each case runs a small CommonJS bundle in a fresh node, with no cache, a good one, a damaged one,
// one made under other V8 flags, and with caching off or its directory unwritable.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const loader = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'code-cache.js')
let dir = ''
let bundle = ''

/** Loads the bundle in a new node process and saves the cache as bin/rm-play.js does; what it saw. */
function load(env: Record<string, string> = {}, nodeFlags: string[] = []): { cache: string; value: number } {
  const script = `const { loadBundle } = await import(${JSON.stringify(loader)});
    const b = loadBundle(${JSON.stringify(bundle)});
    const value = b.exports.work(20);
    b.save();
    console.log(JSON.stringify({ cache: b.cache, value }))`
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
    env: { ...process.env, RM_PLAY_CACHE_DIR: join(dir, 'cache'), ...env },
    encoding: 'utf8',
  })
  return JSON.parse(out) as { cache: string; value: number }
}

const cacheFiles = () => readdirSync(join(dir, 'cache', 'code')).map((f) => join(dir, 'cache', 'code', f))

describe('the CLI code cache', function () {
  this.timeout(60_000)

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rm-play-code-cache-'))
    bundle = join(dir, 'bundle.cjs')
    // strict like the real bundle; uses require and __dirname as the real one does
    writeFileSync(
      bundle,
      `"use strict";\nconst { join } = require('node:path');\nexports.dir = join(__dirname, 'x');\n` +
        `exports.work = (n) => { let s = 0; for (let i = 0; i < n; i++) s += (function f(k) { return k < 2 ? k : f(k - 1) + f(k - 2) })(i % 15); return s };\n`,
    )
  })

  it('is made by the first command, used by the next, and never changes the result', () => {
    const first = load()
    expect(first.cache).to.equal('none')
    expect(cacheFiles()).to.have.length(1)
    const made = statSync(cacheFiles()[0]!).mtimeMs
    const second = load()
    expect(second).to.deep.equal({ cache: 'used', value: first.value })
    expect(statSync(cacheFiles()[0]!).mtimeMs, 'a used cache is not written again').to.equal(made)
  })

  it('a damaged cache is rejected by V8, the bundle compiles as without it, and the cache is made again', () => {
    const good = load()
    const file = cacheFiles()[0]!
    const bytes = readFileSync(file)
    for (let i = 16; i < bytes.length; i += 7) bytes[i] = bytes[i]! ^ 0xff
    writeFileSync(file, bytes)
    expect(load()).to.deep.equal({ cache: 'rejected', value: good.value })
    expect(load()).to.deep.equal({ cache: 'used', value: good.value })
  })

  it('a cache made under other V8 flags is rejected, and the result is the same', () => {
    const good = load()
    expect(load({}, ['--no-opt'])).to.deep.equal({ cache: 'rejected', value: good.value })
  })

  it('RM_PLAY_CACHE=0: nothing is read or written', () => {
    expect(load({ RM_PLAY_CACHE: '0' }).cache).to.equal('none')
    expect(() => readdirSync(join(dir, 'cache'))).to.throw()
  })

  it('a cache directory that cannot be written only means no cache', () => {
    writeFileSync(join(dir, 'cache'), 'a file where the directory would be')
    const a = load()
    expect(a.cache).to.equal('none')
    expect(load()).to.deep.equal(a)
  })
})
