// apt's plan: (arguments, state recorded on a lab host) → changes; then the state after the
// change → no change. Also argument errors.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { apt, type AptArgs } from '../../../src/modules/apt.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { parseAptState, type AptState, type DpkgEntry } from '../../../src/probes/apt.js'
import { APT } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...real, check: true }

function args(input: Record<string, unknown>): AptArgs {
  const { args, problems } = checkArgs(apt.args, input, false)
  expect(problems).to.deep.equal([])
  return args as AptArgs
}

function planOf(input: Record<string, unknown>, st: AptState, ctx = real): Change[] {
  const a = args(input)
  const probes = apt.probes(a, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(apt.plan(a, { apt: st }, ctx), ctx.check)
}

const installed = (): AptState => parseAptState(APT.installed.stdout)
const fresh = (): AptState => parseAptState(APT.fresh.stdout)
const script = (c: Change, i = 0) => (c.steps[i] as ExecStep).script.text

/** The state after apt did what a change said: the named packages at their new versions. */
function withPackages(s: AptState, pkgs: Record<string, string | null>): AptState {
  const dpkg: DpkgEntry[] = s.dpkg.filter((e) => !(e.name in pkgs))
  for (const [name, version] of Object.entries(pkgs)) if (version !== null) dpkg.push({ name, arch: 'amd64', status: 'i', version })
  return { ...s, dpkg }
}

describe('modules/apt: the clock', () => {
  it('is read for the cache age only; without update_cache or cache_valid_time, plans and results do not depend on it', () => {
    const probeOf = (input: Record<string, unknown>) => apt.probes(args(input), real).apt
    for (const input of [{ update_cache: true }, { name: ['jq'], cache_valid_time: 3600 }, { name: ['jq'], update_cache: true }])
      expect(probeOf(input).script.text, JSON.stringify(input)).to.include('date +%s')
    const noClock = [
      { name: ['tree', 'jq', 'cron'] },
      { name: ['procps'] },
      { name: ['procps'], state: 'latest' },
      { name: ['procps'], state: 'absent' },
      { name: ['nosuchpkg'] },
      { upgrade: 'dist' },
      { autoremove: true },
    ]
    for (const input of noClock) {
      expect(probeOf(input).script.text, JSON.stringify(input)).to.not.include('date +%s')
      for (const st of [installed(), fresh()]) {
        const outcome = (s: AptState) => {
          const a = args(input)
          try {
            return {
              plan: settleNeeds(apt.plan(a, { apt: s }, real), false),
              check: settleNeeds(apt.plan(a, { apt: s }, check), true),
              result: apt.result?.(a, { apt: s }, [], real),
            }
          } catch (e) {
            return { error: (e as Error).message }
          }
        }
        expect(outcome({ ...st, now: 0 }), JSON.stringify(input)).to.deep.equal(outcome(st))
      }
    }
  })
})

describe('modules/apt: plan', () => {
  it('installs what is missing, in one apt-get transaction, non-interactive, waiting for the lock', () => {
    const ch = planOf({ name: ['tree', 'jq', 'cron'] }, installed())
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('install tree (2.1.0-1)')
    const step = ch[0]!.steps[0] as ExecStep
    expect(step.script.text)
      .to.match(/^rmp_apt_get\(\) \{\n/)
      .and.match(/\nrmp_apt_get -y -q -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -- tree$/)
    expect(step.env).to.deep.include({ DEBIAN_FRONTEND: 'noninteractive' })
    expect(ch[0]!.diff).to.deep.equal({ before: 'tree: (absent)\n', after: 'tree: 2.1.0-1\n' })
    expect(ch[0]!.uncertain).to.equal(undefined)
    expect(planOf({ name: ['tree', 'jq', 'cron'] }, withPackages(installed(), { tree: '2.1.0-1' }))).to.deep.equal([])
  })

  it('two missing packages are one change with one step', () => {
    const s = withPackages(installed(), { jq: null })
    const ch = planOf({ name: 'tree,jq', install_recommends: false, lock_timeout: 60 }, s)
    expect(ch).to.have.length(1)
    expect(ch[0]!.steps).to.have.length(1)
    expect(script(ch[0]!)).to.match(/-o DPkg::Lock::Timeout=60 .* --no-install-recommends install -- tree jq$/)
    expect(ch[0]!.summary).to.equal('install tree (2.1.0-1) jq (1.6-2.1+deb12u3)')
  })

  it('a pinned version: downgrade with allow_downgrade, then nothing', () => {
    const input = { name: ['jq=1.6-2.1+deb12u2', 'libjq1=1.6-2.1+deb12u2'], allow_downgrade: true }
    const ch = planOf(input, installed())
    expect(ch[0]!.summary).to.equal('downgrade jq (1.6-2.1+deb12u3 → 1.6-2.1+deb12u2) libjq1 (1.6-2.1+deb12u3 → 1.6-2.1+deb12u2)')
    expect(script(ch[0]!)).to.match(/--allow-downgrades install -- jq=1\.6-2\.1\+deb12u2 libjq1=1\.6-2\.1\+deb12u2$/)
    expect(ch[0]!.diff).to.deep.equal({ before: 'jq: 1.6-2.1+deb12u3\nlibjq1: 1.6-2.1+deb12u3\n', after: 'jq: 1.6-2.1+deb12u2\nlibjq1: 1.6-2.1+deb12u2\n' })
    expect(planOf(input, withPackages(installed(), { jq: '1.6-2.1+deb12u2', libjq1: '1.6-2.1+deb12u2' }))).to.deep.equal([])
  })

  it('a version prefix picks the newest matching version; an installed match is enough', () => {
    const s = withPackages(installed(), { jq: null })
    const ch = planOf({ name: 'jq=1.6-2.1*' }, s)
    expect(script(ch[0]!)).to.match(/install -- jq=1\.6-2\.1\+deb12u3$/)
    expect(planOf({ name: 'jq=1.6*' }, installed())).to.deep.equal([])
  })

  it('a version nobody has is an error', () => {
    expect(() => planOf({ name: 'jq=9.9' }, installed())).to.throw(ModuleFailure, "No package matching 'jq (version 9.9)' is available")
  })

  it('latest upgrades to the candidate, then nothing', () => {
    const old = withPackages(installed(), { jq: '1.6-2.1+deb12u2' })
    old.policy = { ...old.policy, jq: { installed: '1.6-2.1+deb12u2', candidate: '1.6-2.1+deb12u3', versions: ['1.6-2.1+deb12u3', '1.6-2.1+deb12u2'] } }
    const ch = planOf({ name: ['jq', 'cron'], state: 'latest' }, old)
    expect(ch[0]!.summary).to.equal('upgrade jq (1.6-2.1+deb12u2 → 1.6-2.1+deb12u3)')
    expect(script(ch[0]!)).to.match(/ install -- jq$/)
    expect(planOf({ name: ['jq', 'cron'], state: 'latest' }, installed())).to.deep.equal([])
  })

  it('only_upgrade never installs a new package', () => {
    expect(planOf({ name: ['tree'], state: 'latest', only_upgrade: true }, installed())).to.deep.equal([])
  })

  it('absent removes (purge: with configuration), then nothing; config files left behind are purged only with purge', () => {
    const ch = planOf({ name: ['jq', 'tree'], state: 'absent' }, installed())
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('remove jq')
    expect(script(ch[0]!)).to.match(/ remove -- jq$/)
    expect(ch[0]!.diff).to.deep.equal({ before: 'jq: 1.6-2.1+deb12u3\n', after: 'jq: (absent)\n' })
    const gone = withPackages(installed(), { jq: null })
    expect(planOf({ name: ['jq', 'tree'], state: 'absent' }, gone)).to.deep.equal([])
    const rc: AptState = { ...gone, dpkg: [...gone.dpkg, { name: 'jq', arch: 'amd64', status: 'c', version: '1.6-2.1+deb12u3' }] }
    expect(planOf({ name: 'jq', state: 'absent' }, rc)).to.deep.equal([])
    const p = planOf({ name: 'jq', state: 'absent', purge: true, autoremove: true }, rc)
    expect(script(p[0]!)).to.match(/ --auto-remove purge -- jq$/)
    expect(p[0]!.diff).to.deep.equal({ before: 'jq: (config files)\n', after: 'jq: (absent)\n' })
  })

  it('absent with a version removes only that version', () => {
    expect(planOf({ name: 'jq=1.0', state: 'absent' }, installed())).to.deep.equal([])
    expect(planOf({ name: 'jq=1.6-2.1+deb12u3', state: 'absent' }, installed())).to.have.length(1)
  })

  it('an unknown package is a clear error; with empty lists the hint says update_cache', () => {
    expect(() => planOf({ name: ['nosuchpkg-rmp', 'tree'] }, installed())).to.throw(
      ModuleFailure,
      "No package matching 'nosuchpkg-rmp' is available (maybe the package lists are out of date: add update_cache: true)",
    )
    expect(() => planOf({ name: 'jq' }, fresh())).to.throw(ModuleFailure, 'the apt package lists are empty: add update_cache: true')
    // Also in check mode: nothing would make it appear.
    expect(() => planOf({ name: 'nosuchpkg-rmp' }, installed(), check)).to.throw(ModuleFailure)
  })

  it('update_cache on a fresh host: an uncertain update, then installs that wait for it (checked by name first)', () => {
    const ch = planOf({ name: ['jq', 'tree'], update_cache: true }, fresh(), check)
    expect(ch.map((c) => [c.summary, !!c.uncertain])).to.deep.equal([
      ['update the apt cache (never updated)', true],
      ['install jq tree (not in the apt cache yet; known after the update)', true],
    ])
    expect(script(ch[0]!)).to.equal(
      'apt-get -q -o DPkg::Lock::Timeout=60 update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp',
    )
    expect(script(ch[1]!)).to.include('for p in jq tree; do')
    expect(script(ch[1]!)).to.include('echo "No package matching$missing is available" >&2; exit 100')
    expect(script(ch[1]!)).to.match(/\nrmp_apt_get .* install -- jq tree$/)
    // The same plan in a real run: check mode and apply share it.
    expect(planOf({ name: ['jq', 'tree'], update_cache: true }, fresh(), real)).to.deep.equal(ch)
  })

  it('cache_valid_time: a fresh cache is not updated, an old one is', () => {
    const s = installed() // 123 s old
    expect(planOf({ name: 'jq', cache_valid_time: 3600 }, s)).to.deep.equal([])
    const ch = planOf({ name: 'jq', cache_valid_time: 60 }, s)
    expect(ch.map((c) => c.summary)).to.deep.equal(['update the apt cache (123s old)'])
    expect(ch[0]!.diff).to.deep.equal({ before: 'apt cache: 123s old\n', after: 'apt cache: updated\n' })
    expect(planOf({ update_cache: true }, s).map((c) => c.summary)).to.deep.equal(['update the apt cache (123s old)'])
  })

  it('as Ansible: beside packages the cache refresh is not a change (present packages: ok); alone it is', () => {
    const s = installed() // jq installed
    const withPackages = planOf({ name: ['jq'], update_cache: true }, s)
    expect(withPackages.map((c) => [c.summary, !!c.quiet])).to.deep.equal([['update the apt cache (123s old)', true]])
    expect(planOf({ update_cache: true }, s).map((c) => !!c.quiet)).to.deep.equal([false])
    expect(planOf({ upgrade: 'dist', update_cache: true }, s)[0]!.quiet).to.equal(true)
  })

  it('latest with a cache update asks apt again for the installed packages after the update', () => {
    const ch = planOf({ name: ['jq', 'tree'], state: 'latest', update_cache: true, cache_valid_time: 60 }, installed())
    expect(ch[1]!.summary).to.equal('install tree (2.1.0-1); upgrade jq if the updated cache has newer versions')
    expect(script(ch[1]!)).to.match(/ install -- tree jq$/)
    expect(ch[1]!.uncertain).to.equal(undefined)
  })

  it('deb: installs the file unless that version is installed; a missing file fails (check mode: uncertain)', () => {
    const s = parseAptState(APT.deb.stdout)
    const ch = planOf({ deb: '/var/cache/apt/archives/tree_2.1.0-1_amd64.deb' }, s)
    expect(ch[0]!.summary).to.equal('install tree (2.1.0-1)')
    expect(script(ch[0]!)).to.match(/ install -- \/var\/cache\/apt\/archives\/tree_2\.1\.0-1_amd64\.deb$/)
    expect(planOf({ deb: '/var/cache/apt/archives/tree_2.1.0-1_amd64.deb' }, withPackages(s, { tree: '2.1.0-1' }))).to.deep.equal([])
    const m = parseAptState(APT.debMissing.stdout)
    expect(() => planOf({ deb: '/nonexistent.deb' }, m)).to.throw(ModuleFailure, 'deb file not found on the host: /nonexistent.deb')
    const c = planOf({ deb: '/nonexistent.deb' }, m, check)
    expect(c[0]!.uncertain).to.equal(true)
    expect(c[0]!.summary).to.match(/the \.deb file is not on the host yet/)
  })

  it('autoremove alone, and upgrade: only when apt would do something', () => {
    const s: AptState = { ...installed(), autoremovable: ['libfoo1', 'bar'] }
    const ch = planOf({ autoremove: true, purge: true }, s)
    expect(ch.map((c) => c.summary)).to.deep.equal(['autoremove libfoo1 bar'])
    expect(script(ch[0]!)).to.match(/ autoremove --purge$/)
    expect(planOf({ autoremove: true }, installed())).to.deep.equal([])
    const up = planOf({ upgrade: 'dist' }, installed())
    expect(up[0]!.summary).to.equal('dist-upgrade the system: perl-base libpam-modules-bin python3.11 ca-certificates')
    expect(script(up[0]!)).to.match(/ dist-upgrade$/)
    expect(up[0]!.diff!.before).to.include('perl-base: 5.36.0-7+deb12u3\n')
    expect(planOf({ upgrade: 'yes' }, { ...installed(), upgradable: [] })).to.deep.equal([])
  })

  it('every value reaching the shell is quoted', () => {
    const ch = planOf({ name: 'tree', default_release: "bookworm'x", dpkg_options: 'force-confnew' }, installed())
    expect(script(ch[0]!)).to.include(`-t 'bookworm'\\''x'`)
    expect(script(ch[0]!)).to.include('-o Dpkg::Options::=--force-confnew')
  })
})

describe('modules/apt: arguments', () => {
  const errors = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(apt.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : apt.validate!(args as never))]
  }
  it('rejects names that are not package names, deb URLs, and contradictions', () => {
    expect(errors({ name: '-o APT::x=1' })).to.deep.equal([
      "'-o APT::x=1' is not a Debian package name (lowercase letters, digits, + . -; optionally :arch and =version)",
    ])
    expect(errors({ name: 'jq=1*2' })).to.deep.equal(["'jq=1*2': '*' is only allowed at the end of a version"])
    expect(errors({ deb: 'https://x/y.deb' })).to.deep.equal(['deb must be a path on the host; download the file first (get_url)'])
    expect(errors({ deb: 'y.deb' })).to.deep.equal(["deb must be an absolute path, got 'y.deb'"])
    expect(errors({ deb: '/y.deb', name: 'x' })).to.deep.equal(["arguments 'deb' and 'name' are mutually exclusive"])
    expect(errors({ name: 'x', update_cache: false, cache_valid_time: 10 })).to.have.length(1)
    expect(errors({ name: 'x', state: 'fixed' })[0]).to.match(/argument 'state' must be one of/)
  })
  it('accepts Ansible spellings', () => {
    expect(
      errors({ pkg: ['nginx', 'libc6:amd64', 'python3.11=3.11.2-6+deb12u9'], 'update-cache': 'yes', state: 'installed', 'install-recommends': 'no' }),
    ).to.deep.equal([])
  })
  it('result: cache_updated and the packages changed', () => {
    const a = args({ name: 'tree', update_cache: true })
    const s = installed()
    const ch = settleNeeds(apt.plan(a, { apt: s }, real), real.check)
    const outputs = ch.flatMap((c) => c.steps).map((step) => ({ step, code: 0, stdout: '', stderr: '' }))
    expect(apt.result!(a, { apt: s }, outputs, real)).to.deep.equal({
      cache_updated: true,
      cache_update_time: s.now,
      packages: { tree: { before: '(absent)', after: '2.1.0-1' } },
    })
  })
})
