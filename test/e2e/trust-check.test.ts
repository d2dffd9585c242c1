// trust 36: `--check` leaves a host byte-identical. The RunMaster site playbook in check mode on a
// fresh lab host, with a snapshot (paths, types, modes, owners, sizes, mtimes, link targets and a
// sha256 of every file) of /etc, /var/cache/apt, /var/lib, /home, /srv, /opt, /root, /usr/local
// and /var/spool, plus the processes, PostgreSQL roles, firewall and supervisor state, before and
// after. Then the same host converged for real: each task changes exactly when check mode said it
// would, and check mode on the converged host reports 0 changes and again changes nothing.
import { expect } from 'chai'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readPasswordFile, setVaultPassword } from '../../src/playbook/vault.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOptions, type PlayOutcome } from '../helpers/run-playbook.js'

const ROOT = resolve('.')

/**
 * Not compared, each for a reason that is not rm-play's doing:
 * - /var/lib/postgresql, /var/lib/redis, /var/lib/nginx: the services' own data (write-ahead log,
 *   stats, dumps) changes while they run, between any two snapshots.
 * - /opt/runmaster/logs and celerybeat-schedule: the application's logs and Celery's schedule.
 * - __pycache__: Python writes bytecode when the application imports a module.
 * A fresh host has none of them: there the whole tree is compared.
 */
const CHURN = ['/var/lib/postgresql', '/var/lib/redis', '/var/lib/nginx', '/opt/runmaster/logs', '/opt/runmaster/backend/celerybeat-schedule']

const SNAPSHOT = `
roots="/etc /var/cache/apt /var/lib /home /srv /opt /root /usr/local /var/spool"
echo '## files'
find $roots -xdev -printf '%p %y %m %u %g %s %T@ %l\\n' 2>/dev/null | sort
echo '## hashes'
find $roots -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
echo '## processes'
ps -eo user=,args= | grep -v -e 'ps -eo' -e '/bin/sh' -e 'sshd: ' -e 'grep ' -e 'sort$' -e '^root *-*sh$' | sort
echo '## postgres'
if command -v psql >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
  su postgres -s /bin/sh -c "psql -XAtc 'select rolname, rolsuper, rolcanlogin, rolpassword from pg_authid order by 1' && psql -XAtc 'select datname, datdba from pg_database order by 1'"
fi
echo '## firewall'
iptables-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9:]*\\]//'
if command -v ufw >/dev/null 2>&1; then ufw status verbose; fi
echo '## supervisor'
if command -v supervisorctl >/dev/null 2>&1; then supervisorctl status 2>&1 | awk '{ print $1, $2 }'; fi
:
`

type Snapshot = Record<string, string[]>

function steady(s: Snapshot): Snapshot {
  const churns = (l: string) => {
    const path = l.startsWith('/') ? l.split(' ')[0]! : l.slice(l.indexOf('  ') + 2)
    return path.includes('/__pycache__') || CHURN.some((p) => path === p || path.startsWith(`${p}/`))
  }
  return { ...s, files: (s.files ?? []).filter((l) => !churns(l)), hashes: (s.hashes ?? []).filter((l) => !churns(l)) }
}

function diff(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = []
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const sa = new Set(a[k] ?? [])
    const sb = new Set(b[k] ?? [])
    for (const l of a[k] ?? []) if (!sb.has(l)) out.push(`- ${k}: ${l}`)
    for (const l of b[k] ?? []) if (!sa.has(l)) out.push(`+ ${k}: ${l}`)
  }
  return out
}

describe('trust 36: check mode leaves the host byte-identical (playbooks/site.yml on a lab host)', function () {
  let lab: TestLab
  let inventoryDir: string
  let host: string

  const run = (o: PlayOptions = {}): Promise<PlayOutcome> => playFile(join(ROOT, 'playbooks', 'site.yml'), { inventory: [inventoryDir], limit: host, ...o })

  async function snapshot(): Promise<Snapshot> {
    const r = await sh(inventoryDir, host, SNAPSHOT)
    const out: Snapshot = {}
    let cur = 'files'
    for (const line of r.stdout.split('\n')) {
      const m = /^## (\w+)$/.exec(line)
      if (m) out[(cur = m[1]!)] = []
      else if (line) (out[cur] ??= []).push(line)
    }
    return out
  }

  /** Per task: changed (or would change) or not, in order. */
  const perTask = (r: PlayOutcome) => r.results(undefined, host).map((e) => `${e.task}: ${e.status === 'changed' ? 'changed' : 'not changed'}`)

  let check: PlayOutcome

  before(async function () {
    lab = await testLab(2)
    host = lab.names[1]!
    // As site.test.ts: the lab's hosts.yml beside the RunMaster group_vars makes one inventory.
    inventoryDir = mkdtempSync(join(tmpdir(), 'rmp-t36-inv-'))
    copyFileSync(lab.inventory, join(inventoryDir, 'hosts.yml'))
    symlinkSync(join(ROOT, 'inventory', 'lab', 'group_vars'), join(inventoryDir, 'group_vars'))
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    await resetHosts(lab, [host])
  })

  after(async function () {
    if (lab) await resetHosts(lab, [host])
    if (inventoryDir) rmSync(inventoryDir, { recursive: true, force: true })
  })

  it('trust 36: --check on a fresh host reports the changes and leaves every file, cache and service as it was', async function () {
    const before = await snapshot()
    // The snapshot sees what the bug wrote: /var/cache/apt is in it, and a fresh host has no binary cache.
    expect(before.files!.some((l) => l.startsWith('/var/cache/apt '))).to.equal(true)
    expect(before.files!.some((l) => l.startsWith('/var/cache/apt/pkgcache.bin '))).to.equal(false)
    check = await run({ check: true, diff: true })
    expect(check.exitCode, check.text).to.equal(0)
    expect(check.changed(host), check.text).to.be.greaterThan(25)
    expect(diff(before, await snapshot())).to.deep.equal([])
  })

  it('trust 36: the real run changes exactly the tasks check mode said would change', async function () {
    expect(check, 'needs the check run of the test before').to.not.equal(undefined)
    const real = await run({ diff: true })
    expect(real.exitCode, real.text).to.equal(0)
    expect(perTask(real)).to.deep.equal(perTask(check))
  })

  it('trust 36: on the converged host --check reports 0 changes and changes nothing (services, roles, firewall included)', async function () {
    const before = steady(await snapshot())
    const r = await run({ check: true, diff: true })
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changed(host), r.text).to.equal(0)
    expect(diff(before, steady(await snapshot()))).to.deep.equal([])
    expect(before.postgres?.length, 'the snapshot reads the PostgreSQL roles').to.be.greaterThan(0)
    expect(before.supervisor?.length, 'the snapshot reads supervisor').to.be.greaterThan(0)
  })
})
