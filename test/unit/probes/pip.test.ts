// The pip probe's parser on outputs recorded on a lab host (Debian 12, python3-venv, python3-six),
// and the PEP 440 / 508 pieces the comparison rests on.
import { expect } from 'chai'
import {
  checkRequirement,
  compareVersions,
  evaluateMarker,
  normalizeName,
  parsePipState,
  parseRequirement,
  parseRequirementLines,
  parseVersion,
  pipProbe,
  satisfies,
} from '../../../src/probes/pip.js'

const ENV =
  '{"python_version": "3.11", "python_full_version": "3.11.2", "os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "platform_release": "6.18.44-fc-v782", "implementation_name": "cpython", "platform_python_implementation": "CPython", "__prefix": "/tmp/v1"}'
const LIST =
  '[{"name": "pip", "version": "23.0.1", "location": "/tmp/v1/lib/python3.11/site-packages", "installer": "pip"}, {"name": "setuptools", "version": "66.1.1", "location": "/tmp/v1/lib/python3.11/site-packages", "installer": "pip"}, {"name": "six", "version": "1.16.0", "location": "/usr/lib/python3/dist-packages", "installer": ""}]'

// pipProbe({ virtualenv: '/tmp/v1', requirements: 'requirements.txt', chdir: '/srv/req' }): a venv
// with --system-site-packages, a requirements file including another that includes the first.
const VENV_WITH_FILES = `chdir=ok\nvenv=present\nenv=${ENV}\nlist=${LIST}\nreqfile=requirements.txt\nreqline=six>=1.10  # from Debian\nreqline=-r sub/more.txt\n\nreqfile=./sub/more.txt\nreqline=setuptools\nreqline=foo ; python_version < "3"\nreqline=-r ../requirements.txt\n\n`
// pipProbe({ virtualenv: '/tmp/v2', requirements: '/srv/req/requirements.txt' }): no venv yet.
const NO_VENV =
  'chdir=ok\nvenv=absent\nreqfile=/srv/req/requirements.txt\nreqline=six>=1.10  # from Debian\nreqline=-r sub/more.txt\n\nreqfile=/srv/req/sub/more.txt\nreqline=setuptools\n\n'
// pipProbe({}): Debian's python3 without python3-pip.
const NO_PIP = `chdir=ok\nvenv=none\nenv=${ENV.replace('/tmp/v1', '/usr')}\nlisterr=/usr/bin/python3: No module named pip\n`
// pipProbe({ virtualenv: '/tmp/v1', requirements: 'nope.txt', outdatedArgs: ['--no-index'] })
const OUTDATED_MISSING = `chdir=ok\nvenv=present\nenv=${ENV}\nlist=${LIST}\noutdated=[]\nreqmissing=nope.txt\n`

describe('probes/pip: parsePipState', () => {
  it('a virtualenv: packages with their locations, marker values, the prefix, each requirements file once', () => {
    const s = parsePipState({ stdout: VENV_WITH_FILES, code: 0 })
    expect(s.venv).to.equal('present')
    expect(s.pip).to.equal(true)
    expect(s.prefix).to.equal('/tmp/v1')
    expect(s.markerEnv.python_version).to.equal('3.11')
    expect(s.markerEnv).to.not.have.property('__prefix')
    expect(s.installed).to.deep.include({ name: 'six', version: '1.16.0', location: '/usr/lib/python3/dist-packages' })
    expect(s.files.map((f) => f.path)).to.deep.equal(['requirements.txt', './sub/more.txt'])
    expect(s.files[1]!.lines).to.deep.equal(['setuptools', 'foo ; python_version < "3"', '-r ../requirements.txt'])
  })
  it('no virtualenv yet: the files are still read', () => {
    const s = parsePipState({ stdout: NO_VENV, code: 0 })
    expect(s.venv).to.equal('absent')
    expect(s.pip).to.equal(false)
    expect(s.files).to.have.length(2)
  })
  it('no pip: the reason is kept', () => {
    const s = parsePipState({ stdout: NO_PIP, code: 0 })
    expect(s.pip).to.equal(false)
    expect(s.pipError).to.equal('/usr/bin/python3: No module named pip')
  })
  it('outdated packages and missing requirements files', () => {
    const s = parsePipState({ stdout: OUTDATED_MISSING, code: 0 })
    expect(s.outdated).to.deep.equal({})
    expect(s.missingFiles).to.deep.equal(['nope.txt'])
    const o = parsePipState({
      stdout: `chdir=ok\nvenv=none\nenv=${ENV}\nlist=${LIST}\noutdated=[{"name": "Six", "version": "1.15.0", "latest_version": "1.16.0", "latest_filetype": "wheel"}]\n`,
      code: 0,
    })
    expect(o.outdated).to.deep.equal({ six: '1.16.0' })
    const e = parsePipState({
      stdout: `chdir=ok\nvenv=none\nenv=${ENV}\nlist=${LIST}\noutdatederr=ERROR: Could not fetch URL https://pypi.org/simple/: connection refused\n`,
      code: 0,
    })
    expect(e.outdated).to.deep.equal({ error: 'ERROR: Could not fetch URL https://pypi.org/simple/: connection refused' })
  })
  it('a missing chdir', () => {
    expect(parsePipState({ stdout: 'chdir=missing\n', code: 0 }).chdir).to.equal(false)
  })
  it('garbage is rejected', () => {
    expect(() => parsePipState({ stdout: 'oops', code: 1 })).to.throw(/unexpected output/)
  })
})

describe('probes/pip: script', () => {
  it("uses the virtualenv's python -m pip, quoted", () => {
    const p = pipProbe({ virtualenv: '/srv/my venv' })
    expect(p.script.text).to.include("set -- '/srv/my venv/bin/python' -m pip")
  })
  it('asks the index only for latest, with the index options given', () => {
    expect(pipProbe({}).script.text).to.not.include('--outdated')
    expect(pipProbe({ outdatedArgs: ['--index-url', 'http://x/simple'] }).script.text).to.include('list --outdated --format=json --index-url http://x/simple')
  })
})

describe('PEP 440 versions', () => {
  const order = ['1.0.dev1', '1.0a1', '1.0a2.dev1', '1.0a2', '1.0b1', '1.0rc1', '1.0', '1.0+local.1', '1.0.post1.dev1', '1.0.post1', '1.1', '1!0.1']
  it(`orders ${order.join(' < ')}`, () => {
    for (let i = 0; i + 1 < order.length; i++) {
      expect(compareVersions(parseVersion(order[i]!)!, parseVersion(order[i + 1]!)!), `${order[i]} < ${order[i + 1]}`).to.equal(-1)
    }
  })
  it('normalises spellings', () => {
    expect(compareVersions(parseVersion('1.0')!, parseVersion('1.0.0')!)).to.equal(0)
    expect(compareVersions(parseVersion('1.0alpha1')!, parseVersion('1.0a1')!)).to.equal(0)
    expect(compareVersions(parseVersion('1.0-1')!, parseVersion('1.0.post1')!)).to.equal(0)
    expect(compareVersions(parseVersion('v2.0')!, parseVersion('2.0')!)).to.equal(0)
    expect(parseVersion('not a version')).to.equal(undefined)
  })
})

describe('PEP 440 specifiers', () => {
  const cases: [string, string, string, boolean][] = [
    ['1.16.0', '>=', '1.10', true],
    ['1.16.0', '<', '1.16', false],
    ['1.16.0', '==', '1.16', true],
    ['1.16.0', '==', '1.16.*', true],
    ['1.17.0', '==', '1.16.*', false],
    ['1.16.0', '!=', '1.16.*', false],
    ['1.16.0', '~=', '1.10', true],
    ['2.0', '~=', '1.10', false],
    ['1.4.9', '~=', '1.4.5', true],
    ['1.5.0', '~=', '1.4.5', false],
    ['2.0rc1', '<', '2.0', false],
    ['2.0.post1', '>', '2.0', false],
    ['2.1', '>', '2.0', true],
    ['1.0+local', '==', '1.0', true],
    ['1.0+local', '==', '1.0+other', false],
    ['1.0', '===', '1.0', true],
    ['1.0.0', '===', '1.0', false],
    ['2.9.9', '<=', '3', true],
  ]
  for (const [v, op, s, want] of cases) {
    it(`${v} ${want ? 'satisfies' : 'does not satisfy'} ${op}${s}`, () => {
      expect(satisfies(v, { op, version: s })).to.equal(want)
    })
  }
})

describe('PEP 508 requirements and markers', () => {
  it('parses names, extras, specifiers (bare or in parentheses) and markers', () => {
    expect(parseRequirement('Django[argon2,bcrypt] >=4.2, <5 ; python_version >= "3.8"')).to.deep.equal({
      text: 'Django[argon2,bcrypt] >=4.2, <5 ; python_version >= "3.8"',
      name: 'Django',
      key: 'django',
      extras: ['argon2', 'bcrypt'],
      specifiers: [
        { op: '>=', version: '4.2' },
        { op: '<', version: '5' },
      ],
      marker: 'python_version >= "3.8"',
    })
    expect(parseRequirement('six (>=1.10)')!.specifiers).to.deep.equal([{ op: '>=', version: '1.10' }])
    expect(parseRequirement('zope.interface')!.key).to.equal('zope-interface')
    expect(parseRequirement('six >= ')).to.equal(undefined)
  })
  it('requirements files: comments, options, hashes, continuations; URLs and paths cannot be checked', () => {
    const r = parseRequirementLines([
      '# top',
      'six>=1.10  # inline',
      '-r other.txt',
      '--index-url http://x/simple',
      'gunicorn==21.2.0 \\',
      '    --hash=sha256:abc',
      '-e git+https://x/y.git#egg=y',
      './local/pkg',
      'requests @ https://x/r.whl',
      '',
      'Flask',
    ])
    expect(r.requirements.map((x) => x.text)).to.deep.equal(['six>=1.10', 'gunicorn==21.2.0', 'Flask'])
    expect(r.unverifiable).to.deep.equal(['-e git+https://x/y.git#egg=y', './local/pkg', 'requests @ https://x/r.whl'])
  })
  it('markers', () => {
    const env = { python_version: '3.11', sys_platform: 'linux', os_name: 'posix', platform_system: 'Linux' }
    expect(evaluateMarker('python_version < "3"', env)).to.equal(false)
    expect(evaluateMarker('python_version >= "3.8" and sys_platform == "linux"', env)).to.equal(true)
    expect(evaluateMarker('(os_name == "nt" or platform_system == "Linux") and python_version > "3.9"', env)).to.equal(true)
    expect(evaluateMarker('"linux" in sys_platform', env)).to.equal(true)
    expect(evaluateMarker('extra == "dev"', env)).to.equal(false)
    expect(evaluateMarker('unknown_var == "x"', env)).to.equal(undefined)
  })
  it('names compare normalised', () => {
    expect(normalizeName('Zope_Interface')).to.equal('zope-interface')
  })
  it('checkRequirement: satisfied, mismatch, missing, skipped by marker', () => {
    const inst = [{ name: 'six', version: '1.16.0' }]
    const env = { python_version: '3.11' }
    expect(checkRequirement(parseRequirement('Six>=1.10')!, inst, env)!.status).to.equal('satisfied')
    expect(checkRequirement(parseRequirement('six>=2')!, inst, env)).to.deep.include({ status: 'mismatch', installed: '1.16.0' })
    expect(checkRequirement(parseRequirement('flask')!, inst, env)!.status).to.equal('missing')
    expect(checkRequirement(parseRequirement('flask; python_version < "3"')!, inst, env)!.status).to.equal('skipped')
  })
})
