// pip's plan on recorded states: what gets installed, upgraded, removed, and when nothing runs.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { joinSpecifiers, pip, type PipArgs } from '../../../src/modules/pip.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import type { InstalledPackage, PipState } from '../../../src/probes/pip.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const ENV = { python_version: '3.11', sys_platform: 'linux', os_name: 'posix', platform_system: 'Linux' }
const VENV_PKGS: InstalledPackage[] = [
  { name: 'pip', version: '23.0.1', location: '/srv/venv/lib/python3.11/site-packages' },
  { name: 'setuptools', version: '66.1.1', location: '/srv/venv/lib/python3.11/site-packages' },
  { name: 'six', version: '1.16.0', location: '/usr/lib/python3/dist-packages' },
]

function args(input: Record<string, unknown>): PipArgs {
  const { args, problems } = checkArgs(pip.args, input, false)
  expect(problems).to.deep.equal([])
  return args as PipArgs
}

function planOf(a: PipArgs, st: PipState, c: ProbeContext = ctx): Change[] {
  const probes = pip.probes(a, c)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(pip.plan(a, { pip: st }, c), c.check)
}

const venv = (over: Partial<PipState> = {}): PipState => ({
  chdir: true,
  venv: 'present',
  pip: true,
  installed: VENV_PKGS,
  markerEnv: ENV,
  prefix: '/srv/venv',
  files: [],
  missingFiles: [],
  ...over,
})
const scripts = (ch: Change) => ch.steps.map((s) => (s as ExecStep).script.text)

describe('modules/pip: plan', () => {
  it('creates a missing virtualenv (with system site packages) and installs; the venv then satisfies it', () => {
    const a = args({ name: 'six', virtualenv: '/srv/venv', virtualenv_site_packages: true })
    const ch = planOf(a, { chdir: true, venv: 'absent', pip: false, installed: [], markerEnv: {}, files: [], missingFiles: [] })
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('create virtualenv /srv/venv and install six')
    expect(scripts(ch[0]!)[0]).to.equal('python3 -m venv --system-site-packages /srv/venv || { rc=$?; rm -rf -- /srv/venv; exit $rc; }')
    // A directory that was there before is not removed when creation fails.
    expect(
      scripts(planOf(a, { chdir: true, venv: 'absent', venvDir: true, pip: false, installed: [], markerEnv: {}, files: [], missingFiles: [] })[0]!)[0],
    ).to.equal('python3 -m venv --system-site-packages /srv/venv')
    expect(scripts(ch[0]!)[1]).to.include('set -- /srv/venv/bin/python -m pip\n"$@" install six')
    expect(planOf(a, venv())).to.deep.equal([])
  })

  it('a requirements file whose packages are all there (some from Debian) is ok without running pip', () => {
    const a = args({ requirements: 'requirements.txt', chdir: '/srv/app', virtualenv: '/srv/venv' })
    const files = [
      { path: 'requirements.txt', lines: ['six>=1.10  # from Debian', '-r sub/more.txt'] },
      { path: './sub/more.txt', lines: ['setuptools', 'foo ; python_version < "3"'] },
    ]
    expect(planOf(a, venv({ files }))).to.deep.equal([])
  })

  it('one unmet requirement in the file: pip install -r the file, in chdir', () => {
    const a = args({ requirements: 'requirements.txt', chdir: '/srv/app', virtualenv: '/srv/venv' })
    const ch = planOf(a, venv({ files: [{ path: 'requirements.txt', lines: ['six>=1.10', 'gunicorn==21.2.0'] }] }))
    expect(ch[0]!.summary).to.equal('install gunicorn==21.2.0 (from requirements.txt) in /srv/venv')
    expect(scripts(ch[0]!)[0]).to.include('"$@" install -r requirements.txt')
    expect((ch[0]!.steps[0] as ExecStep).cwd).to.equal('/srv/app')
    expect(ch[0]!.diff).to.deep.equal({ before: 'gunicorn: (not installed)\n', after: 'gunicorn==21.2.0\n' })
  })

  it('names: only the unmet ones are installed; a version that does not satisfy is one', () => {
    const a = args({ name: ['six>=2', 'setuptools'], virtualenv: '/srv/venv' })
    const ch = planOf(a, venv())
    expect(ch[0]!.summary).to.equal('install six>=2 in /srv/venv')
    expect(scripts(ch[0]!)[0]).to.include('"$@" install \'six>=2\'')
    expect(ch[0]!.diff).to.deep.equal({ before: 'six: 1.16.0\n', after: 'six>=2\n' })
    expect(planOf(a, venv({ installed: [...VENV_PKGS.filter((p) => p.name !== 'six'), { name: 'six', version: '2.0.1' }] }))).to.deep.equal([])
  })

  it('version pins the single name; extra_args are passed as words', () => {
    const a = args({ name: 'six', version: '1.15.0', virtualenv: '/srv/venv', extra_args: "--no-index --find-links '/srv/my wheels'" })
    const ch = planOf(a, venv())
    expect(scripts(ch[0]!)[0]).to.include('"$@" install --no-index --find-links \'/srv/my wheels\' six==1.15.0')
  })

  it("absent: only the environment's own packages are removed, not the system's seen through site packages", () => {
    expect(planOf(args({ name: 'six', state: 'absent', virtualenv: '/srv/venv' }), venv())).to.deep.equal([])
    const ch = planOf(args({ name: ['setuptools', 'flask'], state: 'absent', virtualenv: '/srv/venv' }), venv())
    expect(ch[0]!.summary).to.equal('uninstall setuptools in /srv/venv')
    expect(scripts(ch[0]!)[0]).to.include('"$@" uninstall -y setuptools')
    expect(ch[0]!.diff).to.deep.equal({ before: 'setuptools: 66.1.1\n', after: 'setuptools: (absent)\n' })
    expect(
      planOf(args({ name: 'setuptools', state: 'absent', virtualenv: '/srv/venv' }), venv({ installed: VENV_PKGS.filter((p) => p.name !== 'setuptools') })),
    ).to.deep.equal([])
    expect(planOf(args({ name: 'x', state: 'absent', virtualenv: '/srv/venv' }), { ...venv(), venv: 'absent', pip: false })).to.deep.equal([])
  })

  it('latest: upgrade what the index has newer; ok when nothing is outdated', () => {
    const a = args({ name: ['six', 'setuptools'], state: 'latest', virtualenv: '/srv/venv' })
    const ch = planOf(a, venv({ outdated: { setuptools: '69.0.0' } }))
    expect(ch[0]!.summary).to.equal('upgrade setuptools in /srv/venv')
    expect(scripts(ch[0]!)[0]).to.include('"$@" install -U setuptools')
    expect(ch[0]!.diff).to.deep.equal({ before: 'setuptools: 66.1.1\n', after: 'setuptools: 69.0.0\n' })
    expect(planOf(a, venv({ outdated: {} }))).to.deep.equal([])
  })

  it('latest with an index that cannot be asked: would run, said so', () => {
    const ch = planOf(args({ name: 'six', state: 'latest', virtualenv: '/srv/venv' }), venv({ outdated: { error: 'ERROR: Could not fetch URL' } }))
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/cannot ask the index: ERROR: Could not fetch URL/)
  })

  it('URLs and editables cannot be compared: would run every time, said so', () => {
    const a = args({ requirements: 'r.txt', virtualenv: '/srv/venv' })
    const ch = planOf(a, venv({ files: [{ path: 'r.txt', lines: ['six', '-e git+https://x/y.git#egg=y'] }] }))
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/cannot check -e git\+https/)
  })

  it('forcereinstall always reinstalls', () => {
    const ch = planOf(args({ name: 'six', state: 'forcereinstall', virtualenv: '/srv/venv' }), venv())
    expect(scripts(ch[0]!)[0]).to.include('"$@" install --force-reinstall six')
  })

  it('outside a virtualenv: pip3/pip/python3 -m pip, --break-system-packages when asked', () => {
    const ch = planOf(args({ name: 'flask', break_system_packages: true }), venv({ venv: 'none', prefix: '/usr' }))
    const s = scripts(ch[0]!)[0]!
    expect(s).to.include('if command -v pip3 >/dev/null 2>&1; then set -- pip3')
    expect(s).to.include('"$@" install --break-system-packages flask')
  })

  it('failures, and the same situations in check mode (an earlier task would fix them)', () => {
    const noPip = { ...venv({ venv: 'none' }), pip: false, pipError: '/usr/bin/python3: No module named pip' }
    expect(() => planOf(args({ name: 'six' }), noPip)).to.throw(ModuleFailure, 'pip is not available: /usr/bin/python3: No module named pip')
    expect(planOf(args({ name: 'six' }), noPip, { ...ctx, check: true })[0]!.uncertain).to.equal(true)
    const noFile = venv({ missingFiles: ['r.txt'] })
    expect(() => planOf(args({ requirements: 'r.txt', virtualenv: '/srv/venv' }), noFile)).to.throw(ModuleFailure, 'requirements file not found: r.txt')
    expect(planOf(args({ requirements: 'r.txt', virtualenv: '/srv/venv' }), noFile, { ...ctx, check: true })[0]!.summary).to.match(/does not exist yet/)
    expect(() => planOf(args({ name: 'six', chdir: '/nope' }), { ...venv(), chdir: false })).to.throw(ModuleFailure, 'chdir /nope does not exist')
  })
})

describe('modules/pip: arguments', () => {
  const problems = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(pip.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : pip.validate!(args as PipArgs))]
  }
  it('a specifier list split at its comma is put back together', () => {
    expect(joinSpecifiers(['six>=1.0', '<2', 'flask'])).to.deep.equal(['six>=1.0,<2', 'flask'])
    expect(args({ name: 'six>=1.0,<2' }).name).to.deep.equal(['six>=1.0', '<2'])
  })
  it('name or requirements, not both; executable or virtualenv, not both', () => {
    expect(problems({})).to.deep.equal(["one of 'name', 'requirements' is required"])
    expect(problems({ name: 'x', requirements: 'r.txt' })).to.deep.equal(["arguments 'name' and 'requirements' are mutually exclusive"])
    expect(problems({ name: 'x', executable: 'pip3', virtualenv: '/v' })).to.deep.equal(["arguments 'executable' and 'virtualenv' are mutually exclusive"])
  })
  it('version with several names, with a specifier, or with latest; venv with virtualenv_python', () => {
    expect(problems({ name: ['a', 'b'], version: '1' })).to.deep.equal(['version needs exactly one package in name'])
    expect(problems({ name: 'a>=1', version: '1' })).to.deep.equal(["version cannot be combined with a version specifier in name ('a>=1')"])
    expect(problems({ name: 'a', version: '1', state: 'latest' })).to.deep.equal(['version is incompatible with state=latest'])
    expect(problems({ name: 'a', virtualenv: '/v', virtualenv_python: 'python3.11' })[0]).to.match(/virtualenv_python cannot be used with the venv module/)
    expect(problems({ name: 'a', state: 'newest' })[0]).to.match(/must be one of "present", "absent", "latest", "forcereinstall"/)
  })
})
