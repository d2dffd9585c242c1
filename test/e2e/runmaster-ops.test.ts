// RunMaster operations on systemd lab hosts, after the deployment: preflight, logrotate, the
// scheduled backup with its off-host copy and a restore drill on a fresh host, and repair.yml
// (the guide's troubleshooting remedies, only where the diagnosis fails).
// Host A runs RunMaster (site.yml, converged once); host B is the backup target, fresh until the
// drill installs PostgreSQL on it.
import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { loadVarsFile } from '../../src/playbook/vars-files.js'
import { readPasswordFile, setVaultPassword } from '../../src/playbook/vault.js'
import { eventually } from '../helpers/eventually.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOptions, type PlayOutcome } from '../helpers/run-playbook.js'

const ROOT = resolve('.')
const PLAYBOOKS = join(ROOT, 'playbooks')
const BACKUPS = '/var/backups/runmaster'

type Inventory = { all: { vars: Record<string, unknown>; children: Record<string, { hosts: Record<string, unknown> }> } }

/** The lab's inventory with host A in group runmaster and host B in runmaster_backup_target. */
function opsInventory(labInventory: string, a: string, b: string): Inventory {
  const lab = parse(readFileSync(labInventory, 'utf8')) as Inventory
  const hosts = lab.all.children.runmaster!.hosts
  return {
    all: {
      vars: { ...lab.all.vars, backup_keep: 2 },
      children: { runmaster: { hosts: { [a]: hosts[a] } }, runmaster_backup_target: { hosts: { [b]: hosts[b] } } },
    },
  }
}

describe('RunMaster operations (preflight, logrotate, backups, repair) on systemd lab hosts', function () {
  let lab: TestLab
  let inventoryDir: string
  let a: string // RunMaster
  let b: string // backup target, restore drill
  let dbPassword: string

  const run = (playbook: string, o: PlayOptions = {}): Promise<PlayOutcome> => playFile(join(PLAYBOOKS, playbook), { inventory: [inventoryDir], ...o })
  const on = (host: string, script: string, allowFail = false) => sh(inventoryDir, host, script, allowFail)
  const psql = (host: string, sql: string) => on(host, `PGPASSWORD='${dbPassword}' psql -h localhost -U runmaster -d runmaster_prod -tAc "${sql}"`)
  const status = (r: PlayOutcome, task: string, host: string) => r.results(task, host).map((e) => e.status)

  before(async function () {
    lab = await testLab(2, { init: 'systemd' })
    ;[a, b] = lab.names.slice(-2) as [string, string]
    inventoryDir = mkdtempSync(join(tmpdir(), 'rmp-ops-inv-'))
    writeFileSync(join(inventoryDir, 'hosts.yml'), stringify(opsInventory(lab.inventory, a, b)))
    symlinkSync(join(ROOT, 'inventory', 'lab', 'group_vars'), join(inventoryDir, 'group_vars'))
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    dbPassword = (loadVarsFile(join(ROOT, 'inventory', 'lab', 'group_vars', 'all', 'vault.yml')) as Record<string, string>).vault_runmaster_db_password!
    await resetHosts(lab, [a, b])
  })

  after(async function () {
    if (lab) await resetHosts(lab, [a, b])
    if (inventoryDir) rmSync(inventoryDir, { recursive: true, force: true })
  })

  it('preflight fails with a clear message when a host is below a limit, and passes with the lab limits', async function () {
    const small = await run('preflight.yml', { extraVars: { preflight_min_vcpus: 512, preflight_min_disk_gb: 1000000 } })
    expect(small.exitCode, small.text).to.equal(2)
    expect(small.text).to.match(/FAILED! => \d+ CPU\(s\), at least 512 needed \(preflight_min_vcpus\)/)
    const disk = await run('preflight.yml', { extraVars: { preflight_min_disk_gb: 1000000 } })
    expect(disk.exitCode, disk.text).to.equal(2)
    expect(disk.text).to.match(/FAILED! => the file system of \/\S* has \d+ GB, at least 1000000 GB needed \(preflight_min_disk_gb\)/)
    const os = await run('preflight.yml', { extraVars: { preflight_min_os_versions: { Debian: '99', Ubuntu: '20.04' } } })
    expect(os.exitCode, os.text).to.equal(2)
    expect(os.text).to.match(/FAILED! => Debian [\d.]+ is older than the Debian 99 the roles need \(preflight_min_os_versions\)/)
    const ok = await run('preflight.yml', { extraVars: { preflight_recommended_memory_mb: 100000000 } })
    expect(ok.exitCode, ok.text).to.equal(0)
    expect(ok.text).to.match(/WARNING: \d+ MB of memory; the guide recommends 100000000 MB or more/)
  })

  it('site.yml converges host A (with the preflight and logrotate), and again with changed=0', async function () {
    const t0 = Date.now()
    const r = await run('site.yml', { limit: a })
    console.log(`      converge of ${a}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    expect(r.exitCode, r.text).to.equal(0)
    // Installed now, so the versions were checked: Python 3.11, PostgreSQL 15, Redis 7, nginx 1.22.
    // (With the split-topology site.yml, common's second appearance is skipped on a single host.)
    const versions = r.results('Preflight: Python, PostgreSQL, Redis and nginx versions', a).filter((e) => e.status !== 'skipped')
    expect(versions.map((e) => e.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok'])
    expect(versions.map((e) => e.msg).join('; ')).to.match(
      /^Python 3\.11\.\d+ \(>= 3\.11\); PostgreSQL 15 \(>= 12\); Redis 7\.[\d.]+ \(>= 6\); nginx 1\.22\.\d+ \(>= 1\.18\)$/,
    )
    const again = await run('site.yml', { limit: a })
    expect(again.changed(a), again.text).to.equal(0)
  })

  it('logrotate: the config is valid, rotates the app, gunicorn and Celery logs, and the writers go on', async function () {
    const dry = await on(a, 'logrotate -d /etc/logrotate.d/runmaster 2>&1')
    expect(dry.stdout).to.not.match(/^error:/m)
    expect(dry.stdout).to.include('/opt/runmaster/logs/app.log')
    expect((await on(a, 'systemctl is-enabled logrotate.timer')).stdout.trim()).to.equal('enabled')
    await on(a, 'echo "$(date) INFO [0] runmaster: AI drill line" >> /opt/runmaster/logs/app.log')
    // A state file of its own: the host's daily run is not disturbed.
    await on(a, 'logrotate -f -s /var/tmp/rmp-logrotate.state /etc/logrotate.d/runmaster')
    const files = (await on(a, 'ls /opt/runmaster/logs')).stdout.split('\n')
    for (const f of ['app.log.1', 'gunicorn-access.log.1', 'celery-worker.log.1']) expect(files, files.join(' ')).to.include(f)
    expect((await on(a, 'grep -c "AI drill line" /opt/runmaster/logs/app.log.1')).stdout.trim()).to.equal('1')
    expect((await on(a, 'stat -c "%U %s" /opt/runmaster/logs/app.log')).stdout.trim()).to.equal('runmaster 0')
    // copytruncate: gunicorn keeps writing into the same (now empty) access log.
    await eventually(async () => {
      await on(a, 'python3 -c "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/health\')"')
      expect(Number((await on(a, 'stat -c %s /opt/runmaster/logs/gunicorn-access.log')).stdout.trim())).to.be.greaterThan(0)
    })
  })

  it('backup-schedule.yml sets up the timer on A and the copy target B; a second run and check mode change nothing', async function () {
    const r = await run('backup-schedule.yml')
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changed(a)).to.be.greaterThan(3)
    expect(r.changed(b)).to.be.greaterThan(3)
    const again = await run('backup-schedule.yml')
    expect(again.exitCode, again.text).to.equal(0)
    expect(again.totalChanged(), again.text).to.equal(0)
    const check = await run('backup-schedule.yml', { check: true })
    expect(check.totalChanged(), check.text).to.equal(0)
    expect(
      (await on(a, 'systemctl is-enabled runmaster-backup.timer; systemctl is-active runmaster-backup.timer')).stdout.split('\n').slice(0, 2),
    ).to.deep.equal(['enabled', 'active'])
    expect((await on(a, 'systemctl show -p NextElapseUSecRealtime --value runmaster-backup.timer')).stdout.trim()).to.not.equal('')
  })

  it("the timer's service backs up, keeps the newest backup_keep (2) and copies them to B, which keeps 2 too", async function () {
    // Older backups on both sides: retention must remove them, newest first by stamp.
    await on(a, `cd ${BACKUPS} && for s in 20200101_000000 20200102_000000; do echo old > backup_$s.sql; echo old > models_backup_$s.tar.gz; done`)
    await on(
      b,
      'd=/srv/runmaster-backups/' +
        a +
        ' && mkdir -p $d && for s in 20190101_000000 20190102_000000 20190103_000000; do echo old > $d/backup_$s.sql; done && chown -R runmaster-backup: $d',
    )
    await on(a, 'systemctl start runmaster-backup.service')
    const stamp = /backup (\d{8}_\d{6}):/.exec((await on(a, 'journalctl -u runmaster-backup.service -o cat --no-pager')).stdout)?.[1]
    expect(stamp).to.be.a('string')
    expect((await on(a, `ls ${BACKUPS}`)).stdout.trim().split('\n').sort()).to.deep.equal(
      [`backup_${stamp}.sql`, 'backup_20200102_000000.sql', `models_backup_${stamp}.tar.gz`, 'models_backup_20200102_000000.tar.gz'].sort(),
    )
    expect((await on(b, `ls /srv/runmaster-backups/${a}`)).stdout.trim().split('\n').sort()).to.deep.equal(
      [`backup_${stamp}.sql`, 'backup_20200102_000000.sql', `models_backup_${stamp}.tar.gz`, 'models_backup_20200102_000000.tar.gz'].sort(),
    )
    expect((await on(b, `stat -c '%U %a' /srv/runmaster-backups/${a}/backup_${stamp}.sql`)).stdout.trim()).to.equal('runmaster-backup 600')
    expect((await on(a, 'systemctl --failed --no-legend')).stdout.trim()).to.equal('')
  })

  it('the backup key can only add files on B: no shell, no reading, no overwriting', async function () {
    const ssh = 'ssh -i /etc/runmaster-backup/id_ed25519 -o BatchMode=yes -o UserKnownHostsFile=/etc/runmaster-backup/known_hosts'
    const target = "runmaster-backup@$(awk '{print $1}' /etc/runmaster-backup/known_hosts)"
    const shell = await on(a, `${ssh} ${target} id 2>&1`, true)
    expect(shell.code).to.not.equal(0)
    expect(shell.stdout).to.include('SSH_ORIGINAL_COMMAND does not run rsync')
    const read = await on(a, `rsync -e '${ssh}' ${target}:backup_20200102_000000.sql /var/tmp/stolen 2>&1`, true)
    expect(read.code, read.stdout).to.not.equal(0)
    expect(read.stdout).to.include('reading from write-only server is not allowed')
    await on(a, 'echo forged > /var/tmp/backup_20200102_000000.sql')
    await on(a, `rsync -e '${ssh}' /var/tmp/backup_20200102_000000.sql ${target}: 2>&1`, true)
    expect((await on(b, `cat /srv/runmaster-backups/${a}/backup_20200102_000000.sql`)).stdout.trim()).to.equal('old')
  })

  it('restore drill: a row written on A, backed up and copied, reads back on B after restore-drill.yml', async function () {
    const marker = `drill-${Date.now()}`
    await psql(a, `INSERT INTO ai_models (name, version, path) VALUES ('${marker}', '1', '/opt/runmaster/models/drill.bin')`)
    const before = (await on(a, 'journalctl -u runmaster-backup.service -o cat --no-pager | grep -c "^backup " || true')).stdout.trim()
    await on(a, 'systemctl start runmaster-backup.service')
    expect(Number((await on(a, 'journalctl -u runmaster-backup.service -o cat --no-pager | grep -c "^backup "')).stdout.trim())).to.equal(Number(before) + 1)
    const refused = await run('restore-drill.yml')
    expect(refused.exitCode).to.equal(2)
    expect(refused.text).to.include('-e restore_drill_source=HOST')
    expect(refused.changed(b), 'refused before installing anything').to.equal(0)
    const t0 = Date.now()
    const r = await run('restore-drill.yml', { extraVars: { restore_drill_source: a } })
    console.log(`      restore drill on fresh ${b}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.text).to.match(new RegExp(`backup \\d{8}_\\d{6} of ${a} restored: database at revision \\w+`))
    expect((await psql(b, `SELECT path FROM ai_models WHERE name = '${marker}'`)).stdout.trim()).to.equal('/opt/runmaster/models/drill.bin')
    // The drill leaves no copy of the dump behind.
    expect((await on(b, 'ls /var/tmp')).stdout).to.not.include('runmaster-restore-drill')
  })

  it('repair.yml changes nothing on a healthy host', async function () {
    const r = await run('repair.yml')
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changed(a), r.text).to.equal(0)
    expect(r.text).to.include('nothing to repair on this host')
  })

  it('repair.yml restarts only redis-server and the Celery worker when Redis is down, never PostgreSQL', async function () {
    const pgPid = async () => (await on(a, 'systemctl show -p MainPID --value postgresql@15-main')).stdout.trim()
    const pid = await pgPid()
    expect(Number(pid)).to.be.greaterThan(0)
    await on(a, 'systemctl stop redis-server')
    const r = await run('repair.yml')
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changedTasks(), r.text).to.deep.equal(['Restart redis-server (troubleshooting 2)', 'Restart the Celery worker (troubleshooting 2)'])
    expect(status(r, 'Restart PostgreSQL (troubleshooting 3)', a)).to.deep.equal(['skipped'])
    expect(status(r, 'The repair worked', a)).to.deep.equal(['ok'])
    expect(await pgPid()).to.equal(pid)
    expect((await on(a, 'systemctl is-active redis-server')).stdout.trim()).to.equal('active')
  })

  it('repair.yml restarts only PostgreSQL when the database is down', async function () {
    await on(a, 'systemctl stop postgresql')
    const r = await run('repair.yml')
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.changedTasks(), r.text).to.deep.equal(['Restart PostgreSQL (troubleshooting 3)'])
    expect(status(r, 'Restart redis-server (troubleshooting 2)', a)).to.deep.equal(['skipped'])
  })

  it('repair.yml names Redis and PostgreSQL on another host (split topology) instead of restarting anything here', async function () {
    // B answers neither as the app's Redis nor its database (nothing listens there for A).
    const elsewhere = lab.hosts.find((h) => h.name === b)!.address
    const r = await run('repair.yml', { extraVars: { runmaster_redis_host: elsewhere, runmaster_db_host: elsewhere } })
    expect(r.exitCode, r.text).to.equal(2)
    expect(r.changed(a), r.text).to.equal(0)
    expect(r.text).to.include(`FAILED! => Redis on ${elsewhere} and PostgreSQL on ${elsewhere} not answering: run repair.yml on that host (-l HOST)`)
  })

  it("healthcheck.yml passes and reports the processes, app.log's AI lines and the log errors", async function () {
    await on(a, 'echo "$(date) INFO [0] runmaster: AI health line" >> /opt/runmaster/logs/app.log')
    const r = await eventually(async () => {
      const hc = await run('healthcheck.yml')
      expect(hc.exitCode, hc.text).to.equal(0)
      return hc
    })
    expect(r.changed(a)).to.equal(0)
    expect(r.text).to.match(/^\s+"\s+\d+ gunicorn",?$/m)
    expect(r.text).to.match(/^\s+"\s+\d+ celery worker",?$/m)
    expect(r.text).to.match(/^\s+"\s+\d+ redis-server",?$/m)
    expect(r.text).to.match(/^\s+"\s+\d+ postgres",?$/m)
    expect(r.text).to.include('runmaster: AI health line')
  })
})
