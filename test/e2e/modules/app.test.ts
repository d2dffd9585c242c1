// Getting code and files onto a real lab host (Debian, over SSH): git, pip, get_url, unarchive.
// Each playbook goes through the same protocol: a --check --diff run that changes nothing on the
// host (snapshot before = after), a real run that changes exactly the tasks check mode predicted
// and leaves the host in the wanted state, and a second run that changes nothing.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labPaths } from '../../../src/lab/index.js'
import { errorList, formatError } from '../../../src/playbook/errors.js'
import { sh, snapshot, snapshotDiff } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOptions, type PlayOutcome } from '../../helpers/run-playbook.js'

describe('modules on a lab host: git, pip, get_url, unarchive', function () {
  let lab: TestLab
  let host: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const out = async (script: string) => (await run(script)).stdout.trim()
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
  const changedTasks = (r: PlayOutcome) => r.results().filter((e) => e.status === 'changed').map((e) => e.task)
  const playOn = (yaml: string, o: PlayOptions = {}) => play(yaml, { inventory: [lab.inventory], limit: host, ...o })

  /** check (nothing changes) → real (what check predicted) → again (nothing to do). */
  async function converge(yaml: string, o: PlayOptions = {}): Promise<{ check: PlayOutcome; real: PlayOutcome; again: PlayOutcome }> {
    const before = await snapshot(lab.inventory, host)
    const check = await playOn(yaml, { ...o, check: true, diff: true })
    const after = await snapshot(lab.inventory, host)
    expect(check.exitCode, check.text).to.equal(0)
    expect(snapshotDiff(before, after), 'check mode changed the host').to.deep.equal([])
    const real = await playOn(yaml, { ...o, diff: true })
    expect(real.exitCode, real.text).to.equal(0)
    expect(changedTasks(real), real.text).to.deep.equal(changedTasks(check))
    const again = await playOn(yaml, { ...o, diff: true })
    expect(again.exitCode, again.text).to.equal(0)
    expect(again.totalChanged(), again.text).to.equal(0)
    return { check, real, again }
  }

  async function loadErrors(yaml: string, o: PlayOptions = {}): Promise<string[]> {
    try {
      await playOn(yaml, o)
    } catch (e) {
      return errorList(e).map(formatError)
    }
    return []
  }

  before(async function () {
    lab = await testLab(4)
    host = lab.names[1]!
    await run('rm -rf /srv/rmapp && mkdir -p /srv/rmapp')
    // What the modules need on the host, as a playbook's apt task would install it. unzip stays
    // out: its absence is a tested failure.
    await run(
      'p="git python3-venv python3-six xz-utils"; dpkg -s $p >/dev/null 2>&1 && exit 0; export DEBIAN_FRONTEND=noninteractive; ' +
        'apt-get update -q >/tmp/rmapp-apt.log 2>&1 && apt-get -o Dpkg::Options::=--force-unsafe-io install -y -q --no-install-recommends $p >>/tmp/rmapp-apt.log 2>&1 || { tail -20 /tmp/rmapp-apt.log >&2; exit 1; }',
    )
  })

  // Packages and files of these tests would change what later tests see on this host.
  after(async function () {
    if (lab && !process.env.RMP_TEST_KEEP_HOSTS) await resetHosts(lab, [host])
  })

  describe('git', () => {
    const D = '/srv/rmapp/checkout'
    let work: string
    let bare: string
    let url: string
    const commits: string[] = []

    /** A new commit in the upstream repository (served by the lab's git daemon). */
    function commit(file: string, text: string, tag?: string): string {
      writeFileSync(join(work, file), text)
      const g = (...a: string[]) => execFileSync('git', ['-C', work, '-c', 'user.name=rm-play test', '-c', 'user.email=test@rm-play.invalid', ...a], { encoding: 'utf8' }).trim()
      g('add', '-A')
      g('commit', '-q', '-m', `${file}: ${text.trim()}`)
      if (tag) g('tag', '-a', tag, '-m', tag)
      g('push', '-q', '--follow-tags', 'origin', 'main')
      const c = g('rev-parse', 'HEAD')
      commits.push(c)
      return c
    }

    before(() => {
      const base = labPaths(lab.name).git
      bare = join(base, 'rmapp-e2e.git')
      rmSync(bare, { recursive: true, force: true })
      mkdirSync(base, { recursive: true })
      execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare])
      work = mkdtempSync(join(tmpdir(), 'rmapp-git-'))
      execFileSync('git', ['clone', '-q', bare, work], { stdio: 'ignore' })
      execFileSync('git', ['-C', work, 'symbolic-ref', 'HEAD', 'refs/heads/main'])
      url = `${lab.gitUrl}rmapp-e2e.git`
      commit('app.py', 'print("v1")\n', 'v1')
    })

    after(() => {
      rmSync(bare, { recursive: true, force: true })
      rmSync(work, { recursive: true, force: true })
    })

    const task = (extra = '') => `    - name: checkout
      git: { repo: "${url}", dest: ${D}${extra} }
      register: co
    - debug: { var: co }
`

    it('clones over git://, check mode predicts it, a second run is ok', async () => {
      const { check, real } = await converge(pb(task()))
      expect(check.results('checkout')[0]!.changes).to.deep.equal([{ summary: `clone ${url} (HEAD) into ${D}: commit ${commits[0]!.slice(0, 7)}`, uncertain: undefined }])
      expect(check.text).to.include(`-commit (none)\n+commit ${commits[0]}`)
      expect(real.text).to.include(`"before": null`)
      expect(real.text).to.include(`"after": "${commits[0]}"`)
      expect(await out(`git -C ${D} rev-parse HEAD; git -C ${D} symbolic-ref --short HEAD; cat ${D}/app.py`)).to.equal(`${commits[0]}\nmain\nprint("v1")`)
    })

    it('a new commit upstream: check shows commit before → after without fetching; the run moves to it', async () => {
      const c2 = commit('app.py', 'print("v2")\n')
      const before = await snapshot(lab.inventory, host)
      const check = await playOn(pb(task()), { check: true, diff: true })
      expect(snapshotDiff(before, await snapshot(lab.inventory, host))).to.deep.equal([])
      expect(await out(`git -C ${D} cat-file -t ${c2} 2>&1 || true`)).to.match(/could not get object info|Not a valid object name|fatal/)
      expect(check.text).to.include(`update ${D}: commit ${commits[0]!.slice(0, 7)} → ${c2.slice(0, 7)}`)
      expect(check.text).to.include(`-commit ${commits[0]}\n+commit ${c2}\n branch main`)
      const real = await playOn(pb(task()))
      expect(changedTasks(real)).to.deep.equal(['checkout'])
      expect(real.text).to.include(`"before": "${commits[0]}"`)
      expect(real.text).to.include(`"after": "${c2}"`)
      expect(await out(`cat ${D}/app.py`)).to.equal('print("v2")')
      expect((await playOn(pb(task()))).totalChanged()).to.equal(0)
    })

    it('a local modification without force fails as in Ansible and is left alone; force discards it', async () => {
      await run(`echo 'print("hacked")' > ${D}/app.py`)
      const r = await playOn(pb(task()))
      expect(r.exitCode).to.equal(2)
      expect(r.text).to.include(`Local modifications exist in the destination: ${D} (force=no).`)
      expect(await out(`cat ${D}/app.py`)).to.equal('print("hacked")')
      const { check, real } = await converge(pb(task(', force: true')))
      expect(check.text).to.include(`update ${D}: discard changes to 1 file`)
      expect(check.text).to.include('-modified: app.py')
      expect(real.text).to.include(`"after": "${commits[1]}"`)
      expect(await out(`cat ${D}/app.py; git -C ${D} status --porcelain`)).to.equal('print("v2")')
    })

    it('a tag detaches HEAD at the tagged commit; back to main afterwards', async () => {
      const { real } = await converge(pb(task(', version: v1')))
      expect(real.text).to.include(`"after": "${commits[0]}"`)
      expect(await out(`git -C ${D} rev-parse HEAD; git -C ${D} symbolic-ref -q HEAD || echo detached`)).to.equal(`${commits[0]}\ndetached`)
      await converge(pb(task(', version: main')))
      expect(await out(`git -C ${D} rev-parse HEAD; git -C ${D} symbolic-ref --short HEAD`)).to.equal(`${commits[1]}\nmain`)
    })

    it('a shallow clone of a commit id from a file:// repository on the host', async () => {
      await run(`rm -rf /srv/rmapp/src /srv/rmapp/shallow && git clone -q --bare ${url} /srv/rmapp/src`)
      const yaml = pb(`    - name: shallow
      git: { repo: "file:///srv/rmapp/src", dest: /srv/rmapp/shallow, version: ${commits[0]}, depth: 1 }
`)
      await converge(yaml)
      expect(await out('git -C /srv/rmapp/shallow rev-parse HEAD; git -C /srv/rmapp/shallow rev-list --count HEAD; cat /srv/rmapp/shallow/app.py')).to.equal(`${commits[0]}\n1\nprint("v1")`)
    })

    it('bad arguments are refused at load time, with file:line:col', async () => {
      const errs = await loadErrors(pb(`    - name: bad
      git: { repo: "${url}", dest: ${D}, depth: 0, bare: true }
    - git: { dest: ${D} }
`))
      expect(errs.join('\n')).to.match(/site\.yml:5:\d+: git: bare repositories are not supported \(bare must be false\); depth must be at least 1|site\.yml:5:\d+: git: bare repositories are not supported/)
      expect(errs.join('\n')).to.match(/site\.yml:6:\d+: git: missing required argument 'repo'/)
    })
  })

  describe('pip', () => {
    const V = '/srv/rmapp/venv'

    it('creates a virtualenv with system site packages; Debian\'s six counts as installed', async () => {
      const yaml = pb(`    - name: venv
      pip: { name: six, virtualenv: ${V}, virtualenv_site_packages: true }
`)
      const { check } = await converge(yaml)
      expect(check.text).to.include(`would change: [${host}] create virtualenv ${V} and install six`)
      expect(await out(`${V}/bin/python -c 'import six, sys; print(six.__file__.startswith("/usr/lib/python3/dist-packages"), sys.prefix)'`)).to.equal(`True ${V}`)
    })

    it('a requirements file whose packages are all there is ok without running pip install', async () => {
      await run(`mkdir -p /srv/rmapp/app && printf 'six>=1.10  # from python3-six\\nsetuptools\\nnever-installed ; python_version < "3"\\n' > /srv/rmapp/app/requirements.txt`)
      // An option pip does not know: had pip install run, the task would have failed.
      const r = await playOn(pb(`    - name: reqs
      pip: { requirements: requirements.txt, chdir: /srv/rmapp/app, virtualenv: ${V}, extra_args: --no-such-pip-option }
      register: reqs
    - debug: { var: reqs }
`))
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.results('reqs')[0]!.status).to.equal('ok')
      expect(r.text).to.include('"cmd": ""')
    })

    it('a requirement the environment does not satisfy is installed (and fails here: no index, as asked)', async () => {
      await run(`echo 'six>=99' >> /srv/rmapp/app/requirements.txt`)
      const yaml = pb(`    - name: reqs
      pip: { requirements: requirements.txt, chdir: /srv/rmapp/app, virtualenv: ${V}, extra_args: --no-index }
`)
      const check = await playOn(yaml, { check: true, diff: true })
      expect(check.text).to.include(`would change: [${host}] install six>=99 (from requirements.txt) in ${V}`)
      expect(check.text).to.include('-six: 1.16.0\n+six>=99')
      const real = await playOn(yaml)
      expect(real.exitCode).to.equal(2)
      expect(real.text, real.text).to.match(/install six>=99 \(from requirements.txt\) in \/srv\/rmapp\/venv: exit 1[\s\S]*(No matching distribution found for six>=99|Cannot install six>=1.10 and six>=99)/)
      await run(`sed -i '/six>=99/d' /srv/rmapp/app/requirements.txt`)
    })

    it('absent removes the virtualenv\'s own packages only; latest with --no-index finds nothing newer', async () => {
      const { check } = await converge(pb(`    - name: remove
      pip: { name: [setuptools, six], state: absent, virtualenv: ${V} }
    - name: latest
      pip: { name: six, state: latest, virtualenv: ${V}, extra_args: --no-index }
`))
      expect(check.results('remove')[0]!.changes.map((c) => c.summary)).to.deep.equal([`uninstall setuptools in ${V}`])
      expect(check.text).to.include('-setuptools: 66.1.1\n+setuptools: (absent)')
      expect(check.results('latest')[0]!.status).to.equal('ok')
      expect(await out(`${V}/bin/python -m pip list --format=freeze 2>/dev/null | grep -ci setuptools || true`)).to.equal('0')
      expect(await out(`dpkg-query -W -f '\${db:Status-Abbrev}' python3-six`)).to.equal('ii')
    })
  })
})
