// The RunMaster split topology on systemd lab hosts: one db host (PostgreSQL, Redis) and two app
// hosts (API, Celery, nginx) from the same roles as the single server, the inventory deciding
// (inventory/split-example's group_vars); then playbooks/rolling-update.yml: a good version in
// batches, a version whose /health fails (stopped after the first batch, the second host still
// serving the old one), and the way back (rollback=true).
// Slow (three fresh hosts, apt on a cold cache): one converge, reused by every test after it.
import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { run as exec } from '../../src/lab/exec.js'
import { labPaths } from '../../src/lab/paths.js'
import { loadVarsFile } from '../../src/playbook/vars-files.js'
import { readPasswordFile, setVaultPassword } from '../../src/playbook/vault.js'
import { eventually } from '../helpers/eventually.js'
import { sh } from '../helpers/host-shell.js'
import { knock } from '../helpers/knock.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOptions, type PlayOutcome } from '../helpers/run-playbook.js'

const ROOT = resolve('.')
const PLAYBOOKS = join(ROOT, 'playbooks')

/** The split inventory over three lab hosts: the lab's connection vars, groups db and app under runmaster. */
function splitInventory(lab: TestLab, db: string, apps: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-split-inv-'))
  const labVars = (parse(readFileSync(lab.inventory, 'utf8')) as { all: { vars: Record<string, unknown> } }).all.vars
  const address = (h: string) => ({ ansible_host: lab.hosts.find((x) => x.name === h)!.address })
  const hosts = (names: string[]) => Object.fromEntries(names.map((h) => [h, address(h)]))
  const inv = { all: { vars: labVars, children: { runmaster: { children: { db: { hosts: hosts([db]) }, app: { hosts: hosts(apps) } } } } } }
  writeFileSync(join(dir, 'hosts.yml'), stringify(inv))
  mkdirSync(join(dir, 'group_vars'))
  // The lab's values and vault for every host; the topology's per-group values from the example.
  symlinkSync(join(ROOT, 'inventory', 'lab', 'group_vars', 'all'), join(dir, 'group_vars', 'all'))
  for (const g of ['db', 'app']) symlinkSync(join(ROOT, 'inventory', 'split-example', 'group_vars', `${g}.yml`), join(dir, 'group_vars', `${g}.yml`))
  return dir
}

/** A branch of the lab's runmaster-backend repository: main with `edit` applied (a shell command in the checkout). */
async function publishBranch(lab: TestLab, branch: string, edit: string): Promise<string> {
  const bare = join(labPaths(lab.name).git, 'runmaster-backend.git')
  const work = mkdtempSync(join(tmpdir(), 'rmp-branch-'))
  try {
    const git = (...args: string[]) =>
      exec(['git', '-c', 'safe.directory=*', '-c', 'user.name=rm-play test', '-c', 'user.email=test@rm-play.invalid', '-C', work, ...args])
    await exec(['git', '-c', 'safe.directory=*', 'clone', '-q', '--branch', 'main', bare, work])
    await exec(['sh', '-c', edit], { cwd: work })
    await git('commit', '-qam', `test: ${branch}`)
    await git('push', '-qf', 'origin', `HEAD:refs/heads/${branch}`)
    return (await git('rev-parse', 'HEAD')).stdout.trim()
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

describe('RunMaster split topology and rolling update (1 db + 2 app systemd lab hosts)', function () {
  let lab: TestLab
  let inventoryDir: string
  let db: string
  let app1: string
  let app2: string
  let dbAddress: string
  let secrets: Record<string, string>
  /** The first converge of the three fresh hosts. */
  let first: PlayOutcome

  const run = (playbook: string, o: PlayOptions = {}): Promise<PlayOutcome> => playFile(join(PLAYBOOKS, playbook), { inventory: [inventoryDir], ...o })
  const on = (host: string, script: string, allowFail = false) => sh(inventoryDir, host, script, allowFail)
  /** GET through the host's nginx (it has python3, not curl): status and JSON body. */
  const get = async (host: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const py = `import json,ssl,sys,urllib.request,urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=20, context=ssl._create_unverified_context())
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())`
    const out = (await on(host, `python3 -c '${py.replace(/'/g, `'"'"'`)}' 'https://127.0.0.1${path}'`)).stdout.trim()
    const sp = out.indexOf(' ')
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(out.slice(sp + 1)) as Record<string, unknown>
    } catch {
      body = { raw: out.slice(sp + 1) }
    }
    return { status: Number(out.slice(0, sp)), body }
  }
  const head = async (host: string) => (await on(host, 'git -c safe.directory=* -C /opt/runmaster/backend rev-parse HEAD')).stdout.trim()

  before(async function () {
    lab = await testLab(3, { init: 'systemd' })
    ;[db, app1, app2] = lab.names.slice(0, 3) as [string, string, string]
    dbAddress = lab.hosts.find((h) => h.name === db)!.address
    inventoryDir = splitInventory(lab, db, [app1, app2])
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    secrets = loadVarsFile(join(ROOT, 'inventory', 'lab', 'group_vars', 'all', 'vault.yml')) as Record<string, string>
    await resetHosts(lab, [db, app1, app2])
    const t0 = Date.now()
    first = await run('site.yml')
    console.log(`      first converge of ${db}, ${app1}, ${app2}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    // every test reads these hosts: a failed converge stops them here, with its output
    expect(first.exitCode, first.text).to.equal(0)
  })

  after(async function () {
    if (lab) await resetHosts(lab, [db, app1, app2])
    if (inventoryDir) rmSync(inventoryDir, { recursive: true, force: true })
  })

  it('the first converge of 1 db + 2 app hosts: each app host passes the guide 8 checks, the db host gets no app, one app host migrates, no secret shows', function () {
    const r = first
    for (const h of [app1, app2]) expect(r.results('The API reports the deployed state', h)[0]?.status, r.text).to.equal('ok')
    // The db host got no app, the app hosts no database.
    expect(
      r.results(undefined, db).filter((e) => /Check out the backend/.test(e.task)),
      r.text,
    ).to.deep.equal([])
    expect(r.results('Install PostgreSQL', app1), r.text).to.deep.equal([])
    // One app host migrated the shared database.
    expect(
      r.results('Migrate the database (alembic upgrade head)').filter((e) => e.status === 'changed'),
      r.text,
    ).to.have.length(1)
    for (const v of Object.values(secrets)) expect(r.text).to.not.include(v)
  })

  it('a second run of site.yml changes nothing (changed=0 on every host)', async function () {
    const t0 = Date.now()
    const r = await run('site.yml')
    console.log(`      second run: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.totalChanged(), r.text).to.equal(0)
  })

  it('each app host serves /health through nginx from PostgreSQL and Redis on the db host', async function () {
    for (const h of [app1, app2]) {
      const health = await get(h, '/health')
      expect(health.status, `${h}: ${JSON.stringify(health.body)}`).to.equal(200)
      expect(health.body).to.include({ status: 'ok', db: 'ok', redis: 'ok' })
      const env = (await on(h, 'cat /opt/runmaster/backend/.env.production')).stdout
      expect(env).to.match(new RegExp(`^DATABASE_URL=postgresql://runmaster:[^@]+@${dbAddress.replace(/\./g, '\\.')}:5432/runmaster_prod$`, 'm'))
      expect(env).to.match(new RegExp(`^REDIS_URL=redis://:[^@]+@${dbAddress.replace(/\./g, '\\.')}:6379/0$`, 'm'))
      // Neither server runs here: what answered ok is the db host's.
      expect((await on(h, 'dpkg-query -W -f="${Status}" postgresql redis-server', true)).stdout).to.not.match(/install ok installed/)
    }
    // The db host serves no web site.
    expect((await on(db, 'dpkg-query -W -f="${Status}" nginx', true)).stdout).to.not.match(/install ok installed/)
  })

  it('the db host lets in the app hosts only: listen addresses, pg_hba, Redis bind, ufw', async function () {
    const addr = (h: string) => lab.hosts.find((x) => x.name === h)!.address
    const listening = (await on(db, 'ss -Hltn')).stdout
    expect(listening).to.include(`${dbAddress}:5432`)
    expect(listening).to.include(`${dbAddress}:6379`)
    const hba = (await on(db, 'cat /etc/postgresql/15/main/pg_hba.conf')).stdout
    for (const h of [app1, app2]) expect(hba).to.include(`host runmaster_prod runmaster ${addr(h)}/32 scram-sha-256`)
    const ufw = (await on(db, 'ufw status')).stdout
    expect(ufw).to.match(/Status: active/)
    for (const h of [app1, app2]) expect(ufw).to.match(new RegExp(`^5432,6379/tcp\\s+ALLOW\\s+${addr(h).replace(/\./g, '\\.')}\\s*$`, 'm'))
    expect(ufw).to.not.match(/^(80|443)\/tcp/m)
    // From an app host: the password works over the network, Redis wants its password.
    const psql = await on(app1, `PGPASSWORD='${secrets.vault_runmaster_db_password}' psql -h ${dbAddress} -U runmaster -d runmaster_prod -tAc 'SELECT 1'`, true)
    expect(psql.stdout.trim(), psql.stderr).to.equal('1')
    expect((await on(app2, `redis-cli -h ${dbAddress} ping`, true)).stdout).to.match(/NOAUTH/)
    // From the controller (on the lab network, not an app host): dropped by ufw.
    expect(await knock(dbAddress, 5432)).to.equal('silent')
    expect(await knock(dbAddress, 6379)).to.equal('silent')
  })

  // The operations playbooks target every RunMaster host (group runmaster holds db and app), each
  // doing its part: no --limit on the split inventory.
  describe('healthcheck, backup, restore and ai-features on every host, without --limit', function () {
    let stamp: string
    const REPORT = 'Report'

    before(async function () {
      const r = await run('backup.yml')
      expect(r.exitCode, r.text).to.equal(0)
      stamp = /backup (\d{8}_\d{6}):/.exec(r.results('Backup done', db)[0]?.msg ?? '')?.[1] ?? ''
      expect(stamp, r.text).to.match(/^\d{8}_\d{6}$/)
    })

    it('healthcheck.yml passes on all three hosts: the db host its 5 checks, each app host all 7', async function () {
      const r = await run('healthcheck.yml')
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.totalChanged(), r.text).to.equal(0)
      const checks = (h: string) => r.results(REPORT, h).map((e) => e.item)
      expect(checks(db), r.text).to.have.length(5)
      expect(checks(db)).to.not.include('supervisor programs running (guide 8.1)')
      for (const h of [app1, app2]) expect(checks(h), r.text).to.have.length(7)
      for (const e of r.results(REPORT)) expect(e.msg, `${e.host}: ${e.msg}`).to.match(/^ok /)
    })

    it('backup.yml: one stamp; the dump on the db host, the models archive on each app host', async function () {
      const ls = async (h: string) => (await on(h, 'ls -1 /var/backups/runmaster')).stdout.trim().split('\n')
      expect(await ls(db))
        .to.include(`backup_${stamp}.sql`)
        .and.not.include(`models_backup_${stamp}.tar.gz`)
      for (const h of [app1, app2])
        expect(await ls(h))
          .to.include(`models_backup_${stamp}.tar.gz`)
          .and.not.include(`backup_${stamp}.sql`)
    })

    it('restore.yml of that stamp loads the dump on the db host and the models on the app hosts; the API answers', async function () {
      const r = await run('restore.yml', { extraVars: { restore_timestamp: stamp } })
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.results('Load the database dump (psql < backup.sql)', db)[0]?.status, r.text).to.equal('changed')
      expect(r.results('Load the database dump (psql < backup.sql)', app1)[0]?.status, r.text).to.equal('skipped')
      for (const h of [app1, app2]) expect(r.results('The API answers', h)[0]?.status, r.text).to.equal('ok')
    })

    it('ai-features.yml with the inventory value changes nothing on any host (the db host only looks at Redis)', async function () {
      const r = await run('ai-features.yml')
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.totalChanged(), r.text).to.equal(0)
      const redis = (h: string) => r.results(undefined, h).filter((e) => /^Redis /.test(e.task))
      expect(
        redis(app1).map((e) => e.status),
        r.text,
      ).to.deep.equal(['skipped'])
      expect(
        redis(db).map((e) => e.status),
        r.text,
      ).to.deep.equal(['ok'])
    })
  })

  describe('rolling-update.yml', function () {
    let v2: string
    let broken: string
    const fast = { rolling_health_retries: 10, rolling_health_delay: 2 }
    const rollOut = (version: string, release: string) => run('rolling-update.yml', { extraVars: { app_version: version, app_release: release, ...fast } })
    /** Both app hosts on v2, then the broken version stopped at the first batch: what the last two tests start from. */
    const goodThenBroken = async (): Promise<PlayOutcome> => {
      const good = await rollOut('rollout-v2', '2.0.0')
      expect(good.exitCode, good.text).to.equal(0)
      return rollOut('rollout-broken', '3.0.0')
    }

    before(async function () {
      v2 = await publishBranch(lab, 'rollout-v2', 'echo "release 2.0.0" >> README.md')
      broken = await publishBranch(
        lab,
        'rollout-broken',
        `sed -i 's/status_code=200 if ok else 503/status_code=500/' app/main.py && grep -q status_code=500 app/main.py`,
      )
    })

    it('rolls a good version out one host at a time, each batch gated by /health and the AI system stats', async function () {
      const t0 = Date.now()
      const r = await rollOut('rollout-v2', '2.0.0')
      console.log(`      rolling update of 2 app hosts: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      expect(r.exitCode, r.text).to.equal(0)
      const batches = r.events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts)
      expect(batches).to.deep.equal([[app1], [app2]])
      for (const h of [app1, app2]) {
        expect(await head(h)).to.equal(v2)
        const health = await get(h, '/health')
        expect(health.status).to.equal(200)
        expect(health.body).to.include({ status: 'ok', version: '2.0.0' })
      }
    })

    describe('a broken version after a good one', function () {
      let r: PlayOutcome
      before(async function () {
        r = await goodThenBroken()
      })

      it('stops at the first batch whose /health fails: the second host keeps the old version and serves', async function () {
        expect(r.exitCode, r.text).to.equal(2)
        expect(r.text).to.match(/max_fail_percentage 0% exceeded/)
        expect(r.results('Gate: /health through nginx answers ok', app1)[0]?.status, r.text).to.equal('failed')
        expect(r.results(undefined, app2), r.text).to.deep.equal([])
        expect(await head(app1)).to.equal(broken)
        expect((await get(app1, '/health')).status).to.equal(500)
        expect(await head(app2)).to.equal(v2)
        const health = await get(app2, '/health')
        expect(health.status).to.equal(200)
        expect(health.body).to.include({ status: 'ok', version: '2.0.0' })
      })
    })

    describe('rollback after the broken version', function () {
      before(async function () {
        const stopped = await goodThenBroken()
        expect(stopped.exitCode, stopped.text).to.equal(2)
      })

      it('rollback=true brings the host back to the release it ran before', async function () {
        const r = await run('rolling-update.yml', { limit: app1, extraVars: { rollback: true, ...fast } })
        expect(r.exitCode, r.text).to.equal(0)
        expect(await head(app1)).to.equal(v2)
        await eventually(async () => {
          const health = await get(app1, '/health')
          expect(health.status).to.equal(200)
          expect(health.body).to.include({ status: 'ok', version: '2.0.0' })
        })
        // A second rollback has nothing left to undo.
        const again = await run('rolling-update.yml', { limit: app1, extraVars: { rollback: true, ...fast } })
        expect(again.exitCode, again.text).to.equal(0)
        expect(again.changed(app1), again.text).to.equal(0)
      })
    })
  })
})
