// The lab's package index (`rm-play lab up` serves it on the bridge): a host installs the backend's
// requirements.txt with its whole dependency closure from it alone, as production installs from
// PyPI; a project it does not hold fails with pip's own error, not with a fallback elsewhere.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'

const REQUIREMENTS = join(resolve('.'), 'apps', 'runmaster-backend', 'requirements.txt')
const VENV = '/tmp/rmp-pip-index-venv'

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
    // Without a local PyPI mirror `lab up` builds only what Debian's packages give, and says INCOMPLETE.
    if (!lab.pipIndexComplete) this.skip()
    const reqs = readFileSync(REQUIREMENTS, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
    const r = await on(
      `${VENV}/bin/pip install --disable-pip-version-check --index-url ${lab.pipIndexUrl} --trusted-host ${lab.bridgeAddress} ${reqs.join(' ')} 2>&1`,
      true,
    )
    expect(r.code, r.stdout).to.equal(0)
    expect((await on(`${VENV}/bin/python -m pip check`)).stdout).to.match(/No broken requirements/)
    // fastapi's dependency on starlette resolved from the index (the mirror's release).
    const installed = (await on(`${VENV}/bin/python -m pip list --format=freeze`)).stdout
    expect(installed).to.match(/^starlette==\d/m)
    // The Debian-made wheels, the extension module included, import on the host.
    const imports =
      'import fastapi, starlette, uvicorn, gunicorn, celery, click_repl, click_didyoumean, redis.asyncio, celery.backends.redis, kombu.transport.redis, async_timeout, psycopg2, sqlalchemy, alembic'
    const py = await on(`${VENV}/bin/python -c '${imports}; print(psycopg2.__version__)' 2>&1`, true)
    expect(py.code, py.stdout).to.equal(0)
    expect(py.stdout).to.match(/^2\.9\.5/)
  })

  it('fails clearly for a project the index does not hold (no fallback to another index)', async function () {
    const r = await on(
      `${VENV}/bin/pip install --disable-pip-version-check --index-url ${lab.pipIndexUrl} --trusted-host ${lab.bridgeAddress} psycopg2-binary 2>&1`,
      true,
    )
    expect(r.code).to.not.equal(0)
    expect(r.stdout).to.match(/No matching distribution found for psycopg2-binary/)
  })
})
