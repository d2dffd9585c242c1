// The files probe's parsers on outputs recorded on a real lab host.
import { expect } from 'chai'
import { emptyDirProbe, isText, parsePathState, parseStatLine, parseTree, pathProbe, pathProbeId, treeProbe } from '../../../src/probes/files.js'
import { recorded, recordedState } from './files-recorded.js'

describe('probes/files', () => {
  it('reads a regular file: type, mode, owner names, times, checksum and content', () => {
    const s = recordedState('file')
    expect(s.exists).to.equal(true)
    expect(s.stat).to.include({ type: 'file', mode: '0640', uid: 0, gid: 1, owner: 'root', group: 'daemon', size: 8, nlink: 1 })
    expect(s.stat!.mtime).to.equal(1704164645)
    expect(s.checksum).to.equal('5c913f3105032302017e444852688ef5b95c4a0f')
    expect(s.content!.toString()).to.equal('a=1\nb=2\n')
    expect(s.real, 'only links need resolving').to.equal(undefined)
    expect(s.parent).to.equal('directory')
    expect(s.umask).to.equal(0o022)
  })

  it('reads a symlink: the link itself (lstat), its target as written, the target stat and the resolved path', () => {
    const s = recordedState('link')
    expect(s.stat!.type).to.equal('link')
    expect(s.linkTarget).to.equal('f.conf')
    expect(s.target).to.include({ type: 'file', mode: '0640', group: 'daemon' })
    expect(s.real).to.equal('/srv/rec/f.conf')
    expect(s.content!.toString()).to.equal('a=1\nb=2\n')
  })

  it('reads a dangling symlink: exists, no target stat, no content', () => {
    const s = recordedState('dangling')
    expect(s.real).to.equal('/nope')
    expect(s.exists).to.equal(true)
    expect(s.stat!.type).to.equal('link')
    expect(s.target).to.equal(undefined)
    expect(s.linkTarget).to.equal('/nope')
    expect(s.content).to.equal(undefined)
  })

  it('reads a directory (no checksum, no content)', () => {
    const s = recordedState('dir')
    expect(s.stat).to.include({ type: 'directory', mode: '0755', nlink: 3 })
    expect(s.checksum).to.equal(undefined)
    expect(s.ancestorIsDir).to.equal(true)
  })

  it('reads a missing path: the parent is missing, the deepest existing ancestor is found', () => {
    const s = recordedState('missing')
    expect(s.exists).to.equal(false)
    expect(s.stat).to.equal(undefined)
    expect(s.parent).to.equal('missing')
    expect(s.ancestor).to.equal('/srv/rec')
    expect(s.ancestorIsDir).to.equal(true)
  })

  it('knows when a path lies under a file (its parent is not a directory)', () => {
    const s = recordedState('under-file')
    expect(s.exists).to.equal(false)
    expect(s.parent).to.equal('other')
    expect(s.ancestor).to.equal('/srv/rec/f.conf')
    expect(s.ancestorIsDir).to.equal(false)
  })

  it('reads binary content exactly, and tells it is not text', () => {
    const s = recordedState('binary')
    expect([...s.content!]).to.deep.equal([0, 1, 0x62, 0x69, 0x6e])
    expect(isText(s.content!)).to.equal(false)
    expect(isText(Buffer.from('grüße\n'))).to.equal(true)
    expect(isText(Buffer.from([0xff, 0xfe, 0x41]))).to.equal(false)
  })

  it('does not read content above the limit, but still has the checksum', () => {
    const s = recordedState('small-limit')
    expect(s.content).to.equal(undefined)
    expect(s.tooLarge).to.equal(true)
    expect(s.checksum).to.equal('5c913f3105032302017e444852688ef5b95c4a0f')
  })

  it('reads the stat options: another checksum, access bits, lsattr flags (no mime: no file command)', () => {
    const s = recordedState('stat-options')
    expect(s.checksum).to.have.length(64)
    expect(s.access).to.deep.equal({ readable: true, writeable: true, executable: false })
    expect(s.attrFlags).to.equal('e')
    expect(s.mime).to.equal(undefined)
  })

  it('groups a tree by type, mode and owner, with numbers for ids without names', () => {
    const t = parseTree(recorded.tree!.out)
    expect(t).to.have.length(4)
    expect(t).to.deep.include({ count: 1, type: 'file', mode: '0600', uid: 0, gid: 0, owner: 'root', group: 'root' })
    expect(t).to.deep.include({ count: 1, type: 'file', mode: '0644', uid: 1234, gid: 4321, owner: '1234', group: '4321' })
    expect(t.find((e) => e.type === 'link')!.mode).to.equal('0777')
  })

  it('parses special mode bits and unknown names in a stat line', () => {
    const st = parseStatLine('89ed 4755 1234 5678 10 1.5 2 3 4 5 1 UNKNOWN UNKNOWN')
    expect(st).to.include({ type: 'file', mode: '4755', owner: '1234', group: '5678', mtime: 1.5 })
    expect(parseStatLine('43ff 1777 0 0 4096 1 1 1 1 1 2 root root').mode).to.equal('1777')
    expect(() => parseStatLine('garbage')).to.throw(/unexpected stat output/)
  })

  it("fails loudly on output that is not the probe's", () => {
    expect(() => parsePathState('/x', { stdout: '', code: 127 })).to.throw(/no output/)
  })

  it('probe ids capture everything the script depends on; paths are quoted', () => {
    expect(pathProbeId('/a')).to.not.equal(pathProbeId('/a', { contentLimit: 10 }))
    expect(pathProbeId('/a', { checksum: 'sha1' })).to.not.equal(pathProbeId('/a', { checksum: 'sha256' }))
    expect(pathProbeId('/a', { access: true })).to.not.equal(pathProbeId('/a'))
    expect(pathProbeId('/a', { mime: 'L' })).to.not.equal(pathProbeId('/a', { mime: 'P' }))
    expect(pathProbe("/tmp/it's; rm -rf /").script.text).to.contain(`rmp_path='/tmp/it'\\''s; rm -rf /'`)
    expect(treeProbe('/a b').script.text).to.contain(`p='/a b'`)
    expect(treeProbe('/a').script.text).to.contain('find -H')
    const e = emptyDirProbe('/d')
    expect(e.parse({ stdout: 'empty\n', code: 0 })).to.equal(true)
    expect(e.parse({ stdout: 'full\n', code: 0 })).to.equal(false)
    expect(e.parse({ stdout: '', code: 0 })).to.equal(undefined)
    expect(pathProbe('/a', { contentLimit: 5 }).script.text).to.contain('-le 5')
    expect(pathProbe('/a').script.text).to.not.contain('base64 -w0 < "$p"')
    // Parent and ancestors come from shell builtins: no dirname fork per level.
    expect(pathProbe('/a/b/c').script.text).to.not.contain('dirname')
  })
})
