// stat: read-only; its result is built from the probed state (recorded on a lab host).
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { stat, statResult } from '../../../src/modules/stat.js'
import type { ProbeContext } from '../../../src/modules/types.js'
import { pathProbeId } from '../../../src/probes/files.js'
import { recordedState } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: true, diff: false }
const opts = { path: '/srv/rec/f.conf', follow: false, get_checksum: true, get_mime: true, get_attributes: true }

describe('stat module', () => {
  it('a regular file: type flags, mode, names, permission bits, checksum, access, attributes', () => {
    const r = statResult(opts, recordedState('stat-options'))
    expect(r).to.include({
      exists: true,
      path: '/srv/rec/f.conf',
      mode: '0640',
      isreg: true,
      isdir: false,
      islnk: false,
      uid: 0,
      gid: 1,
      pw_name: 'root',
      gr_name: 'daemon',
      size: 8,
      nlink: 1,
    })
    expect(r).to.include({ rusr: true, wusr: true, xusr: false, rgrp: true, wgrp: false, roth: false, isuid: false })
    expect(r).to.include({ readable: true, writeable: true, executable: false, attr_flags: 'e' })
    expect(r.attributes).to.deep.equal(['extents'])
    expect(r.checksum).to.have.length(64)
    expect(r.mtime).to.equal(1704164645)
    expect(r).to.not.have.property('mimetype') // no file command on the host
  })

  it('a symlink: the link itself by default, its target with follow', () => {
    const s = recordedState('link')
    const link = statResult({ ...opts, path: '/srv/rec/l' }, s)
    expect(link).to.include({ islnk: true, isreg: false, lnk_source: '/srv/rec/f.conf', lnk_target: 'f.conf', mode: '0777' })
    expect(link).to.not.have.property('checksum')
    const target = statResult({ ...opts, path: '/srv/rec/l', follow: true }, s)
    expect(target).to.include({ islnk: false, isreg: true, mode: '0640', checksum: '5c913f3105032302017e444852688ef5b95c4a0f' })
  })

  it('a missing path: exists false and nothing else', () => {
    expect(statResult(opts, recordedState('missing'))).to.deep.equal({ exists: false })
    expect(statResult({ ...opts, follow: true }, recordedState('dangling'))).to.deep.equal({ exists: false })
  })

  it('is read-only: no changes, runs in check mode, result under stat', () => {
    const a = checkArgs(stat.args, { path: '/srv/rec/f.conf', checksum_algorithm: 'sha256' }, false).args as never
    expect(stat.readOnly).to.equal(true)
    const probes = stat.probes(a, ctx)
    expect(Object.keys(probes)).to.deep.equal(['path'])
    expect(probes.path.id).to.equal(pathProbeId('/srv/rec/f.conf', { checksum: 'sha256', access: true, mime: 'P' }))
    const state = { path: recordedState('stat-options') }
    expect(stat.plan(a, state, ctx)).to.deep.equal([])
    expect((stat.result!(a, state, [], ctx).stat as Record<string, unknown>).mode).to.equal('0640')
  })

  it('accepts the Ansible aliases and rejects unknown algorithms', () => {
    expect(checkArgs(stat.args, { dest: '/x', checksum: 'md5', get_mime: false }, true).problems).to.deep.equal([])
    expect(checkArgs(stat.args, { path: '/x', checksum_algorithm: 'crc32' }, true).problems[0]!.message).to.match(/must be one of/)
  })
})
