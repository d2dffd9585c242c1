// trust 31 without a host: which members unarchive refuses (pure), and the extraction script's own
// check just before tar runs, executed by the controller's sh on a temp dir (a link planted after
// the probe is refused, nothing lands outside dest).
import { nameResults, probeList } from '../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkArgs } from '../../src/modules/schema.js'
import { ModuleFailure, type ExecStep, type ProbeContext } from '../../src/modules/types.js'
import { unarchive, type UnarchiveArgs } from '../../src/modules/unarchive.js'
import { escapingMembers, pathsToCheck, unsafeExtraOptions } from '../../src/modules/unarchive-safety.js'
import { parseRemoteArchive, type ArchiveMember, type DestEntry } from '../../src/probes/archive.js'
import { parsePathState } from '../../src/probes/files.js'

const f = (name: string): ArchiveMember => ({ name, type: 'file', size: 1 })
const link = (name: string, target: string): ArchiveMember => ({ name, type: 'link', target })
const hard = (name: string, target: string): ArchiveMember => ({ name, type: 'hardlink', target })
const dirEntry = (type: DestEntry['type']): DestEntry => ({ type, mode: '0755', size: 0, mtime: 0, uid: 0, gid: 0, owner: 'root', group: 'root' })

describe('trust 31 (unit): unarchive never writes outside dest', () => {
  it('trust 31: absolute names, .., paths through links (archive or dest) and hard links out are refused', () => {
    expect(escapingMembers([f('/tmp/x')], {})).to.deep.equal(['/tmp/x: is an absolute path'])
    expect(escapingMembers([f('a/../../x')], {})).to.deep.equal(["a/../../x: contains '..'"])
    expect(escapingMembers([link('sub', '../../../tmp'), f('sub/file')], {})).to.deep.equal(["sub/file: goes through 'sub', a link the archive makes"])
    expect(escapingMembers([f('sub/deep/file')], { sub: dirEntry('directory'), 'sub/deep': dirEntry('link') })).to.deep.equal([
      "sub/deep/file: goes through 'sub/deep', a symbolic link already in dest",
    ])
    expect(escapingMembers([f('x')], { x: dirEntry('link') })).to.deep.equal(['x: would be written over a symbolic link already in dest'])
    expect(escapingMembers([hard('h', '../../etc/shadow')], {})).to.deep.equal(["h: hard link to '../../etc/shadow', which contains '..'"])
    expect(escapingMembers([hard('h', 'sub/x')], { sub: dirEntry('link') })).to.deep.equal([
      "h: hard link to 'sub/x', which goes through 'sub', a symbolic link already in dest",
    ])
    // What is allowed: links pointing anywhere (a link is not a write), links over links, files beside links.
    expect(
      escapingMembers([link('sub', '/tmp'), f('a/b'), link('a/l', '../b'), hard('a/h', 'a/b')], { sub: dirEntry('link'), a: dirEntry('directory') }),
    ).to.deep.equal([])
  })

  it('trust 31: tar and unzip options that lift their own protections are refused', () => {
    expect(
      unsafeExtraOptions(
        [
          '-P',
          '--absolute-names',
          '--keep-directory-symlink',
          '-C',
          '/',
          '--directory=/',
          '--transform=s/a/b/',
          '-xvP',
          '--overwrite',
          '--strip-components=1',
          '--no-same-owner',
          '-m',
        ],
        'tar',
      ),
    ).to.deep.equal(['-P', '--absolute-names', '--keep-directory-symlink', '-C', '--directory=/', '--transform=s/a/b/', '-xvP', '--overwrite'])
    expect(unsafeExtraOptions(['-:', '-d', '-o', '-q', '-j'], 'zip')).to.deep.equal(['-:', '-d'])
  })

  it("trust 31: the plan fails (also in check mode) on the second of two archives when dest holds the first one's link", () => {
    const { args } = checkArgs(unarchive.args, { src: '/srv/file.tar', dest: '/srv/dest', remote_src: true }, false)
    const p = args as UnarchiveArgs
    const listing = '-rw-r--r-- 0/0               6 2024-05-01 12:00:00 sub/rmp-t31-file\n'
    const remote = `@magic 7375622f726d\n@list\n${listing}@dest\nl 777 12 1714564800.0 0 0 root root\t./sub\n`
    const byId: Record<string, unknown> = {}
    const named = unarchive.probes(p, { host: 'h', facts: {}, check: false, diff: false })
    for (const probe of probeList(named)) {
      if (probe.id.startsWith('path:'))
        byId[probe.id] = parsePathState('/srv/dest', {
          stdout: 'umask 0022\nlstat 41ed 755 0 0 4096 1 1 1 1 1 3 root root\nparent directory\nancestor /srv/dest\nancestordir 1\n',
          code: 0,
        })
      else if (probe.id.startsWith('tools:')) byId[probe.id] = ['tar']
      else byId[probe.id] = parseRemoteArchive({ stdout: remote, code: 0 })
    }
    const state = nameResults(named, byId)
    for (const check of [false, true]) {
      const ctx: ProbeContext = { host: 'h', facts: {}, check, diff: false }
      expect(() => unarchive.plan(p, state, ctx)).to.throw(ModuleFailure, "sub/rmp-t31-file: goes through 'sub', a symbolic link already in dest")
    }
    // Without the link in dest, the same archive is planned normally (the test above can fail).
    const clean = { ...state, archive: parseRemoteArchive({ stdout: `@magic 7375622f726d\n@list\n${listing}@dest\n`, code: 0 }) }
    expect(unarchive.plan(p, clean, { host: 'h', facts: {}, diff: false })).to.have.length(1)
  })

  describe('the extraction script checks again just before tar runs', () => {
    let dir: string
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rmp-t31-'))
    })
    afterEach(() => rmSync(dir, { recursive: true, force: true }))

    it('trust 31: a link planted in dest after the probe: the step exits 1 and nothing lands outside dest', () => {
      const dest = join(dir, 'dest')
      const outside = join(dir, 'outside')
      mkdirSync(dest)
      mkdirSync(outside)
      mkdirSync(join(dir, 'src', 'sub'), { recursive: true })
      writeFileSync(join(dir, 'src', 'sub', 'file'), 'pwned\n')
      const arc = join(dir, 'file.tar')
      execFileSync('tar', ['-cf', arc, '-C', join(dir, 'src'), 'sub/file'])
      const { args } = checkArgs(unarchive.args, { src: arc, dest, remote_src: true }, false)
      const p = args as UnarchiveArgs
      // The probe saw an empty dest: the plan extracts.
      const byId: Record<string, unknown> = {}
      const named = unarchive.probes(p, { host: 'h', facts: {}, check: false, diff: false })
      for (const probe of probeList(named)) {
        if (probe.id.startsWith('path:'))
          byId[probe.id] = parsePathState(dest, {
            stdout: `umask 0022\nlstat 41ed 755 0 0 4096 1 1 1 1 1 3 root root\nparent directory\nancestor ${dest}\nancestordir 1\n`,
            code: 0,
          })
        else if (probe.id.startsWith('tools:')) byId[probe.id] = ['tar']
        else byId[probe.id] = parseRemoteArchive({ stdout: `@magic 7375622f6669\n@list\n-rw-r--r-- 0/0 6 2024-05-01 12:00:00 sub/file\n@dest\n`, code: 0 })
      }
      const script = (unarchive.plan(p, nameResults(named, byId), { host: 'h', facts: {}, diff: false })[0]!.steps[0] as ExecStep).script.text
      // Then, before apply, someone plants dest/sub -> outside.
      symlinkSync(outside, join(dest, 'sub'))
      const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' })
      expect(r.status, r.stderr).to.equal(1)
      expect(r.stderr).to.include(`refusing to extract: ${dest}/sub is a symbolic link`)
      expect(existsSync(join(outside, 'file'))).to.equal(false)
      // Without the planted link the same script extracts (so the check above is what stopped it).
      rmSync(join(dest, 'sub'))
      const ok = spawnSync('sh', ['-c', script], { encoding: 'utf8' })
      expect(ok.status, ok.stderr).to.equal(0)
      expect(existsSync(join(dest, 'sub', 'file'))).to.equal(true)
    })
  })
})
