// trust 17 and 36 without a host: apt's lock_timeout default is Ansible's (asked of ansible-doc
// itself), every apt-get step names the lock holder on failure, and the probes never write apt's
// binary caches.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { apt, type AptArgs } from '../../src/modules/apt.js'
import { checkArgs } from '../../src/modules/schema.js'
import type { ExecStep } from '../../src/modules/types.js'
import { aptProbe, parseAptState } from '../../src/probes/apt.js'

const args = (input: Record<string, unknown>): AptArgs => {
  const { args: a, problems } = checkArgs(apt.args, input, false)
  expect(problems).to.deep.equal([])
  return a as AptArgs
}

describe('trust 17 and 36 (unit): apt', () => {
  it("trust 17: lock_timeout defaults to Ansible's (ansible-doc apt) and reaches apt-get", function () {
    this.timeout(60000)
    const doc = JSON.parse(execFileSync('ansible-doc', ['-j', 'apt'], { encoding: 'utf8' })) as {
      apt: { doc: { options: { lock_timeout: { default: number } } } }
    }
    const ansible = doc.apt.doc.options.lock_timeout.default
    const a = args({ name: 'tree' })
    expect(a.lock_timeout).to.equal(ansible)
    const state = parseAptState(
      `@@head\nnow=100\ncache_time=50\nlists=3\n@@dpkg\n@@policy\ntree:\n  Installed: (none)\n  Candidate: 2.1.0-1\n  Version table:\n     2.1.0-1 500\n@@end\n`,
    )
    const step = apt.plan(a, { apt: state }, { host: 'h', facts: {}, diff: false })[0]!.steps[0] as ExecStep
    expect(step.script.text).to.include(`-o DPkg::Lock::Timeout=${ansible} `)
    expect(step.script.text).to.include('printf \'Failed to lock apt for exclusive operation: %s; waited %s seconds (lock_timeout)\\n\' "$rmp_h" 60 >&2')
  })

  it('trust 36: every apt-cache and apt-get of a probe runs with the binary caches turned off', () => {
    const script = aptProbe({ names: ['jq', 'tree'], candidatesOfInstalled: true, autoremove: true, upgrade: 'dist-upgrade', defaultRelease: 'bookworm' })
      .script.text
    const calls = script.split('\n').flatMap((l) => l.match(/apt-(?:cache|get) [^|]*/g) ?? [])
    expect(calls).to.have.length(3)
    for (const c of calls) expect(c).to.include('-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=')
  })
})
