// The RunMaster deployment for real on systemd lab hosts: playbooks/site.yml converges a fresh host (API,
// Celery, Redis, PostgreSQL, nginx with TLS, ufw), a second run changes nothing, check mode
// changes nothing and predicts (0 changes on the converged host, the changes on a fresh one), and
// healthcheck.yml, ai-features.yml, backup.yml and restore.yml do what they say.
// Slow (apt installs on a cold cache): one converge, in a before() hook, whose host and result every
// test of that describe reads; a test that changes the host puts it back (its describe's after()).
import { expect } from 'chai'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadVarsFile } from '../../src/playbook/vars-files.js'
import { readPasswordFile, setVaultPassword } from '../../src/playbook/vault.js'
import { sh, snapshot, snapshotDiff, type HostSnapshot } from '../helpers/host-shell.js'
import { eventually } from '../helpers/eventually.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOptions, type PlayOutcome } from '../helpers/run-playbook.js'

const ROOT = resolve('.')
const PLAYBOOKS = join(ROOT, 'playbooks')

/** Paths whose content changes while the services run (logs, databases, caches), whatever rm-play does. */
const CHURN = ['/opt/runmaster/logs', '/opt/runmaster/backend/celerybeat-schedule', '/var/lib/postgresql', '/var/lib/redis', '/var/lib/nginx', '/var/tmp']

function steady(s: HostSnapshot): HostSnapshot {
  // A file line is "path type mode owner group size mtime": keep it unless the path churns.
  const churns = (l: string) => l.includes('/__pycache__') || CHURN.some((p) => l.startsWith(`${p}/`) || l.startsWith(`${p} `) || l.startsWith(`${p}.`))
  return { ...s, files: s.files.filter((l) => !churns(l)) }
}

describe('RunMaster deployment (playbooks/*.yml on lab hosts)', function () {
  let lab: TestLab
  let inventoryDir: string
  let host: string // converged once, reused
  let fresh: string // for check mode on a fresh host
  let secrets: Record<string, string>

  const run = (playbook: string, o: PlayOptions = {}): Promise<PlayOutcome> =>
    playFile(join(PLAYBOOKS, playbook), { inventory: [inventoryDir], limit: host, ...o })
  const on = (script: string, allowFail = false) => sh(inventoryDir, host, script, allowFail)
  /** GET on the host itself (it has python3, not curl): "STATUS BODY". */
  const get = async (url: string): Promise<{ status: number; body: string }> => {
    const py = `import ssl,sys,urllib.request,urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=20, context=ssl._create_unverified_context())
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())`
    const out = (await on(`python3 -c '${py.replace(/'/g, `'"'"'`)}' '${url}'`)).stdout.trim()
    const sp = out.indexOf(' ')
    return { status: Number(out.slice(0, sp)), body: out.slice(sp + 1) }
  }

  before(async function () {
    // systemd hosts, as the servers the guide targets (booted by systemd-nspawn; see docs/lab.md)
    lab = await testLab(2, { init: 'systemd' })
    ;[fresh, host] = lab.names.slice(-2) as [string, string]
    // The lab's inventory file lives in the lab's state dir; the RunMaster group_vars live in
    // inventory/lab/. One directory holding both makes one inventory source, exactly as
    // `-i inventory/lab` is for a person (where `lab up` writes hosts.yml beside group_vars/).
    inventoryDir = mkdtempSync(join(tmpdir(), 'rmp-site-inv-'))
    copyFileSync(lab.inventory, join(inventoryDir, 'hosts.yml'))
    symlinkSync(join(ROOT, 'inventory', 'lab', 'group_vars'), join(inventoryDir, 'group_vars'))
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    secrets = loadVarsFile(join(ROOT, 'inventory', 'lab', 'group_vars', 'all', 'vault.yml')) as Record<string, string>
    await resetHosts(lab, [fresh, host])
  })

  after(async function () {
    // ufw, PostgreSQL, Redis, nginx would leak into the next tests that use these hosts.
    if (lab) await resetHosts(lab, [fresh, host])
    if (inventoryDir) rmSync(inventoryDir, { recursive: true, force: true })
  })

  describe('a fresh host', function () {
    it('check mode on a fresh host reports the changes and changes nothing', async function () {
      const before = await snapshot(inventoryDir, fresh)
      const r = await run('site.yml', { limit: fresh, check: true })
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.stats[fresh]!.failed, r.text).to.equal(0)
      expect(r.changed(fresh), r.text).to.be.greaterThan(25)
      // the packages (the cache refresh beside them is not a change of its own, as in Ansible)
      expect(r.text).to.match(/would run: \[\S+\] install \S*nginx/)
      expect(r.text).to.match(/create role runmaster/)
      expect(r.text).to.match(/clone git:\/\/[\d.]+\/runmaster-backend\.git/)
      const after = await snapshot(inventoryDir, fresh)
      expect(snapshotDiff(before, after)).to.deep.equal([])
    })
  })

  describe('a host converged once by site.yml (in before)', function () {
    /** The first converge of the fresh `host`, with --diff. */
    let first: PlayOutcome

    before(async function () {
      const t0 = Date.now()
      // two single servers at once (the fresh one's check mode is done): each must get the whole
      // stack, its own database migrated included
      first = await run('site.yml', { diff: true, limit: `${host},${fresh}` })
      console.log(`      first converge of ${host} and ${fresh}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${first.changed(host)} changes on ${host}`)
      // every test below reads this host: a failed converge stops them here, with its output
      expect(first.exitCode, first.text).to.equal(0)
    })

    it('the first converge changes more than 25 things, shows the diffs but no vault value, and the API reports the deployed state', function () {
      const r = first
      expect(r.changed(host)).to.be.greaterThan(25)
      // The diffs show .env.production and the supervisor programs, never the vault's values.
      expect(r.text).to.include('+++ /opt/runmaster/backend/.env.production')
      // The loop below proves nothing if the vault loaded empty: name the secrets it must hold.
      expect(Object.keys(secrets).sort()).to.deep.equal(['vault_runmaster_db_password', 'vault_runmaster_redis_password', 'vault_runmaster_secret_key'])
      for (const v of Object.values(secrets)) expect(r.text).to.not.include(v)
      expect(r.results('The API reports the deployed state', host)[0]?.status, r.text).to.equal('ok')
    })

    it('a second run of site.yml changes nothing (changed=0) on either server', async function () {
      const t0 = Date.now()
      const r = await run('site.yml', { limit: `${host},${fresh}` })
      console.log(`      second run on ${host} and ${fresh}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.changed(host), r.text).to.equal(0)
      expect(r.changed(fresh), r.text).to.equal(0)
    })

    it('each single server migrated its own database to the head revision', async function () {
      const heads = new Set<string>()
      for (const h of [host, fresh]) {
        const r = await sh(inventoryDir, h, `cd /tmp && sudo -u postgres psql -d runmaster_prod -tAc 'SELECT version_num FROM alembic_version'`, true)
        expect(r.code, `${h}: ${r.stderr}`).to.equal(0)
        expect(r.stdout.trim(), h).to.match(/^\d+/)
        heads.add(r.stdout.trim())
      }
      expect(heads.size, 'both at the same head').to.equal(1)
    })

    it('serves /health through nginx over http and https, from the DB and Redis', async function () {
      for (const url of ['http://127.0.0.1/health', 'https://127.0.0.1/health', 'http://127.0.0.1:8000/health']) {
        const r = await get(url)
        expect(r.status, `${url}: ${r.body}`).to.equal(200)
        expect(JSON.parse(r.body)).to.include({ status: 'ok', db: 'ok', redis: 'ok' })
      }
      const stats = await get('http://127.0.0.1/api/admin/ai/system-stats')
      expect(stats.status).to.equal(200)
      expect(JSON.parse(stats.body)).to.include({ ai_features_enabled: true, models_path: '/opt/runmaster/models' })
      const headers = (await on(`python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1/health").headers)'`)).stdout
      expect(headers).to.match(/X-Frame-Options: SAMEORIGIN/)
    })

    it('runs celery-worker (2 processes), celery-beat and runmaster-api under supervisor', async function () {
      // supervisor reports STARTING until a program has stayed up for its startsecs: wait for RUNNING.
      await eventually(async () => {
        const status = (await on('supervisorctl status', true)).stdout
        expect(status).to.match(/^celery-worker:celery-worker_00\s+RUNNING/m)
        expect(status).to.match(/^celery-worker:celery-worker_01\s+RUNNING/m)
        expect(status).to.match(/^celery-beat\s+RUNNING/m)
        expect(status).to.match(/^runmaster-api\s+RUNNING/m)
      })
      expect((await on('stat -c "%a %U" /etc/supervisor/conf.d/runmaster-api.conf')).stdout.trim()).to.equal('600 root')
    })

    it('runs on a systemd host: nginx, redis-server, postgresql and supervisor are active units, enabled at boot', async function () {
      expect((await on('ps -p 1 -o comm=')).stdout.trim()).to.equal('systemd')
      const units = ['nginx', 'redis-server', 'postgresql', 'supervisor']
      await eventually(async () => {
        const active = (await on(`systemctl is-active ${units.join(' ')}`, true)).stdout.trim().split('\n')
        expect(active).to.deep.equal(units.map(() => 'active'))
      })
      expect((await on(`systemctl is-enabled ${units.join(' ')}`, true)).stdout.trim().split('\n')).to.deep.equal(units.map(() => 'enabled'))
      expect((await on('systemctl --failed --no-legend', true)).stdout.trim()).to.equal('')
    })

    it('Redis requires its password; the app user reaches the database with its own', async function () {
      expect((await on('redis-cli ping', true)).stdout).to.match(/NOAUTH/)
      expect((await on(`REDISCLI_AUTH='${secrets.vault_runmaster_redis_password}' redis-cli ping`)).stdout.trim()).to.equal('PONG')
      expect((await on(`REDISCLI_AUTH='${secrets.vault_runmaster_redis_password}' redis-cli config get maxmemory-policy`)).stdout).to.match(/allkeys-lru/)
      const psql = (pw: string) =>
        on(`PGPASSWORD='${pw}' psql -h localhost -U runmaster -d runmaster_prod -tAc 'SELECT count(*) FROM pg_indexes WHERE indexname LIKE $$idx_%$$'`, true)
      const ok = await psql(secrets.vault_runmaster_db_password!)
      expect(ok.code, ok.stderr).to.equal(0)
      expect(ok.stdout.trim()).to.equal('4') // the four indexes of the performance section
      expect((await psql('wrong-password')).code).to.not.equal(0)
    })

    it('.env.production is mode 0600, owned by runmaster, with every variable of guide 2.2', async function () {
      expect((await on('stat -c "%a %U %G" /opt/runmaster/backend/.env.production')).stdout.trim()).to.equal('600 runmaster runmaster')
      const env = (await on('cat /opt/runmaster/backend/.env.production')).stdout
      for (const k of [
        'APP_NAME',
        'APP_VERSION',
        'DEBUG',
        'ENVIRONMENT',
        'DATABASE_URL',
        'AI_FEATURES_ENABLED',
        'REDIS_URL',
        'ML_MODELS_PATH',
        'FEATURE_STORE_RETENTION_DAYS',
        'PREDICTION_CACHE_TTL',
        'RATE_LIMIT_WINDOW',
        'SECRET_KEY',
        'ACCESS_TOKEN_EXPIRE_MINUTES',
        'REFRESH_TOKEN_EXPIRE_DAYS',
        'LOG_LEVEL',
        'LOG_FILE_PATH',
      ]) {
        expect(env).to.match(new RegExp(`^${k}=.+$`, 'm'))
      }
      expect(env).to.include(`SECRET_KEY=${secrets.vault_runmaster_secret_key}`)
    })

    it('ufw is active: default deny incoming, 22, 80 and 443/tcp allowed', async function () {
      const ufw = (await on('ufw status verbose')).stdout
      expect(ufw).to.match(/Status: active/)
      expect(ufw).to.match(/Default: deny \(incoming\)/)
      for (const p of [22, 80, 443]) expect(ufw).to.match(new RegExp(`^${p}/tcp\\s+ALLOW IN\\s+Anywhere`, 'm'))
    })

    it('check mode on the converged host predicts 0 changes and changes nothing', async function () {
      const before = steady(await snapshot(inventoryDir, host))
      const r = await run('site.yml', { check: true })
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.changed(host), r.text).to.equal(0)
      expect(r.events.filter((e) => e.type === 'host-result' && e.mayChange)).to.deep.equal([])
      const after = steady(await snapshot(inventoryDir, host))
      expect(snapshotDiff(before, after)).to.deep.equal([])
    })

    it('healthcheck.yml passes every check and changes nothing', async function () {
      const r = await run('healthcheck.yml')
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.changed(host)).to.equal(0)
      expect(r.text).to.not.match(/FAILED/)
      expect(r.text.match(/"msg": "ok {5}/g) ?? []).to.have.length(7)
      const check = await run('healthcheck.yml', { check: true })
      expect(check.exitCode, check.text).to.equal(0)
      expect(check.changed(host)).to.equal(0)
    })

    describe('ai-features.yml', function () {
      // the test turns the features off, then on: if it stops half-way, the host is put back here
      after(async function () {
        const back = await run('ai-features.yml', { extraVars: { ai_features_enabled: true } })
        expect(back.exitCode, back.text).to.equal(0)
      })

      it('ai-features.yml turns the AI features off (404, Celery stopped) and on again, after which site.yml changes nothing', async function () {
        const off = await run('ai-features.yml', { extraVars: { ai_features_enabled: false } })
        expect(off.exitCode, off.text).to.equal(0)
        expect((await get('http://127.0.0.1/api/ai/predict-demo')).status).to.equal(404)
        await eventually(async () => {
          const stopped = (await on('supervisorctl status', true)).stdout
          expect(stopped).to.match(/^celery-worker:celery-worker_00\s+STOPPED/m)
          expect(stopped).to.match(/^celery-beat\s+STOPPED/m)
          expect(stopped).to.match(/^runmaster-api\s+RUNNING/m)
        })
        expect((await on('grep ^AI_FEATURES_ENABLED= /opt/runmaster/backend/.env.production')).stdout.trim()).to.equal('AI_FEATURES_ENABLED=false')
        const hc = await run('healthcheck.yml')
        expect(hc.exitCode, hc.text).to.equal(0)
        expect(hc.text).to.match(/AI features off: predict-demo answers 404, as configured/)

        const on_ = await run('ai-features.yml', { extraVars: { ai_features_enabled: true } })
        expect(on_.exitCode, on_.text).to.equal(0)
        const p = await get('http://127.0.0.1/api/ai/predict-demo?distance_km=21.1')
        expect(p.status, p.body).to.equal(200)
        expect(JSON.parse(p.body)).to.have.property('predicted_seconds')
        await eventually(async () => {
          const running = (await on('supervisorctl status', true)).stdout
          expect(running).to.match(/^celery-worker:celery-worker_01\s+RUNNING/m)
          expect(running).to.match(/^celery-beat\s+RUNNING/m)
        })
        // Back to what the inventory says: site.yml has nothing to do.
        const again = await run('site.yml')
        expect(again.changed(host), again.text).to.equal(0)
      })
    })

    describe('backup.yml and restore.yml', function () {
      // the test adds a model file, rows and backups: removed here, so the host is as converged again
      after(async function () {
        await on(
          `rm -f /opt/runmaster/models/model.bin /opt/runmaster/models/other.bin /var/backups/runmaster/backup_*.sql /var/backups/runmaster/models_backup_*.tar.gz`,
        )
        await on(
          `PGPASSWORD='${secrets.vault_runmaster_db_password}' psql -h localhost -U runmaster -d runmaster_prod -tAc "DELETE FROM ai_models WHERE name IN ('before', 'after')"`,
        )
      })

      it('backup.yml dumps the database and the models; restore.yml brings both back (and refuses without a stamp)', async function () {
        const psql = (sql: string) => on(`PGPASSWORD='${secrets.vault_runmaster_db_password}' psql -h localhost -U runmaster -d runmaster_prod -tAc "${sql}"`)
        await on('echo v1 > /opt/runmaster/models/model.bin && chown runmaster: /opt/runmaster/models/model.bin')
        await psql(`INSERT INTO ai_models (name, version, path, is_active) VALUES ('before', '1', '/opt/runmaster/models/model.bin', true)`)
        const b = await run('backup.yml')
        expect(b.exitCode, b.text).to.equal(0)
        const stamp = /restore_timestamp=(\d{8}_\d{6})/.exec(b.text)?.[1]
        expect(stamp, b.text).to.be.a('string')
        const files = (await on('ls /var/backups/runmaster')).stdout
        expect(files).to.include(`backup_${stamp}.sql`)
        expect(files).to.include(`models_backup_${stamp}.tar.gz`)

        await on('echo v2 > /opt/runmaster/models/model.bin && echo new > /opt/runmaster/models/other.bin')
        await psql(`INSERT INTO ai_models (name, version, path) VALUES ('after', '1', '/x')`)

        const refused = await run('restore.yml')
        expect(refused.exitCode).to.equal(2)
        expect(refused.text).to.match(/restore_timestamp=YYYYmmdd_HHMMSS/)
        expect((await psql('SELECT count(*) FROM ai_models')).stdout.trim()).to.equal('2')

        const r = await run('restore.yml', { extraVars: { restore_timestamp: stamp } })
        expect(r.exitCode, r.text).to.equal(0)
        expect((await psql('SELECT name FROM ai_models ORDER BY id')).stdout.trim()).to.equal('before')
        expect((await on('ls /opt/runmaster/models')).stdout.trim()).to.equal('model.bin')
        expect((await on('cat /opt/runmaster/models/model.bin')).stdout.trim()).to.equal('v1')
        const h = await get('http://127.0.0.1/health')
        expect(h.status, h.body).to.equal(200)
      })
    })
  })
})
