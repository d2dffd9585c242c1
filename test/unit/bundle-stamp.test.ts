// bin/rm-play.js runs the bundle only while it is the build of the dist/src beside it
// (src/cli/bundle-stamp.ts): after a bare `tsc` it must run dist/src, which holds the edit.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleIsCurrent, writeStamp } from '../../src/cli/bundle-stamp.js'

describe('the bundle stamp', () => {
  let root = ''
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rm-play-stamp-'))
    mkdirSync(join(root, 'dist', 'bundle'), { recursive: true })
    writeFileSync(join(root, 'dist', '.tsbuildinfo'), '{"version":"5"}')
  })

  it('no stamp: not current (a build that never bundled, or a bundle being made)', () => {
    expect(bundleIsCurrent(root)).to.equal(false)
  })

  it('current once stamped; stale after tsc writes its build info again', () => {
    writeStamp(root)
    expect(bundleIsCurrent(root)).to.equal(true)
    writeFileSync(join(root, 'dist', '.tsbuildinfo'), '{"version":"5","more":1}')
    expect(bundleIsCurrent(root)).to.equal(false)
  })

  it('stale when only the time of the build info changed (same size)', () => {
    writeStamp(root)
    utimesSync(join(root, 'dist', '.tsbuildinfo'), new Date(), new Date(Date.now() + 5000))
    expect(bundleIsCurrent(root)).to.equal(false)
  })

  it('an installed package (no .tsbuildinfo) runs its bundle', () => {
    writeStamp(root)
    rmSync(join(root, 'dist', '.tsbuildinfo'))
    expect(bundleIsCurrent(root)).to.equal(true)
  })
})
