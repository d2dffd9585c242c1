// Real Galaxy roles nobody here wrote (geerlingguy.redis, nginx and postgresql, MIT, vendored
// unchanged under test/conformance/roles/) converge systemd lab hosts under rm-play and under
// ansible-playbook, each on a host of its own: the same tasks reach the same changed/ok/skipped,
// the hosts end in the same state (package, config file bytes, service running and enabled),
// and a second rm-play run changes nothing.
import { expect } from 'chai'
import { fileURLToPath } from 'node:url'
import { getModule } from '../../src/modules/index.js'
import { ansiblePlaybook, hasAnsible, reachedByEvents } from '../helpers/ansible-reached.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile } from '../helpers/run-playbook.js'

const CONFORMANCE = fileURLToPath(new URL('../../../test/conformance/', import.meta.url))

interface RoleCase {
  role: string
  /** What the role leaves on a host, read the same way on both hosts. */
  state: string
  /** Modules the role runs on Debian that rm-play may not have yet (the test says which and stops). */
  needs?: string[]
  /** Why the case does not run yet (mocha lists it as pending, with this reason). */
  pending?: string
}

const ROLES: RoleCase[] = [
  {
    role: 'redis',
    state: `dpkg-query -W -f='\${Status}\\n' redis-server
stat -c '%n %a %U %G' /etc/redis /etc/redis/redis.conf
sha256sum /etc/redis/redis.conf
systemctl is-active redis-server; systemctl is-enabled redis-server`,
  },
  {
    role: 'nginx',
    state: `dpkg-query -W -f='\${Status}\\n' nginx
stat -c '%n %a %U %G' /etc/nginx/nginx.conf /etc/nginx/sites-enabled
sha256sum /etc/nginx/nginx.conf; ls /etc/nginx/sites-enabled
systemctl is-active nginx; systemctl is-enabled nginx`,
  },
  {
    role: 'postgresql',
    state: `dpkg-query -W -f='\${Status}\\n' postgresql
stat -c '%n %a %U %G' /etc/profile.d/postgres.sh /etc/postgresql/15/main/pg_hba.conf /var/run/postgresql
sha256sum /etc/profile.d/postgres.sh /etc/postgresql/15/main/pg_hba.conf /etc/postgresql/15/main/postgresql.conf
systemctl is-active postgresql; systemctl is-enabled postgresql`,
    // setup-Debian.yml generates locales with locale_gen; pg_hba.conf.j2 reads ansible_fips
    needs: ['locale_gen'],
  },
]

/** Ansible's results as rm-play names them: no `role : ` prefix, no facts, no include lines (rm-play shows what they include). */
function comparable(seq: string[]): string[] {
  return seq.filter((s) => !/^(Gathering Facts|include_tasks|[\w.-]+ : include_tasks):/.test(s)).map((s) => s.replace(/^[\w.-]+ : /, ''))
}

describe('Galaxy roles: rm-play converges as ansible-playbook does (systemd lab hosts)', function () {
  this.timeout(1_800_000)
  let lab: TestLab

  before(async function () {
    if (!hasAnsible()) this.skip()
    lab = await testLab(2 * ROLES.length, { init: 'systemd' })
  })

  after(closeHostConnections)

  ROLES.forEach(({ role, state, needs, pending }, i) => {
    if (pending) return it(`geerlingguy.${role}: pending: ${pending}`)
    it(`geerlingguy.${role}: the same task results and end state as ansible-playbook, then changed=0`, async function () {
      const missing = (needs ?? []).filter((m) => !getModule(m))
      if (missing.length) {
        console.log(`    geerlingguy.${role} needs ${missing.join(', ')}, which rm-play does not have yet`)
        this.skip()
      }
      const [rmHost, ansHost] = [lab.names[2 * i]!, lab.names[2 * i + 1]!]
      await resetHosts(lab, [rmHost, ansHost])
      // a real host has its package lists; a fresh lab root does not
      for (const h of [rmHost, ansHost]) await sh(lab.inventory, h, 'apt-get update -q >/dev/null 2>&1')
      const playbook = `${CONFORMANCE}galaxy-${role}.yml`

      const rm = await playFile(playbook, { inventory: [lab.inventory], limit: rmHost })
      expect(rm.exitCode, rm.text).to.equal(0)
      const ans = ansiblePlaybook(playbook, lab.inventory, ['--limit', ansHost])
      expect(ans.exitCode, 'ansible-playbook').to.equal(0)

      expect(reachedByEvents(rm.events).seq[rmHost], `per task (rm-play left, Ansible right)\n${rm.text}`).to.deep.equal(comparable(ans.seq[ansHost] ?? []))
      expect(rm.stats[rmHost]!.changed, 'changed=').to.equal(ans.stats[ansHost]!.changed)

      const [rmState, ansState] = await Promise.all([rmHost, ansHost].map(async (h) => (await sh(lab.inventory, h, state)).stdout))
      expect(rmState, 'end state').to.equal(ansState)
      expect(rmState).to.match(/install ok installed/)
      expect(rmState).to.match(/^active$/m)

      const again = await playFile(playbook, { inventory: [lab.inventory], limit: rmHost })
      expect(again.exitCode, again.text).to.equal(0)
      expect(again.changedTasks(), again.text).to.deep.equal([])
    })
  })
})
