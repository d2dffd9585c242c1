// The lab's package index built from Debian's packages alone: PEP 508 requirements and markers as
// pip reads them on the hosts (Python 3.11.2), and the closure walked over python3-* packages (a
// table of packages stands for apt-get download).
import { expect } from 'chai'
import { debOfProject, dependsDebs, hostMarkers, resolveDebianClosure, type LoadDebs } from '../../src/lab/debian-closure.js'
import { evaluateMarker, parseRequirement, requirementApplies } from '../../src/lab/pep508.js'
import type { DebProject } from '../../src/lab/wheel-from-deb.js'

const HOST = hostMarkers('x86_64')

describe('lab package index: PEP 508 requirements and markers', () => {
  it('reads name, extras, specifier and marker', () => {
    expect(parseRequirement('starlette<0.26.0,>=0.25.0')).to.deep.equal({ name: 'starlette', extras: [], specifier: '<0.26.0,>=0.25.0', marker: undefined })
    expect(parseRequirement('Uvicorn[Standard] (>=0.12.0); extra == "all"')).to.deep.equal({
      name: 'uvicorn',
      extras: ['standard'],
      specifier: '>=0.12.0',
      marker: 'extra == "all"',
    })
    expect(parseRequirement('typing_extensions').name).to.equal('typing-extensions')
  })

  it("evaluates markers for the hosts' Python 3.11.2 as pip does there", () => {
    const yes = [
      'python_full_version < "3.11.3"',
      'python_version >= "3.8.0"',
      'python_version > "3.9"',
      'python_version ~= "3.10"',
      "platform_system != 'Windows'",
      'sys_platform == "linux" and (platform_machine == "aarch64" or platform_machine == "x86_64")',
      '"linux" in sys_platform',
      'python_version < "3" or platform_python_implementation == "CPython"',
    ]
    const no = [
      'python_version < "3.8"',
      'python_version < "3.10"',
      'python_full_version >= "3.11.3"',
      'platform_system == "Windows"',
      'python_version < "3" and extra == "dev"',
      'extra == "dev"',
    ]
    for (const m of yes) expect(evaluateMarker(m, { ...HOST, extra: '' }), m).to.equal(true)
    for (const m of no) expect(evaluateMarker(m, { ...HOST, extra: '' }), m).to.equal(false)
  })

  it('takes a requirement of an extra only when that extra is asked for', () => {
    const r = parseRequirement("redis!=4.0.0,!=4.0.1,>=3.4.1; extra == 'redis'")
    expect(requirementApplies(r, HOST)).to.equal(false)
    expect(requirementApplies(r, HOST, ['redis'])).to.equal(true)
    expect(requirementApplies(parseRequirement('greenlet; python_version >= "3" and platform_machine == "x86_64"'), HOST)).to.equal(true)
  })

  it('fails loudly on a marker it cannot read', () => {
    expect(() => evaluateMarker('python_version <', HOST)).to.throw(/cannot read the marker/)
    expect(() => evaluateMarker('no_such_variable == "x"', HOST)).to.throw(/not a PEP 508 environment marker/)
  })
})

/** A fake Debian archive: package → what it installs. */
function archive(debs: Record<string, Partial<DebProject> & { name: string }>): { load: LoadDebs; asked: string[][] } {
  const asked: string[][] = []
  const load: LoadDebs = async (names) => {
    asked.push([...names].sort())
    const loaded = new Map<string, DebProject>()
    const missing = new Map<string, string>()
    for (const n of names) {
      const d = debs[n]
      if (d) loaded.set(n, { version: '1.0', requires: [], depends: '', metadata: '', infoDir: '', ...d })
      else missing.set(n, `E: Unable to locate package ${n}`)
    }
    return { loaded, missing }
  }
  return { load, asked }
}

describe('lab package index: the closure in Debian packages', () => {
  it('maps projects to Debian names, with the known exceptions', () => {
    expect(debOfProject('Typing_Extensions')).to.equal('python3-typing-extensions')
    expect(debOfProject('pytz')).to.equal('python3-tz')
    expect(debOfProject('python-dateutil')).to.equal('python3-dateutil')
    expect(
      dependsDebs('python3-pkg-resources, python3-distutils, python3-mako (>= 1.0), python3-importlib-metadata | python3 (>> 3.8), python3:any, libpq5'),
    ).to.deep.equal(['python3-setuptools-whl', 'python3-mako'])
  })

  it("follows Requires-Dist whose marker holds on the hosts, extras asked for, and Debian's Depends, until closed", async () => {
    const { load, asked } = archive({
      'python3-celery': { name: 'celery', depends: 'python3-kombu, python3-tz, python3:any', requires: ['backports.zoneinfo; python_version < "3.9"'] },
      'python3-kombu': { name: 'kombu', requires: ['amqp>=5.0', 'redis>=3.4.1; extra == "redis"'] },
      'python3-tz': { name: 'pytz' },
      'python3-amqp': { name: 'amqp', requires: ['vine'] },
      'python3-vine': { name: 'vine' },
      'python3-uvicorn': { name: 'uvicorn', requires: ['colorama; sys_platform == "win32"', 'h11>=0.8'] },
      'python3-h11': { name: 'h11' },
    })
    const c = await resolveDebianClosure(['celery', 'uvicorn'], load, HOST)
    expect(c.problems).to.deep.equal([])
    expect([...c.debs.keys()].sort()).to.deep.equal([
      'python3-amqp',
      'python3-celery',
      'python3-h11',
      'python3-kombu',
      'python3-tz',
      'python3-uvicorn',
      'python3-vine',
    ])
    // Depends names Debian packages; the wheel names their projects.
    expect(c.requires.get('python3-celery')).to.deep.equal(['backports.zoneinfo; python_version < "3.9"', 'kombu', 'pytz'])
    expect(asked).to.deep.equal([['python3-celery', 'python3-uvicorn'], ['python3-h11', 'python3-kombu', 'python3-tz'], ['python3-amqp'], ['python3-vine']])
  })

  it('names a missing package with the project and who needs it', async () => {
    const { load } = archive({ 'python3-celery': { name: 'celery', requires: ['click-repl>=0.2'] } })
    const c = await resolveDebianClosure(['celery'], load, HOST)
    expect(c.problems).to.deep.equal(['python3-click-repl (for click-repl, needed by celery 1.0): E: Unable to locate package python3-click-repl'])
  })

  it('applies a lab-only adjustment to Requires-Dist, and says when it no longer applies', async () => {
    const { load } = archive({
      'python3-fastapi': { name: 'fastapi', version: '0.92.0', requires: ['starlette<0.26.0,>=0.25.0'] },
      'python3-starlette': { name: 'starlette' },
    })
    const adj = [{ project: 'fastapi', from: 'starlette<0.26.0,>=0.25.0', to: 'starlette<0.27.0,>=0.25.0', why: 'test' }]
    const c = await resolveDebianClosure(['fastapi'], load, HOST, adj)
    expect(c.problems).to.deep.equal([])
    expect(c.requires.get('python3-fastapi')).to.deep.equal(['starlette<0.27.0,>=0.25.0'])
    const stale = await resolveDebianClosure(['fastapi'], load, HOST, [{ ...adj[0]!, from: 'starlette<0.25' }])
    expect(stale.problems).to.deep.equal([
      'fastapi 0.92.0: the lab\'s adjustment "starlette<0.25" -> "starlette<0.27.0,>=0.25.0" no longer applies (no such Requires-Dist)',
    ])
  })
})
