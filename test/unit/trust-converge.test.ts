// trust 35, the coverage half: every host module of the catalogue that can change a host is used
// in the converge playbook of test/e2e/trust-converge.test.ts (a new module fails this test until
// it is added there, or listed below as read-only with the reason).
import { expect } from 'chai'
import { allModules } from '../../src/modules/index.js'
import { CONVERGE_PLAYBOOK, modulesUsed } from '../helpers/converge-coverage.js'

/** Host modules that never change the host they run on. */
const READ_ONLY: Record<string, string> = {
  ping: 'connects and answers',
  stat: 'reads a path',
  wait_for: 'waits for a port, a path or a text',
  uri: 'an HTTP request made from the host: it may change another service, never the host',
  setup: 'reads facts',
}

/** Host modules that can change a host but cannot run on a lab host (or cannot converge), and where they are tested. */
const NOT_ON_LAB_HOSTS: Record<string, string> = {
  systemd: 'lab hosts run sysvinit (no systemd); its plan on recorded unit states, after state included, is in test/unit/modules/systemd.test.ts',
  dnf: 'lab hosts run Debian (no RPM host or mirror is reachable); its plans are in test/unit/modules/dnf.test.ts, and test/unit/modules/package-dnf.test.ts runs it through the engine against stand-in rpm/dnf',
  tempfile: 'never converges: a new path on every run, as in Ansible; run twice on a lab host in test/e2e/modules/config.test.ts',
}

describe('trust 35 (unit): the converge playbook covers the catalogue', () => {
  it('trust 35: every host module that can change a host is in the converge playbook', () => {
    const host = allModules()
      .filter((m) => m.kind === 'host')
      .map((m) => m.name)
    for (const r of [...Object.keys(READ_ONLY), ...Object.keys(NOT_ON_LAB_HOSTS)]) expect(host, `${r} is listed here but is no host module`).to.include(r)
    const changing = host.filter((n) => !(n in READ_ONLY) && !(n in NOT_ON_LAB_HOSTS)).sort()
    const used = modulesUsed(CONVERGE_PLAYBOOK)
    expect(
      changing.filter((n) => !used.includes(n)),
      'modules without converge coverage',
    ).to.deep.equal([])
    expect(changing.length).to.be.greaterThan(20)
  })
})
