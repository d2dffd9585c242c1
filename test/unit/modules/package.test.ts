// package hands its arguments to the module ansible_pkg_mgr (or `use`) names, as Ansible's
// package action does: the probes and plan are that module's, an argument it lacks fails, a
// manager rm-play has no module for fails with its name.
import { expect } from 'chai'
import { pkg, type PackageArgs } from '../../../src/modules/package.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type ProbeContext } from '../../../src/modules/types.js'
import { parseDnfState } from '../../../src/probes/rpm.js'
import { DNF_PROBE } from '../probes/rpm-recorded.js'

const on = (pkgMgr?: string): ProbeContext => ({ host: 'h', facts: pkgMgr ? { pkg_mgr: pkgMgr } : {}, check: false, diff: false })
const args = (input: Record<string, unknown>) => checkArgs(pkg.args, input, false).args as PackageArgs
const probeIds = (input: Record<string, unknown>, ctx: ProbeContext) =>
  Object.entries(pkg.probes(args(input), ctx)).map(([k, p]) => `${k}:${(p as { id: string }).id.split(':')[0]}`)

describe('modules/package', () => {
  it('dispatches on ansible_pkg_mgr: apt on Debian, dnf for dnf and yum; use overrides the fact', () => {
    expect(probeIds({ name: 'jq' }, on('apt'))).to.deep.equal(['apt:apt'])
    expect(probeIds({ name: 'jq' }, on('dnf'))).to.deep.equal(['dnf:dnf'])
    expect(probeIds({ name: 'jq' }, on('yum'))).to.deep.equal(['dnf:dnf'])
    expect(probeIds({ name: 'jq', use: 'dnf' }, on('apt'))).to.deep.equal(['dnf:dnf'])
  })
  it("plans as the chosen module: dnf's install on a dnf host", () => {
    const ch = pkg.plan(args({ name: ['nginx', 'jq'], state: 'present' }), { dnf: parseDnfState(DNF_PROBE.present) }, on('dnf'))
    expect(ch.map((c) => c.summary)).to.deep.equal(['install jq (1.6-17.el9)'])
  })
  it('no fact and no use, a manager without a module, an argument the module lacks: clear failures', () => {
    expect(() => pkg.probes(args({ name: 'jq' }), on())).to.throw(ModuleFailure, 'Could not detect which package manager to use')
    expect(() => pkg.probes(args({ name: 'jq' }), on('zypper'))).to.throw(
      ModuleFailure,
      "rm-play has no module for the package manager 'zypper' (the host's ansible_pkg_mgr is 'zypper'); package works with apt, dnf, yum",
    )
    expect(() => pkg.probes(args({ name: 'jq', cache_valid_time: 3600 }), on('dnf'))).to.throw(
      ModuleFailure,
      "package: (dnf) unknown argument 'cache_valid_time'",
    )
    expect(() => pkg.probes(args({ name: 'jq', state: 'fixed' }), on('apt'))).to.throw(ModuleFailure, "package: (apt) argument 'state' must be one of")
  })
  it('at load time: an argument neither apt nor dnf takes is an error; with a literal use, that module checks all', () => {
    expect(pkg.validate!(args({ name: 'jq', enablerepo: ['crb'], cache_valid_time: 60 }))).to.deep.equal([])
    expect(pkg.validate!(args({ name: 'jq', enablerepos: ['crb'] }))).to.deep.equal(["unknown argument 'enablerepos': neither apt nor dnf takes it"])
    expect(pkg.validate!(args({ name: 'jq', use: 'apt', enablerepo: ['crb'] }))[0]).to.match(/^\(apt\) unknown argument 'enablerepo'/)
    expect(pkg.validate!(args({ name: 'Bad Name', use: 'apt' }))[0]).to.match(/'Bad Name' is not a Debian package name/)
    expect(pkg.validate!(args({ name: 'jq', use: 'pacman' }))).to.deep.equal([
      "use: rm-play has no module for the package manager 'pacman' (it has apt, dnf, yum)",
    ])
  })
})
