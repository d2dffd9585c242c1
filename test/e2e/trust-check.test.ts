// trust 36: `--check` leaves a host byte-identical. The RunMaster site playbook in check mode on a
// fresh lab host, with a snapshot (paths, types, modes, owners, sizes, mtimes, link targets and a
// sha256 of every file) of /etc, /var/cache/apt, /var/lib, /home, /srv, /opt, /root, /usr/local
// and /var/spool, plus the processes, PostgreSQL roles, firewall and supervisor state, before and
// after. Then the same host converged for real: no task changes that check mode did not predict,
// and a predicted one stays unchanged only where check mode said it could not know; and check mode on the converged host reports 0 changes and again changes nothing.
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
# A process shown as [name] has no command line: it is exiting (this pipeline's own grep, seen once).
ps -eo user=,args= | grep -v -e 'ps -eo' -e '/bin/sh' -e 'sshd: ' -e 'grep ' -e 'sort$' -e '^root *-*sh$' -e ' \\[[^]]*\\]$' | sort
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

  async function readSnapshot(): Promise<Snapshot> {
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

  /**
   * The host's state once it has settled: a program supervisor is still starting (startsecs) or
   * stopping would otherwise differ between two snapshots with nothing changed by the run.
   */
  async function snapshot(): Promise<Snapshot> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const s = await readSnapshot()
      const moving = (s.supervisor ?? []).filter((l) => /\b(STARTING|STOPPING|BACKOFF)\b/.test(l))
      if (moving.length === 0) return s
      if (Date.now() > deadline) throw new Error(`supervisor did not settle within 60 s: ${moving.join(', ')}`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }

  /**
   * Where check mode's per-task prediction and the real run disagree, as readable lines ([] when
   * they agree). A task the real run changed must have been predicted; a predicted change the real
   * run did not make is allowed only where check mode said it could not know (a package an earlier
   * task installs, a database the task before creates): every change of it uncertain, or mayChange.
   */
  /**
   * Changes check mode cannot see on a fresh host, each with why (Ansible's check mode misses them
   * too). The test fails on any other, and when one of these stops happening (then remove it).
   */
  const UNSEEN: Record<string, string> = {
    'Disable the default site': "nginx's package creates sites-enabled/default; before the package is installed check mode finds no file to remove",
  }

  function mispredicted(check: PlayOutcome, real: PlayOutcome, unseen: Record<string, string> = {}): string[] {
    const c = check.results(undefined, host)
    const r = real.results(undefined, host)
    expect(c.map((e) => e.task)).to.deep.equal(r.map((e) => e.task))
    const out: string[] = []
    c.forEach((ce, i) => {
      const re = r[i]!
      const unsure = ce.mayChange === true || (ce.changes.length > 0 && ce.changes.every((ch) => ch.uncertain))
      if (re.status === 'changed' && ce.status !== 'changed' && !(re.task in unseen)) out.push(`${re.task}: changed, check mode said ${ce.status}`)
      if (re.task in unseen && !(re.status === 'changed' && ce.status !== 'changed'))
        out.push(`${re.task}: listed as unseen by check mode, but check said ${ce.status} and the run ${re.status}`)
      if (re.status !== 'changed' && ce.status === 'changed' && !unsure) out.push(`${re.task}: ${re.status}, check mode said changed (and was sure)`)
    })
    return out
  }

  // The fresh host's --check and real run are made in before(), in order; each `it` checks one.
  let check: PlayOutcome
  let checkSnapshots: { before: Snapshot; after: Snapshot }
  let real: PlayOutcome

  before(async function () {
    lab = await testLab(2)
    host = lab.names[1]!
    // As site.test.ts: the lab's hosts.yml beside the RunMaster group_vars makes one inventory.
    inventoryDir = mkdtempSync(join(tmpdir(), 'rmp-t36-inv-'))
    copyFileSync(lab.inventory, join(inventoryDir, 'hosts.yml'))
    symlinkSync(join(ROOT, 'inventory', 'lab', 'group_vars'), join(inventoryDir, 'group_vars'))
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    await resetHosts(lab, [host])
    const before = await snapshot()
    check = await run({ check: true, diff: true })
    checkSnapshots = { before, after: await snapshot() }
    real = await run({ diff: true })
  })

  after(async function () {
    if (lab) await resetHosts(lab, [host])
    if (inventoryDir) rmSync(inventoryDir, { recursive: true, force: true })
  })

  it('trust 36: --check on a fresh host reports the changes and leaves every file, cache and service as it was', async function () {
    const { before, after } = checkSnapshots
    // The snapshot sees what the bug wrote: /var/cache/apt is in it, and a fresh host has no binary cache.
    expect(before.files!.some((l) => l.startsWith('/var/cache/apt '))).to.equal(true)
    expect(before.files!.some((l) => l.startsWith('/var/cache/apt/pkgcache.bin '))).to.equal(false)
    expect(check.exitCode, check.text).to.equal(0)
    expect(check.changed(host), check.text).to.be.greaterThan(25)
    expect(diff(before, after)).to.deep.equal([])
  })

  it('trust 36: the real run changes no task check mode did not predict, and leaves out only changes check mode could not be sure of', async function () {
    expect(real.exitCode, real.text).to.equal(0)
    expect(mispredicted(check, real, UNSEEN), real.text).to.deep.equal([])
    // The comparison has teeth: most tasks change on a fresh host (each one must have been
    // predicted), and some predictions were sure (each of those must have happened). After the
    // first package install most are unsure: check mode cannot know what the packages bring.
    expect(real.changed(host)).to.be.greaterThan(25)
    expect(
      check.results(undefined, host).filter((e) => e.status === 'changed' && !e.mayChange && e.changes.every((ch) => !ch.uncertain)).length,
    ).to.be.greaterThan(0)
  })

  it('trust 36: on the converged host --check reports 0 changes and changes nothing (services, roles, firewall included); the real run agrees', async function () {
    const before = steady(await snapshot())
    const r = await run({ check: true, diff: true })
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changed(host), r.text).to.equal(0)
    expect(diff(before, steady(await snapshot()))).to.deep.equal([])
    expect(before.postgres?.length, 'the snapshot reads the PostgreSQL roles').to.be.greaterThan(0)
    expect(before.supervisor?.length, 'the snapshot reads supervisor').to.be.greaterThan(0)
    // And the real run agrees task by task: nothing changes either.
    const real = await run({ diff: true })
    expect(real.exitCode, real.text).to.equal(0)
    expect(real.changedTasks(), real.text).to.deep.equal([])
    expect(mispredicted(r, real)).to.deep.equal([])
  })
})
