// dnf's probe (the exact commands), its parser (recorded-format outputs, see rpm-recorded.ts) and
// its plan: arguments + state → changes; the state after the change → no change. No RPM host is
// reachable here: this is where dnf is tested (and test/unit/modules/package-dnf.test.ts runs it
// through the engine against stand-in rpm/dnf commands).
import { expect } from 'chai'
import { dnf, type DnfArgs } from '../../../src/modules/dnf.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { parseDnfState, type DnfState } from '../../../src/probes/rpm.js'
import { DNF_PROBE } from '../probes/rpm-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

function args(input: Record<string, unknown>): DnfArgs {
  const { args, problems } = checkArgs(dnf.args, input, false)
  expect(problems).to.deep.equal([])
  expect(dnf.validate!(args as DnfArgs)).to.deep.equal([])
  return args as DnfArgs
}
const planOf = (input: Record<string, unknown>, s: DnfState): Change[] => dnf.plan(args(input), { dnf: s }, ctx)
const probeScript = (input: Record<string, unknown>) => dnf.probes(args(input), ctx).dnf.script.text
const step = (c: Change) => c.steps[0] as ExecStep
const state = (k: keyof typeof DNF_PROBE) => parseDnfState(DNF_PROBE[k])

describe('modules/dnf', () => {
  describe('probe', () => {
    it('asks rpm for every name, and dnf only about those rpm lacks', () => {
      expect(probeScript({ name: ['nginx', 'jq'] })).to.equal(`echo @@arch
uname -m
echo @@rpm
rpm -q --qf '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}\\n' -- nginx jq 2>/dev/null
echo @@available
set --
for p in nginx jq; do rpm -q --quiet -- "$p" || set -- "$@" "$p"; done
[ "$#" -eq 0 ] || dnf -q -y  repoquery --latest-limit=1 --qf '%{name} %{epoch} %{version} %{release} %{arch} %{repoid}' -- "$@" 2>/dev/null
echo @@end
exit 0`)
    })
    it('latest: also the upgrades; update_cache: makecache --refresh first; the repository options everywhere', () => {
      const s = probeScript({ name: 'nginx', state: 'latest', update_cache: true, enablerepo: 'crb', disablerepo: ['epel*'] })
      expect(s).to.include("\ndnf -q -y --refresh '--disablerepo=epel*' --enablerepo=crb makecache >/dev/null 2>&1\necho @@rpm\n")
      expect(s).to.include(
        "\necho @@upgrades\ndnf -q -y '--disablerepo=epel*' --enablerepo=crb repoquery --latest-limit=1 --qf '%{name} %{epoch} %{version} %{release} %{arch} %{repoid}' --upgrades -- nginx 2>/dev/null\n",
      )
      expect(probeScript({ name: 'nginx', state: 'absent' })).not.to.include('@@upgrades')
    })
  })

  describe('parser', () => {
    it('reads rpm -q lines (epoch "(none)" is 0), skips "not installed", picks the host arch among multilib', () => {
      expect(state('present')).to.deep.equal({
        installed: [{ name: 'nginx', epoch: 1, version: '1.20.1', release: '14.el9_2.1', arch: 'x86_64' }],
        available: {
          jq: { name: 'jq', epoch: 0, version: '1.6', release: '17.el9', arch: 'x86_64', repo: 'appstream' },
          tree: { name: 'tree', epoch: 0, version: '1.8.0', release: '10.el9', arch: 'x86_64', repo: 'baseos' },
        },
        upgrades: {},
      })
      expect(state('allInstalled').installed.map((p) => p.epoch)).to.deep.equal([1, 0, 0])
    })
  })

  describe('plan', () => {
    it('present: installs what is missing in one dnf transaction, with a diff; then nothing', () => {
      const ch = planOf({ name: ['nginx', 'jq', 'tree'] }, state('present'))
      expect(ch).to.have.length(1)
      expect(ch[0]!.summary).to.equal('install jq (1.6-17.el9) tree (1.8.0-10.el9)')
      expect(step(ch[0]!).script.text).to.equal('dnf -y install -- jq tree')
      expect(step(ch[0]!).env).to.deep.equal({ LC_ALL: 'C' })
      expect(ch[0]!.diff).to.deep.equal({ before: 'jq: (absent)\ntree: (absent)\n', after: 'jq: 1.6-17.el9\ntree: 1.8.0-10.el9\n' })
      expect(planOf({ name: ['nginx', 'jq', 'tree'], state: 'installed' }, state('allInstalled'))).to.deep.equal([])
    })
    it('latest: upgrades an installed package the repositories have newer (epoch shown); then nothing', () => {
      const ch = planOf({ name: 'nginx', state: 'latest' }, state('latest'))
      expect(ch.map((c) => c.summary)).to.deep.equal(['upgrade nginx (1:1.20.1-14.el9_2.1 → 1:1.20.1-16.el9_4.1)'])
      expect(step(ch[0]!).script.text).to.equal('dnf -y upgrade -- nginx')
      expect(ch[0]!.diff).to.deep.equal({ before: 'nginx: 1:1.20.1-14.el9_2.1\n', after: 'nginx: 1:1.20.1-16.el9_4.1\n' })
      expect(planOf({ name: 'nginx', state: 'latest' }, state('allInstalled'))).to.deep.equal([])
      // present does not upgrade
      expect(planOf({ name: 'nginx' }, state('latest'))).to.deep.equal([])
    })
    it('latest: a missing package is installed', () => {
      const ch = planOf({ name: ['jq', 'nginx'], state: 'latest' }, state('present'))
      expect(ch.map((c) => step(c).script.text)).to.deep.equal(['dnf -y install -- jq'])
    })
    it('absent: removes without taking dependencies along (Ansible: autoremove false); then nothing', () => {
      const ch = planOf({ name: ['nginx', 'jq'], state: 'absent' }, state('present'))
      expect(ch.map((c) => c.summary)).to.deep.equal(['remove nginx'])
      expect(step(ch[0]!).script.text).to.equal('dnf -y remove --noautoremove -- nginx')
      expect(ch[0]!.diff).to.deep.equal({ before: 'nginx: 1:1.20.1-14.el9_2.1\n', after: 'nginx: (absent)\n' })
      expect(planOf({ name: ['jq'], state: 'removed' }, state('present'))).to.deep.equal([])
    })
    it('repository options and --nogpgcheck reach the transaction', () => {
      const ch = planOf({ name: 'jq', enablerepo: ['crb'], disablerepo: ['epel'], disable_gpg_check: true }, state('present'))
      expect(step(ch[0]!).script.text).to.equal('dnf -y --disablerepo=epel --enablerepo=crb --nogpgcheck install -- jq')
    })
    it("a package no repository offers fails before anything runs, with Ansible's words", () => {
      expect(() => planOf({ name: 'rmp-no-such-package' }, state('unknown'))).to.throw(
        ModuleFailure,
        'Failed to install some of the specified packages: No package rmp-no-such-package available.',
      )
    })
    it('result: Ansible\'s results lines, and "Nothing to do"', () => {
      const a = args({ name: ['jq', 'tree'] })
      expect(dnf.result!(a, { dnf: state('present') }, [], ctx)).to.deep.include({
        results: ['Installed: jq-1.6-17.el9.x86_64', 'Installed: tree-1.8.0-10.el9.x86_64'],
      })
      expect(dnf.result!(a, { dnf: state('allInstalled') }, [], ctx)).to.deep.include({ results: [], msg: 'Nothing to do' })
    })
  })

  describe('arguments', () => {
    it('refuses versions, globs, groups and paths; yum is the same module', async () => {
      const bad = (n: string) => dnf.validate!(checkArgs(dnf.args, { name: n }, false).args as DnfArgs)
      for (const n of ['nginx-1.20*', '@web-server', '/tmp/x.rpm', 'nginx >= 1.20']) expect(bad(n), n).to.have.length(1)
      const { getModule } = await import('../../../src/modules/index.js')
      expect(getModule('ansible.builtin.yum')).to.equal(getModule('dnf'))
    })
  })
})
