// The batch's one stat and one sha1sum for all its path probes (shared-stat.ts): every probe reads
// the same state from it as it reads alone, for awkward names, links, directories, fifos and
// missing paths; a later probe of a path that an earlier one read stats the path itself.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalConnection } from '../../../src/connection/local.js'
import { batchScript, splitBatchOutput } from '../../../src/engine/probe-batch.js'
import { pathProbe, type PathProbeOptions } from '../../../src/probes/files.js'
import { CHUNK, sharedStat } from '../../../src/probes/shared-stat.js'

describe('probes/shared-stat', () => {
  let dir: string
  const conn = new LocalConnection('local')
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-shared-stat-'))
    const files = ['plain', 'a b', 'new\nline', 'back\\slash', '-dash', 'empty']
    files.forEach((f, i) => writeFileSync(join(dir, f), f === 'empty' ? '' : `content ${i}\n`))
    mkdirSync(join(dir, 'sub'))
    symlinkSync('plain', join(dir, 'link'))
    symlinkSync('nowhere', join(dir, 'dangling'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    // atime ahead of mtime and ctime: reading a file leaves it as it is (relatime), so a probe
    // alone and in a batch see the same atime
    const later = Date.now() / 1000 + 3600
    for (const f of [...files, 'sub', 'fifo']) utimesSync(join(dir, f), later, later - 7200)
  })
  after(async () => {
    await conn.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const names = ['plain', 'a b', 'new\nline', 'back\\slash', '-dash', 'empty', 'sub', 'link', 'dangling', 'fifo', 'missing', 'nodir/missing']
  const variants: PathProbeOptions[] = [
    {},
    { checksum: 'sha1' },
    { checksum: 'sha1', contentLimit: 100 },
    { checksum: 'sha256' },
    { checksum: 'sha1', access: true, mime: 'P' },
  ]

  it('each probe parses to the same state in one batch as alone (where the shared lines were used)', async () => {
    const probes = variants.flatMap((o) => names.map((n) => pathProbe(join(dir, n), o)))
    const r = await conn.exec(batchScript(probes, 'tok'))
    const parts = splitBatchOutput(r.stdout, probes.length, 'tok')
    for (const [i, p] of probes.entries()) {
      const alone = await conn.exec(p.script)
      expect(p.parse(parts[i]!), p.id).to.deep.equal(p.parse({ stdout: alone.stdout, code: alone.code }))
    }
    // the batch's sha1sum served the plain file (its own `sha1sum < file` prints "<hash>  -")
    const plain = probes.findIndex((p) => p.id === `path:${join(dir, 'plain')}:0:sha1:`)
    expect(parts[plain]!.stdout).to.match(/^sum [0-9a-f]{40}$/m)
  })

  it('one lsattr for the paths whose probes print attributes: each prints the line it prints alone', async () => {
    const probes = [...names.map((n) => pathProbe(join(dir, n), { access: true, mime: 'P' })), ...names.map((n) => pathProbe(join(dir, n), { mime: 'L' }))]
    const script = batchScript(probes, 'tok')
    // an lsattr first on PATH that counts its runs
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'lsattr'), `#!/bin/sh\necho run >> ${join(dir, 'lsattr-runs')}\nexec /usr/bin/lsattr "$@"\n`, { mode: 0o755 })
    const parts = splitBatchOutput((await conn.exec(script, { env: { PATH: `${bin}:${process.env.PATH}` } })).stdout, probes.length, 'tok')
    // one for the batch, and their own for the name with a newline and the fifo (P and L each) and
    // the link followed (the dangling one has nothing to follow, a link not followed has no attributes)
    expect(readFileSync(join(dir, 'lsattr-runs'), 'utf8')).to.equal('run\n'.repeat(6))
    rmSync(bin, { recursive: true })
    const attrs = (out: string) => out.split('\n').filter((l) => l.startsWith('attrs '))
    let shared = 0
    for (const [i, p] of probes.entries()) {
      const alone = await conn.exec(p.script)
      expect(attrs(parts[i]!.stdout), p.id).to.deep.equal(attrs(alone.stdout))
      expect(p.parse(parts[i]!), p.id).to.deep.equal(p.parse({ stdout: alone.stdout, code: alone.code }))
      if (attrs(alone.stdout).length) shared++
    }
    // plain, a b, back\slash, -dash, empty, sub (twice), link followed: this machine has lsattr
    expect(shared).to.be.greaterThan(10)
  })

  it(`more paths than ${CHUNK}: one stat and one sha1sum per ${CHUNK} paths, each probe as alone`, async () => {
    mkdirSync(join(dir, 'many'))
    const later = Date.now() / 1000 + 3600
    const paths = Array.from({ length: CHUNK + 5 }, (_, i) => join(dir, 'many', `f${i}`))
    for (const f of paths) {
      writeFileSync(f, f)
      utimesSync(f, later, later - 7200)
    }
    const probes = paths.map((f) => pathProbe(f, { checksum: 'sha1' }))
    const script = batchScript(probes, 'tok')
    expect(script.text.match(/rmp_s=\$\(stat -c/g)).to.have.length(2)
    expect(script.text.match(/rmp_s=\$\(sha1sum/g)).to.have.length(2)
    const parts = splitBatchOutput((await conn.exec(script)).stdout, probes.length, 'tok')
    for (const [i, p] of probes.entries()) {
      expect(parts[i]!.stdout).to.match(/^sum [0-9a-f]{40}$/m)
      const alone = await conn.exec(p.script)
      expect(p.parse(parts[i]!), p.id).to.deep.equal(p.parse({ stdout: alone.stdout, code: alone.code }))
    }
  })

  it('a path read by an earlier probe of the batch is stat-ed again by the later ones (its atime may have moved)', () => {
    const f = join(dir, 'plain')
    const probes = [pathProbe(f), pathProbe(f, { checksum: 'sha1' }), pathProbe(f, { checksum: 'sha1', access: true }), pathProbe(join(dir, 'sub'))]
    const s = sharedStat(probes)
    expect(s.after.map((x) => x?.text)).to.deep.equal(
      [undefined, probes[2]!.script.text.match(/rmp_st_[0-9a-f]+/)![0], undefined, undefined].map((v) => (v ? `unset ${v}` : v)),
    )
    expect(sharedStat([pathProbe(f)]).ahead?.text).to.not.include('sha1sum')
    expect(sharedStat([]).ahead).to.equal(undefined)
  })
})
