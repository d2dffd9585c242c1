// trust 35: converge twice for every module. One playbook (test/fixtures/trust-converge/site.yml)
// uses every host module that can change a host once; test/unit/trust-converge.test.ts keeps it
// complete. Run for real on a fresh lab host, then again: the second run changes nothing and runs
// no handler.
import { expect } from 'chai'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOutcome } from '../helpers/run-playbook.js'
import { CONVERGE_PLAYBOOK, modulesUsed } from '../helpers/converge-coverage.js'

describe('trust 35: every changing module converges (lab host)', function () {
  let lab: TestLab
  let host: string
  let proj: string
  // Both runs are made in before(), in order; each `it` checks one of them.
  let first: PlayOutcome
  let again: PlayOutcome

  const run = () => playFile(join(proj, 'site.yml'), { inventory: [lab.inventory], limit: host, diff: true })
  const handlersRun = (r: PlayOutcome) => r.events.filter((e) => e.type === 'task-start' && e.handler).map((e) => (e as { task: string }).task)

  before(async function () {
    lab = await testLab(3)
    host = lab.names[2]!
    await resetHosts(lab, [host])
    proj = mkdtempSync(join(tmpdir(), 'rmp-t35-'))
    cpSync(dirname(CONVERGE_PLAYBOOK), proj, { recursive: true })
    const src = join(proj, 'src')
    mkdirSync(join(src, 'app'), { recursive: true })
    writeFileSync(join(src, 'app', 'main.py'), 'print("t35")\n')
    mkdirSync(join(proj, 'files'))
    execFileSync('tar', ['cf', join(proj, 'files', 't35.tar'), '--mtime=2024-05-01 12:00:00', '--owner=0', '--group=0', '-C', src, 'app'])
    first = await run()
    again = await run()
  })

  after(async function () {
    if (proj) rmSync(proj, { recursive: true, force: true })
    if (lab) await resetHosts(lab, [host])
  })

  it('trust 35: the first run converges a fresh host with every changing module (and runs its handler)', async function () {
    expect(first.exitCode, first.text).to.equal(0)
    expect(handlersRun(first), first.text).to.deep.equal(['reload postgresql'])
    // Each module did its job on the fresh host: every task changed something.
    const changed = new Set(first.changedTasks())
    expect(
      first
        .results(undefined, host)
        .map((e) => e.task)
        .filter((n) => !changed.has(n)),
      first.text,
    ).to.deep.equal([])
    expect(
      (
        await sh(
          lab.inventory,
          host,
          'cat /srv/t35/copied.txt /srv/t35/line.txt; readlink -f /srv/t35/clone/.git; su postgres -c "psql -XAtc \'select count(*) from t35\' rmp_t35"',
        )
      ).stdout,
    ).to.equal('one\ntwo\n/srv/t35/clone/.git\n1\n')
  })

  it('trust 35: the second run changes nothing and runs no handler, for every module of the playbook', async function () {
    expect(again.exitCode, again.text).to.equal(0)
    expect(again.changedTasks(), again.text).to.deep.equal([])
    expect(again.totalChanged()).to.equal(0)
    expect(handlersRun(again)).to.deep.equal([])
    // Every module of the playbook ran (none was skipped): the run is the coverage it claims.
    const ran = new Set(
      again
        .results(undefined, host)
        .filter((e) => e.status === 'ok')
        .map((e) => e.task),
    )
    expect(modulesUsed(CONVERGE_PLAYBOOK).length).to.be.greaterThan(20)
    expect(ran.size, again.text).to.equal(again.results(undefined, host).length)
  })
})
