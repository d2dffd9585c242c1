// The apt probe's parsers on outputs recorded on lab hosts, and Debian version ordering.
import { expect } from 'chai'
import {
  aptProbe,
  aptProbeId,
  baseName,
  compareDebVersions,
  parseAptPolicy,
  parseAptState,
  parseAutoremove,
  parseDpkgQuery,
  parseSimulatedInstalls,
} from '../../../src/probes/apt.js'
import { APT } from './system-recorded.js'

describe('probes/apt: compareDebVersions (dpkg --compare-versions)', () => {
  const cases: [string, string, number][] = [
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['1.6-2.1+deb12u2', '1.6-2.1+deb12u3', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~', '1.0~~', 1],
    ['1:1.0', '2.0', 1],
    ['0:1.0', '1.0', 0],
    ['1.0-1', '1.0', 1],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0+', -1],
    ['3.0.20-1~deb12u2', '3.0.22-1~deb12u2', -1],
    ['590-2.1~deb12u2', '590-2.1', -1],
    ['20230311+deb12u1', '20250419~deb12u2', -1],
  ]
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b} → ${want}`, () => {
      expect(Math.sign(compareDebVersions(a, b))).to.equal(want)
      expect(Math.sign(compareDebVersions(b, a))).to.equal(-want)
    })
  }
})

describe('probes/apt: parsers on recorded output', () => {
  it('reads the cache age, dpkg status and apt-cache policy of every package', () => {
    const s = parseAptState(APT.installed.stdout)
    expect(s.now).to.equal(1795955384)
    expect(s.cacheTime).to.equal(1795955261)
    expect(s.lists).to.equal(3)
    expect(s.dpkg).to.deep.equal([
      { name: 'cron', arch: 'amd64', status: 'i', version: '3.0pl1-162' },
      { name: 'jq', arch: 'amd64', status: 'i', version: '1.6-2.1+deb12u3' },
      { name: 'libjq1', arch: 'amd64', status: 'i', version: '1.6-2.1+deb12u3' },
    ])
    expect(s.policy.jq).to.deep.equal({ installed: '1.6-2.1+deb12u3', candidate: '1.6-2.1+deb12u3', versions: ['1.6-2.1+deb12u3', '1.6-2.1+deb12u2'] })
    expect(s.policy.tree).to.deep.equal({ candidate: '2.1.0-1', versions: ['2.1.0-1'] })
    expect(s.policy['nosuchpkg-rmp']).to.equal(undefined)
    expect(s.autoremovable).to.deep.equal([])
    expect(s.upgradable).to.deep.equal([
      { name: 'perl-base', from: '5.36.0-7+deb12u3', to: '5.36.0-7+deb12u4' },
      { name: 'libpam-modules-bin', from: '1.5.2-6+deb12u2', to: '1.5.2-6+deb12u3' },
      { name: 'python3.11', from: '3.11.2-6+deb12u8', to: '3.11.2-6+deb12u9' },
      { name: 'ca-certificates', from: '20230311+deb12u1', to: '20250419~deb12u2' },
    ])
    expect(s.deb).to.equal(undefined)
  })

  it('a fresh host: lists never updated, a package dpkg only remembers ("un")', () => {
    const s = parseAptState(APT.fresh.stdout)
    expect(s.lists).to.equal(0)
    expect(s.cacheTime).to.equal(0)
    expect(s.dpkg).to.deep.equal([{ name: 'cron', arch: '', status: 'n', version: '' }])
    expect(s.policy.cron).to.deep.equal({ versions: [] })
  })

  it('a .deb file on the host, and one that is not there', () => {
    expect(parseAptState(APT.deb.stdout).deb).to.deep.equal({ exists: true, name: 'tree', version: '2.1.0-1', arch: 'amd64' })
    expect(parseAptState(APT.debMissing.stdout).deb).to.deep.equal({ exists: false })
  })

  it('small parsers', () => {
    expect(parseDpkgQuery('jq\tamd64\trc \t1.6\n')).to.deep.equal([{ name: 'jq', arch: 'amd64', status: 'c', version: '1.6' }])
    expect(parseAutoremove('NOTE: simulation\nRemv libfoo1 [1.0-1]\nRemv bar [2]\n')).to.deep.equal(['libfoo1', 'bar'])
    expect(parseSimulatedInstalls('Inst newpkg (1.0 Debian:12/stable [all])\n')).to.deep.equal([{ name: 'newpkg', to: '1.0' }])
    expect(parseAptPolicy('foo:i386:\n  Installed: (none)\n  Candidate: 2\n  Version table:\n     2 500\n')).to.deep.equal({
      'foo:i386': { candidate: '2', versions: ['2'] },
    })
    expect(baseName('jq=1.6*')).to.equal('jq')
    expect(baseName('libc6:i386')).to.equal('libc6:i386')
  })

  it('the probe id captures everything the script depends on; names are quoted', () => {
    const a = aptProbe({ names: ['jq', "x'y"] })
    expect(a.script.text).to.include(`'x'\\''y'`)
    expect(a.id).to.equal(aptProbeId({ names: ["x'y", 'jq'] }))
    expect(aptProbeId({ names: ['jq'], defaultRelease: 'bookworm-backports' })).to.not.equal(aptProbeId({ names: ['jq'] }))
    expect(aptProbeId({ names: ['jq'], upgrade: 'dist-upgrade' })).to.not.equal(aptProbeId({ names: ['jq'], upgrade: 'upgrade' }))
    expect(aptProbe({ names: ['jq'], defaultRelease: 'bookworm-backports' }).script.text).to.include(
      'apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -t bookworm-backports policy -- jq',
    )
  })

  it('reads the clock only when asked (a date less for a probe that does not need the time)', () => {
    expect(aptProbe({ names: ['jq'], now: true }).script.text).to.include('echo "now=$(date +%s)"')
    expect(aptProbe({ names: ['jq'] }).script.text).to.not.include('date +%s')
    expect(aptProbeId({ names: ['jq'], now: true })).to.not.equal(aptProbeId({ names: ['jq'] }))
    expect(parseAptState('@@head\ncache_time=5\nlists=3\n@@dpkg\n@@policy\n@@end\n')).to.include({ now: 0, cacheTime: 5, lists: 3 })
  })
})
