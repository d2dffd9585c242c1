// ansible_pkg_mgr: the rules of ansible-core's PkgMgrFactCollector (facts/system/pkg_mgr.py), on
// the binaries a host has and its OS family, release and distribution.
import { expect } from 'chai'
import { parseFacts } from '../../../src/probes/facts.js'
import { pkgMgrOf, type PkgMgrInput } from '../../../src/probes/pkg-mgr.js'

const host = (o: Partial<PkgMgrInput>): PkgMgrInput => ({ paths: [], osFamily: 'Debian', distribution: 'Debian', majorVersion: '12', ostree: false, ...o })

describe('probes/pkg-mgr: ansible_pkg_mgr as ansible-core decides it', () => {
  it('Debian family: apt, even with yum or dnf installed beside it', () => {
    expect(pkgMgrOf(host({ paths: ['/usr/bin/apt-get'] }))).to.equal('apt')
    expect(pkgMgrOf(host({ paths: ['/usr/bin/apt-get', '/usr/bin/dnf', '/usr/bin/yum', '/usr/bin/zypper'] }))).to.equal('apt')
  })
  it('RedHat family: yum before release 8, dnf from 8 (RHEL 9 has both binaries)', () => {
    const el = (major: string, paths: string[]) => pkgMgrOf(host({ osFamily: 'RedHat', distribution: 'RedHat', majorVersion: major, paths }))
    expect(el('7', ['/usr/bin/yum'])).to.equal('yum')
    expect(el('8', ['/usr/bin/yum', '/usr/bin/dnf'])).to.equal('dnf')
    expect(el('9', ['/usr/bin/yum', '/usr/bin/dnf'])).to.equal('dnf')
  })
  it('Fedora switches at 23, Amazon at 2022; ostree hosts are atomic_container', () => {
    const fedora = (major: string) =>
      pkgMgrOf(host({ osFamily: 'RedHat', distribution: 'Fedora', majorVersion: major, paths: ['/usr/bin/yum', '/usr/bin/dnf'] }))
    expect(fedora('22')).to.equal('yum')
    expect(fedora('39')).to.equal('dnf')
    expect(pkgMgrOf(host({ osFamily: 'RedHat', distribution: 'Amazon', majorVersion: '2', paths: ['/usr/bin/yum'] }))).to.equal('yum')
    expect(pkgMgrOf(host({ osFamily: 'RedHat', distribution: 'Amazon', majorVersion: '2023', paths: ['/usr/bin/dnf'] }))).to.equal('dnf')
    expect(pkgMgrOf(host({ osFamily: 'RedHat', distribution: 'Fedora', majorVersion: '39', ostree: true }))).to.equal('atomic_container')
  })
  it('other families: the last known manager found, else unknown', () => {
    expect(pkgMgrOf(host({ osFamily: 'Alpine', distribution: 'Alpine', paths: ['/sbin/apk'] }))).to.equal('apk')
    expect(pkgMgrOf(host({ osFamily: 'Suse', distribution: 'openSUSE', paths: ['/usr/bin/zypper'] }))).to.equal('zypper')
    expect(pkgMgrOf(host({ osFamily: 'Plan9', paths: [] }))).to.equal('unknown')
  })
  it('the facts probe output of a Rocky 9 host gives RedHat / dnf', () => {
    const f = parseFacts('os_id=rocky\nos_like=rhel centos fedora\nos_version_id=9.3\npkg_path=/usr/bin/yum\npkg_path=/usr/bin/dnf\n')
    expect(f).to.deep.include({ os_family: 'RedHat', distribution: 'Rocky', distribution_major_version: '9', pkg_mgr: 'dnf' })
  })
})
