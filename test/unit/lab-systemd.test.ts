// The pure parts of systemd lab hosts: which kind a host gets, the launcher script, readiness from
// the boot console, the layer's build script, and the names of the test labs.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { launchScript } from '../../src/lab/host-process.js'
import { layerBuildScript } from '../../src/lab/systemd-image.js'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cgroupHierarchies, checkCgroupKill, consoleSaysSshStarted, kindOf, renderSystemdInit } from '../../src/lab/systemd-host.js'
import { labInitKind } from '../../src/lab/up.js'
import { testLabName } from '../helpers/lab.js'

const INPUT = {
  lab: 'lab',
  hierarchies: ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'],
  hostname: 'lab1',
  netns: 'rmp-lab-h1',
  base: '/var/cache/rm-play/base-bookworm',
  layer: '/var/cache/rm-play/systemd-bookworm-layer',
  upper: "/var/lib/rm-play/lab/lab/hosts/lab1/up'per",
  work: '/var/lib/rm-play/lab/lab/hosts/lab1/work',
  root: '/var/lib/rm-play/lab/lab/hosts/lab1/root',
}

describe('lab: systemd hosts', () => {
  it('a new lab gets systemd hosts unless told; an existing lab keeps its kind; the other kind is refused', () => {
    expect(labInitKind('lab', undefined, [])).to.equal('systemd')
    expect(labInitKind('lab', 'sysv', [])).to.equal('sysv')
    expect(labInitKind('lab', undefined, [{}])).to.equal('sysv') // hosts recorded before kinds existed
    expect(labInitKind('lab', undefined, [{ kind: 'systemd' }])).to.equal('systemd')
    expect(labInitKind('lab', 'systemd', [{ kind: 'systemd' }])).to.equal('systemd')
    expect(() => labInitKind('lab', 'systemd', [{}])).to.throw("lab 'lab' has sysv hosts, not systemd")
    expect(() => labInitKind('lab', 'upstart' as never, [])).to.throw("invalid --init 'upstart'")
    expect(kindOf({})).to.equal('sysv')
  })

  it('the launcher joins its own cgroups before nspawn starts, and quotes every path', () => {
    const s = renderSystemdInit(INPUT)
    expect(() => execFileSync('sh', ['-n', '-c', s])).to.not.throw()
    const join = s.indexOf('cgroup.procs')
    const boot = s.indexOf('exec unshare --mount --propagation private')
    expect(join).to.be.greaterThan(0)
    expect(boot).to.be.greaterThan(join)
    expect(s).to.include('for d in /sys/fs/cgroup/unified/rmp-lab/lab1 /sys/fs/cgroup/systemd/rmp-lab/lab1; do')
    expect(s).to.include('SYSTEMD_NSPAWN_LOCK=0')
    // the inner script is one quoted word; its own values are quoted inside it
    const inner = execFileSync('sh', ['-c', `${s.slice(boot).replace(/^exec unshare --mount --propagation private \/bin\/sh -c /, 'printf %s ')}`]).toString()
    expect(() => execFileSync('sh', ['-n', '-c', inner])).to.not.throw()
    expect(inner).to.include(`'lowerdir=${INPUT.layer}:${INPUT.base},upperdir=/var/lib/rm-play/lab/lab/hosts/lab1/up'\\''per,workdir=${INPUT.work}'`)
    for (const flag of [
      '--boot',
      '--directory=/var/lib/rm-play/lab/lab/hosts/lab1/root',
      '--machine=lab1',
      '--network-namespace-path=/run/netns/rmp-lab-h1',
      '--register=no',
      '--keep-unit',
      '--resolv-conf=off',
      '--console=read-only',
    ]) {
      expect(inner).to.include(flag)
    }
    expect(inner).to.match(/\[ "\$rc" -eq 133 \] \|\| exit "\$rc"/) // reboot boots again, anything else ends the host
  })

  it('cgroup hierarchies: pure v2, hybrid (v2 + name=systemd), or none usable (a clear error)', () => {
    const root = mkdtempSync(join(tmpdir(), 'rmp-cg-'))
    try {
      const touch = (rel: string) => {
        mkdirSync(join(root, rel, '..'), { recursive: true })
        writeFileSync(join(root, rel), '')
      }
      expect(cgroupHierarchies(root)).to.deep.equal([])
      expect(() => checkCgroupKill(cgroupHierarchies(root))).to.throw('systemd hosts need a cgroup v2 hierarchy')
      touch('systemd/cgroup.procs')
      expect(cgroupHierarchies(root)).to.deep.equal([join(root, 'systemd')])
      expect(() => checkCgroupKill(cgroupHierarchies(root))).to.throw('systemd hosts need a cgroup v2 hierarchy')
      touch('unified/cgroup.procs')
      touch('unified/cgroup.controllers')
      expect(cgroupHierarchies(root)).to.deep.equal([join(root, 'unified'), join(root, 'systemd')])
      expect(() => checkCgroupKill(cgroupHierarchies(root))).to.not.throw()
      touch('cgroup.controllers')
      expect(cgroupHierarchies(root)).to.deep.equal([root])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a systemd host is launched without ip netns exec or a pid namespace of ours (nspawn makes its own)', () => {
    const s = launchScript([{ name: 'lab1', kind: 'systemd', netns: 'rmp-lab-h1', initScript: '/s/init.sh', log: '/s/sshd.log' }])
    expect(s).to.match(/^env -i PATH=\S+ LANG=C\.UTF-8 setsid \/bin\/sh -- \/s\/init\.sh >\/s\/sshd\.log 2>&1 <\/dev\/null & echo lab1 \$!$/)
  })

  it('readiness: the console line that says sshd started, colours or not', () => {
    expect(consoleSaysSshStarted('[  OK  ] Started \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server.\n')).to.equal(true)
    expect(consoleSaysSshStarted('[  OK  ] Started ssh.service - OpenBSD Secure Shell server.\n')).to.equal(true)
    expect(consoleSaysSshStarted('         Starting ssh.service - OpenBSD Secure Shell server...\n')).to.equal(false)
    expect(consoleSaysSshStarted('[  OK  ] Started systemd-journald.service - Journal Service.\n')).to.equal(false)
  })

  it('the layer is built with no service starts and leaves no apt lists or machine-id behind', () => {
    const s = layerBuildScript({
      base: '/b',
      upper: '/u',
      work: '/w',
      root: '/r',
      aptProxyUrl: 'http://10.231.0.1:3142',
      aptLines: ['deb http://deb.debian.org/debian bookworm main'],
    })
    expect(() => execFileSync('sh', ['-n', '-c', s])).to.not.throw()
    expect(s).to.include('printf \'#!/bin/sh\\nexit 101\\n\' > "$R/usr/sbin/policy-rc.d"')
    expect(s.indexOf('exit 101')).to.be.lessThan(s.indexOf('apt-get'))
    expect(s).to.include('install -y -q --no-install-recommends systemd systemd-sysv dbus libpam-systemd')
    expect(s).to.include('rm -f "$R/usr/sbin/policy-rc.d"')
    expect(s).to.include(': > "$R/etc/machine-id"')
    expect(s).to.include('Storage=volatile')
  })

  it('test labs: the shared one is sysv; the systemd one is named after it, 7 characters at most', () => {
    const saved = { lab: process.env.RMP_TEST_LAB, sd: process.env.RMP_TEST_LAB_SYSTEMD }
    try {
      delete process.env.RMP_TEST_LAB
      delete process.env.RMP_TEST_LAB_SYSTEMD
      expect([testLabName(), testLabName('systemd')]).to.deep.equal(['rmtest', 'rmtests'])
      process.env.RMP_TEST_LAB = 'tsysd'
      expect(testLabName('systemd')).to.equal('tsysds')
      process.env.RMP_TEST_LAB = 'abcdefs'
      expect(testLabName('systemd')).to.equal('abcdefz')
      process.env.RMP_TEST_LAB_SYSTEMD = 'mine'
      expect(testLabName('systemd')).to.equal('mine')
    } finally {
      for (const [k, v] of [
        ['RMP_TEST_LAB', saved.lab],
        ['RMP_TEST_LAB_SYSTEMD', saved.sd],
      ] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })
})
