// The lab's package index (`rm-play lab up` serves it on the bridge): a host installs the backend's
// requirements.txt with its whole dependency closure from it alone, as production installs from
// PyPI; a project it does not hold fails with pip's own error, not with a fallback elsewhere.
// Both builds: the one `lab up` made (pip download through this machine's pip configuration, or
// Debian's packages where pip reaches no index), and the Debian-only one made here with pip's
// configuration hidden (what a fresh CI machine with no PyPI mirror gets), served on a second port.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { controllerMirrors } from '../../src/lab/base-image.js'
import { startListening } from '../../src/lab/daemon.js'
import { labPaths } from '../../src/lab/paths.js'
import { appRequirements, ensurePipIndexContent, type PipIndexContent } from '../../src/lab/pip-index-build.js'
import { killAndWait, type ProcRef } from '../../src/lab/proc.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'

const REQUIREMENTS = join(resolve('.'), 'apps', 'runmaster-backend', 'requirements.txt')
const VENV = '/tmp/rmp-pip-index-venv'
/** The Debian-only build's server: beside the lab's own index (3141) on the bridge. */
const DEBIAN_INDEX_PORT = 3149

/** A fresh plain venv on the host, requirements.txt installed into it from `url` alone; pip's output. */
async function installFrom(
  on: (script: string, allowFail?: boolean) => Promise<{ code: number; stdout: string }>,
  url: string,
  trusted: string,
): Promise<string> {
  const reqs = readFileSync(REQUIREMENTS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
  await on(`rm -rf ${VENV} && python3 -m venv ${VENV}`)
  const r = await on(`${VENV}/bin/pip install --disable-pip-version-check --index-url ${url} --trusted-host ${trusted} ${reqs.join(' ')} 2>&1`, true)
  expect(r.code, r.stdout).to.equal(0)
  expect((await on(`${VENV}/bin/python -m pip check`)).stdout).to.match(/No broken requirements/)
  // The Debian-made wheels, the extension module included, import on the host.
  const imports =
    'import fastapi, starlette, uvicorn, gunicorn, celery, click_repl, click_didyoumean, redis.asyncio, celery.backends.redis, kombu.transport.redis, async_timeout, psycopg2, sqlalchemy, alembic'
  const py = await on(`${VENV}/bin/python -c '${imports}; print(psycopg2.__version__)' 2>&1`, true)
  expect(py.code, py.stdout).to.equal(0)
  expect(py.stdout).to.match(/^2\.9\.5/)
  return (await on(`${VENV}/bin/python -m pip list --format=freeze`)).stdout
}

describe("the lab's package index (e2e, real host)", function () {
  let lab: TestLab
  let host: string
  const on = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)

  before(async function () {
    lab = await testLab(1)
    host = lab.names[0]!
    await resetHosts(lab, [host])
    expect(lab.pipIndexUrl, 'lab up serves an index for apps/*/requirements.txt').to.equal(`http://${lab.bridgeAddress}:3141/simple/`)
    // A plain venv with the pip Debian bundles; pip's configuration on the host is empty. libpq5:
    // psycopg2 links to it (production gets it with libpq-dev, common_build_packages).
    await on(`apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv libpq5 >/dev/null && python3 -m venv ${VENV}`)
  })

  after(async function () {
    if (lab) await resetHosts(lab, [host])
  })

  it('installs requirements.txt with all its dependencies from the index alone, into a plain venv on Python 3.11', async function () {
    if (!lab.pipIndexComplete) this.skip()
    console.log(
      `      the lab's index was built with ${lab.pipIndexSource === 'debian' ? "Debian's packages alone (pip download could not build the closure)" : 'pip download'}`,
    )
    const installed = await installFrom(on, lab.pipIndexUrl!, lab.bridgeAddress)
    // fastapi's dependency on starlette resolved from the index.
    expect(installed).to.match(/^starlette==\d/m)
  })

  it('fails clearly for a project the index does not hold (no fallback to another index)', async function () {
    const r = await on(
      `${VENV}/bin/pip install --disable-pip-version-check --index-url ${lab.pipIndexUrl} --trusted-host ${lab.bridgeAddress} psycopg2-binary 2>&1`,
      true,
    )
    expect(r.code).to.not.equal(0)
    expect(r.stdout).to.match(/No matching distribution found for psycopg2-binary/)
  })

  describe("built from Debian's packages alone (pip's configuration hidden: no mirror, PyPI unreachable)", function () {
    let index: PipIndexContent
    let server: ProcRef | undefined

    before(async function () {
      index = await ensurePipIndexContent(appRequirements(resolve('apps')), controllerMirrors().main, () => undefined, { hidePipConfig: true })
      expect(index.source, index.notes.join('\n')).to.equal('debian')
      expect(index.problems, index.problems.join('\n')).to.deep.equal([])
      const log = join(labPaths(lab.name).dir, 'pip-index-debian.log')
      server = await startListening('python3', ['-m', 'http.server', String(DEBIAN_INDEX_PORT), '--bind', lab.bridgeAddress, '--directory', index.dir], log, {
        address: lab.bridgeAddress,
        port: DEBIAN_INDEX_PORT,
        what: 'the Debian-only package index',
      })
    })

    after(async function () {
      if (server) await killAndWait([server])
    })

    it('pip on the host resolves and installs the whole closure from it, the app imports, pip makes the scripts', async function () {
      const installed = await installFrom(on, `http://${lab.bridgeAddress}:${DEBIAN_INDEX_PORT}/simple/`, lab.bridgeAddress)
      // Debian 12's releases, fastapi with the starlette Debian ships beside it (the lab-only adjustment).
      for (const pin of [
        'fastapi==0.92.0',
        'starlette==0.26.1',
        'celery==5.2.6',
        'redis==4.3.4',
        'psycopg2==2.9.5',
        'SQLAlchemy==1.4.46',
        'async-timeout==4.0.2',
      ]) {
        expect(installed, pin).to.match(new RegExp(`^${pin.replace(/\./g, '\\.')}$`, 'mi'))
      }
      expect(index.notes.join('\n')).to.match(
        /lab-only adjustment: fastapi's wheel requires starlette<0\.27\.0,>=0\.25\.0 instead of starlette<0\.26\.0,>=0\.25\.0/,
      )
      for (const script of ['gunicorn', 'celery', 'alembic', 'uvicorn']) {
        expect((await on(`${VENV}/bin/${script} --help >/dev/null 2>&1 && head -1 ${VENV}/bin/${script}`)).stdout, script).to.equal(`#!${VENV}/bin/python3\n`)
      }
    })
  })
})
