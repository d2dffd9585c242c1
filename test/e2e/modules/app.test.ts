// Getting code and files onto a real lab host (Debian, over SSH): git, pip, get_url, unarchive.
// Each playbook goes through the same protocol: a --check --diff run that changes nothing on the
// host (snapshot before = after), a real run that changes exactly the tasks check mode predicted
// and leaves the host in the wanted state, and a second run that changes nothing.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labPaths } from '../../../src/lab/index.js'
import { errorList, formatError } from '../../../src/playbook/errors.js'
import { parsePipState, pipProbe } from '../../../src/probes/pip.js'
import { converge as convergeOn, type Converged } from '../../helpers/converge.js'
import { sh, snapshot, snapshotDiff } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, playFile, type PlayOptions, type PlayOutcome } from '../../helpers/run-playbook.js'

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex')

describe('modules on a lab host: git, pip, get_url, unarchive', function () {
  let lab: TestLab
  let host: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const out = async (script: string) => (await run(script)).stdout.trim()
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
  const playOn = (yaml: string, o: PlayOptions = {}) => play(yaml, { inventory: [lab.inventory], limit: host, ...o })

  /** check (nothing changes) → real (what check predicted) → again (nothing to do). */
  const converge = (yaml: string, o: PlayOptions = {}): Promise<Converged> => convergeOn(lab.inventory, host, (p) => playOn(yaml, { ...o, ...p }))

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
    // The python3 download path and the missing-unzip failure need a host without curl, wget, unzip.
    await run(
      'p=$(dpkg-query -W -f \'${Package} ${db:Status-Abbrev}\\n\' curl wget unzip 2>/dev/null | awk \'$2 == "ii" {print $1}\'); [ -z "$p" ] || DEBIAN_FRONTEND=noninteractive apt-get remove -y -q $p >/dev/null',
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
      const g = (...a: string[]) =>
        execFileSync('git', ['-C', work, '-c', 'user.name=rm-play test', '-c', 'user.email=test@rm-play.invalid', ...a], { encoding: 'utf8' }).trim()
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
      expect(check.results('checkout')[0]!.changes.map((c) => `${c.summary}${c.uncertain ? ' (uncertain)' : ''}`)).to.deep.equal([
        `clone ${url} (HEAD) into ${D}: commit ${commits[0]!.slice(0, 7)}`,
      ])
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
      expect(real.changedTasks()).to.deep.equal(['checkout'])
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
      expect(await out('git -C /srv/rmapp/shallow rev-parse HEAD; git -C /srv/rmapp/shallow rev-list --count HEAD; cat /srv/rmapp/shallow/app.py')).to.equal(
        `${commits[0]}\n1\nprint("v1")`,
      )
    })

    it('bad arguments are refused at load time, with file:line:col', async () => {
      const errs = await loadErrors(
        pb(`    - name: bad
      git: { repo: "${url}", dest: ${D}, depth: 0, bare: true }
    - git: { dest: ${D} }
`),
      )
      expect(errs.join('\n')).to.match(
        /site\.yml:5:\d+: git: bare repositories are not supported \(bare must be false\); depth must be at least 1|site\.yml:5:\d+: git: bare repositories are not supported/,
      )
      expect(errs.join('\n')).to.match(/site\.yml:6:\d+: git: missing required argument 'repo'/)
    })
  })

  describe('pip', () => {
    const V = '/srv/rmapp/venv'

    it("creates a virtualenv with system site packages; Debian's six counts as installed", async () => {
      const yaml = pb(`    - name: venv
      pip: { name: six, virtualenv: ${V}, virtualenv_site_packages: true }
`)
      const { check } = await converge(yaml)
      expect(check.text).to.include(`would change: [${host}] create virtualenv ${V} and install six`)
      expect(await out(`${V}/bin/python -c 'import six, sys; print(six.__file__.startswith("/usr/lib/python3/dist-packages"), sys.prefix)'`)).to.equal(
        `True ${V}`,
      )
    })

    it("reads the virtualenv's packages as `pip list -v` does without starting pip, and asks pip where pip's settings could differ", async () => {
      const script = pipProbe({ virtualenv: V }).script.text
      // From a directory holding package metadata of its own: pip leaves the working directory out.
      const cwd =
        'mkdir -p /srv/rmapp/cwd/cwdonly-1.0.dist-info && printf "Name: cwdonly\\nVersion: 1.0\\n" > /srv/rmapp/cwd/cwdonly-1.0.dist-info/METADATA && cd /srv/rmapp/cwd'
      const listLine = async (prefix: string) => (await out(`${cwd}\n${prefix}\n${script}`)).split('\n').find((l) => l.startsWith('list=')) ?? ''
      const own = JSON.parse(await out(`${cwd} && PIP_DISABLE_PIP_VERSION_CHECK=1 ${V}/bin/python -m pip list -v --format=json`)) as Record<string, string>[]
      const wanted = own.map((p) => ({ name: p.name, version: p.version, location: p.location }))
      expect(wanted.map((p) => p.name))
        .to.include.members(['pip', 'six'])
        .and.not.include('cwdonly')
      const parsed = (line: string) => parsePipState({ stdout: `chdir=ok\n${line}\n`, code: 0 }).installed
      // pip's own answer carries `installer`: the probe's does not, so the first one is not pip's
      const fast = await listLine('')
      expect(fast).to.not.include('"installer"')
      expect(parsed(fast)).to.deep.equal(wanted)
      const asked = await listLine('export PIP_TIMEOUT=5')
      expect(asked).to.include('"installer"')
      expect(parsed(asked)).to.deep.equal(wanted)
    })

    it('a requirements file whose packages are all there is ok without running pip install', async () => {
      await run(
        `mkdir -p /srv/rmapp/app && printf 'six>=1.10  # from python3-six\\nsetuptools\\nnever-installed ; python_version < "3"\\n' > /srv/rmapp/app/requirements.txt`,
      )
      // An option pip does not know: had pip install run, the task would have failed.
      const r = await playOn(
        pb(`    - name: reqs
      pip: { requirements: requirements.txt, chdir: /srv/rmapp/app, virtualenv: ${V}, extra_args: --no-such-pip-option }
      register: reqs
    - debug: { var: reqs }
`),
      )
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
      expect(real.text, real.text).to.match(
        /install six>=99 \(from requirements.txt\) in \/srv\/rmapp\/venv: exit 1[\s\S]*(No matching distribution found for six>=99|Cannot install six>=1.10 and six>=99)/,
      )
      await run(`sed -i '/six>=99/d' /srv/rmapp/app/requirements.txt`)
    })

    it("absent removes the virtualenv's own packages only; latest with --no-index finds nothing newer", async () => {
      const { check } = await converge(
        pb(`    - name: remove
      pip: { name: [setuptools, six], state: absent, virtualenv: ${V} }
    - name: latest
      pip: { name: six, state: latest, virtualenv: ${V}, extra_args: --no-index }
`),
      )
      expect(check.results('remove')[0]!.changes.map((c) => c.summary)).to.deep.equal([`uninstall setuptools in ${V}`])
      expect(check.text).to.include('-setuptools: 66.1.1\n+setuptools: (absent)')
      expect(check.results('latest')[0]!.status).to.equal('ok')
      expect(await out(`${V}/bin/python -m pip list --format=freeze 2>/dev/null | grep -ci setuptools || true`)).to.equal('0')
      expect(await out(`dpkg-query -W -f '\${db:Status-Abbrev}' python3-six`)).to.equal('ii')
    })

    it('installs a wheel from a local directory (--no-index --find-links); check predicts it; again is ok', async () => {
      // A one-module wheel built on the host with python3's zipfile: no index, no network.
      const W = '/srv/rmapp/wheels'
      const build = `import base64, hashlib, zipfile
files = {"rmpdemo.py": "VERSION = '1.0'\\n",
  "rmpdemo-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: rmpdemo\\nVersion: 1.0\\n",
  "rmpdemo-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: rmp-e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
rec = "".join("%s,sha256=%s,%d\\n" % (n, base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode(), len(c.encode())) for n, c in files.items())
files["rmpdemo-1.0.dist-info/RECORD"] = rec + "rmpdemo-1.0.dist-info/RECORD,,\\n"
with zipfile.ZipFile("${W}/rmpdemo-1.0-py3-none-any.whl", "w") as z:
    for n, c in files.items(): z.writestr(n, c)
`
      await run(`mkdir -p ${W} && python3 -c '${build.replace(/'/g, `'"'"'`)}'`)
      const { check } = await converge(
        pb(`    - name: demo
      pip: { name: rmpdemo, virtualenv: ${V}, extra_args: "--no-index --find-links ${W}" }
`),
      )
      expect(check.results('demo')[0]!.status).to.equal('changed')
      expect(await out(`${V}/bin/python -c 'import rmpdemo; print(rmpdemo.VERSION, rmpdemo.__file__.startswith("${V}/"))'`)).to.equal('1.0 True')
    })
  })

  describe('get_url', () => {
    const D = '/srv/rmapp/dl'
    const PASSWORD = 'Pa55-word-for-rmapp'
    let server: Server
    let base: string
    const FIRST = 'listen = 8000\nworkers = 2\n'
    const served: Record<string, string> = { '/files/app.conf': FIRST, '/files/big.bin': 'x'.repeat(300000) }
    const seen: { path: string; headers: IncomingHttpHeaders }[] = []

    before(async () => {
      await run(`mkdir -p ${D}`)
      // A tiny HTTP server on the lab bridge, the one address both the controller and the hosts have.
      server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!
        seen.push({ path, headers: req.headers })
        if (path.startsWith('/private/') && req.headers.authorization !== `Basic ${Buffer.from(`deploy:${PASSWORD}`).toString('base64')}`) {
          res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="rmapp"' }).end('no')
          return
        }
        if (path === '/needs-token' && req.headers['x-token'] !== 'abc123') {
          res.writeHead(403).end('no token')
          return
        }
        const body = served[path] ?? (path.startsWith('/private/') || path === '/needs-token' ? 'secret data\n' : undefined)
        if (body === undefined) res.writeHead(404).end('not found')
        else res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(body)
      })
      await new Promise<void>((resolve) => server.listen(0, lab.bridgeAddress, resolve))
      base = `http://${lab.bridgeAddress}:${(server.address() as AddressInfo).port}`
    })

    after(async () => {
      if (server) await new Promise((r) => server.close(r))
    })

    // each test starts from an empty directory and the server's first content
    beforeEach(async () => {
      served['/files/app.conf'] = FIRST
      await run(`rm -rf ${D} && mkdir -p ${D}`)
    })

    it('downloads into a directory with python3 (no curl or wget here), checksum and mode; check predicts it; again is ok', async () => {
      expect(await out('command -v curl wget || echo none')).to.equal('none')
      const sum = sha256(served['/files/app.conf']!)
      const { check, real } = await converge(
        pb(`    - name: conf
      get_url: { url: "${base}/files/app.conf", dest: ${D}/, checksum: "sha256:${sum}", mode: "0640" }
      register: conf
    - name: big
      get_url: { url: "${base}/files/big.bin", dest: ${D}/big.bin }
    - debug: { var: conf }
`),
      )
      expect(check.results('conf')[0]!.changes.map((c) => c.summary)).to.deep.equal([`download ${base}/files/app.conf to ${D}/app.conf`])
      expect(check.text).to.include(`--- ${D}/app.conf (before)\n+++ ${D}/app.conf (after)\n@@ -1,1 +1,2 @@\n-(absent)\n+sha256: ${sum}\n+mode: 0640`)
      expect(real.text).to.include('"status_code": 200')
      expect(real.text).to.include(`"checksum_dest": "${createHash('sha1').update(served['/files/app.conf']!).digest('hex')}"`)
      expect(await out(`stat -c '%a %s' ${D}/app.conf ${D}/big.bin; sha256sum < ${D}/app.conf; ls -A ${D}`)).to.equal(
        `640 ${served['/files/app.conf']!.length}\n644 300000\n${sum}  -\napp.conf\nbig.bin`,
      )
    })

    it('force: check fetches and compares without touching dest; the run replaces only what the URL changed', async () => {
      // what the first download left: app.conf (0640) and big.bin, as the server had them
      await playOn(
        pb(`    - get_url: { url: "${base}/files/app.conf", dest: ${D}/app.conf, mode: "0640" }
    - get_url: { url: "${base}/files/big.bin", dest: ${D}/big.bin }
`),
      )
      served['/files/app.conf'] = 'listen = 8000\nworkers = 4\n'
      const yaml = pb(`    - name: conf
      get_url: { url: "${base}/files/app.conf", dest: ${D}/app.conf, force: true, mode: "0640", backup: true }
    - name: big
      get_url: { url: "${base}/files/big.bin", dest: ${D}/big.bin, force: true }
`)
      const { check } = await converge(yaml)
      expect(check.results('conf')[0]!.changes.map((c) => c.summary)).to.deep.equal([
        `download ${base}/files/app.conf to ${D}/app.conf (the URL serves other content)`,
      ])
      expect(check.results('big')[0]!.status).to.equal('ok')
      expect(check.text).to.include(`+sha256: ${sha256(served['/files/app.conf']!)}`)
      expect(await out(`cat ${D}/app.conf; stat -c %a ${D}/app.conf; ls ${D} | grep -c '^app.conf\\..*~$'`)).to.equal('listen = 8000\nworkers = 4\n640\n1')
    })

    it('a checksum that does not match fails and leaves dest and no temp file; a 404 fails the same way', async () => {
      const r = await playOn(
        pb(`    - get_url: { url: "${base}/files/app.conf", dest: ${D}/other.conf, checksum: "sha256:${'0'.repeat(64)}" }
`),
      )
      expect(r.exitCode).to.equal(2)
      expect(r.text).to.include(`The checksum for ${D}/other.conf did not match ${'0'.repeat(64)}; it was ${sha256(served['/files/app.conf']!)}.`)
      const r404 = await playOn(
        pb(`    - get_url: { url: "${base}/files/nope.tgz", dest: ${D}/nope.tgz }
`),
      )
      expect(r404.exitCode).to.equal(2)
      expect(r404.text).to.include('HTTP Error 404: Not Found')
      expect(await out(`ls -A ${D} | grep -c -e rmp -e other.conf -e nope.tgz || true`)).to.equal('0')
    })

    it('basic auth: the password never shows; a wrong one fails with 401', async () => {
      const yaml = (pw: string) =>
        pb(`    - name: private
      get_url: { url: "${base}/private/db.key", dest: ${D}/db.key, url_username: deploy, url_password: "${pw}", mode: "0600" }
`)
      const { check, real } = await converge(yaml(PASSWORD))
      for (const t of [check.text, real.text]) expect(t).to.not.include(PASSWORD)
      expect(await out(`cat ${D}/db.key; stat -c %a ${D}/db.key`)).to.equal('secret data\n600')
      await run(`rm ${D}/db.key`)
      const bad = await playOn(yaml('wrong-password'))
      expect(bad.exitCode).to.equal(2)
      expect(bad.text).to.include('HTTP Error 401')
      expect(bad.text).to.not.include('wrong-password')
    })

    describe('with curl on the host', () => {
      // the tests above need a host without curl (python3 downloads)
      after(async () => {
        await run('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q curl >/dev/null')
      })

      it('with curl on the host, curl downloads; headers are sent', async () => {
        await run(
          'DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-unsafe-io install -y -q --no-install-recommends curl >/tmp/rmapp-apt.log 2>&1 || { tail /tmp/rmapp-apt.log >&2; exit 1; }',
        )
        seen.length = 0
        const { real } = await converge(
          pb(`    - name: token
      get_url: { url: "${base}/needs-token", dest: ${D}/token.txt, headers: { X-Token: abc123 } }
      register: tok
    - debug: { var: tok }
`),
        )
        expect(real.text).to.include('"status_code": 200')
        expect(seen.map((s) => `${s.path} ${String(s.headers['user-agent']).split('/')[0]}`)).to.deep.equal(['/needs-token curl'])
        expect(await out(`cat ${D}/token.txt`)).to.equal('secret data')
      })
    })

    it('bad arguments are refused at load time, with file:line:col', async () => {
      const errs = await loadErrors(
        pb(`    - get_url: { url: "${base}/x", dest: /tmp/x, checksum: "sha256:abc" }
    - get_url: { url: "ftp.example.org/x", dest: /tmp/x }
    - get_url: { url: "${base}/x", dest: /tmp/x, url_password: pw }
`),
      )
      expect(errs.join('\n')).to.match(/site\.yml:4:\d+: get_url: a sha256 checksum has 64 hex digits, got 'abc'/)
      expect(errs.join('\n')).to.match(/site\.yml:5:\d+: get_url: url must be http:\/\/, https:\/\/, ftp:\/\/ or file:\/\//)
      expect(errs.join('\n')).to.match(/site\.yml:6:\d+: get_url: arguments 'url_password', 'url_username' must be given together/)
    })
  })

  describe('unarchive', () => {
    const D = '/srv/rmapp/unpacked'
    let proj: string

    /** A playbook in a project directory whose files/ holds archives made on the controller. */
    async function projectPlay(tasks: string, o: PlayOptions = {}): Promise<PlayOutcome> {
      writeFileSync(join(proj, 'site.yml'), pb(tasks))
      return playFile(join(proj, 'site.yml'), { inventory: [lab.inventory], limit: host, ...o })
    }

    const convergeProject = (tasks: string): Promise<Converged> => convergeOn(lab.inventory, host, (o) => projectPlay(tasks, o))

    before(() => {
      proj = mkdtempSync(join(tmpdir(), 'rmapp-unarchive-'))
      const src = join(proj, 'src')
      mkdirSync(join(src, 'app', 'static'), { recursive: true })
      writeFileSync(join(src, 'app', 'main.py'), 'print("hello")\n')
      writeFileSync(join(src, 'app', 'static', 'site.css'), 'body { margin: 0 }\n')
      writeFileSync(join(src, 'app', 'it has spaces.txt'), 'yes\n')
      mkdirSync(join(proj, 'files'))
      // Fixed times: the listing's modification times are compared with the host's.
      execFileSync('tar', ['czf', join(proj, 'files', 'app.tgz'), '--mtime=2024-05-01 12:00:00', '--owner=0', '--group=0', '-C', src, 'app'])
      execFileSync('zip', ['-qr', join(proj, 'files', 'app.zip'), 'app'], { cwd: src })
    })

    after(() => {
      if (proj) rmSync(proj, { recursive: true, force: true })
    })

    it('a tar.gz from files/ on the controller: check predicts, the run extracts with owner and mode, again is ok', async () => {
      await run(`mkdir -p ${D}`)
      const { check } = await convergeProject(`    - name: unpack
      unarchive: { src: app.tgz, dest: ${D}, owner: nobody, mode: "u=rwX,g=rX,o=", list_files: true }
      register: up
    - debug: { var: up.files }
`)
      expect(check.results('unpack')[0]!.changes.map((c) => c.summary)).to.deep.equal([`unarchive app.tgz into ${D} (5 members of 5 missing or different)`])
      expect(check.text).to.include('-app/main.py: missing')
      expect(await out(`cd ${D} && find . -printf '%p %y %m %u\\n' | sort`)).to.equal(
        [
          '. d 755 root',
          './app d 750 nobody',
          './app/it has spaces.txt f 640 nobody',
          './app/main.py f 640 nobody',
          './app/static d 750 nobody',
          './app/static/site.css f 640 nobody',
        ].join('\n'),
      )
    })

    it('a changed file on the host is noticed (size, time) and restored', async () => {
      await run(`echo 'print("changed")' > ${D}/app/main.py`)
      const { check } = await convergeProject(`    - name: unpack
      unarchive: { src: app.tgz, dest: ${D}, owner: nobody, mode: "u=rwX,g=rX,o=" }
`)
      expect(check.text).to.match(/-app\/main\.py: size 17 ≠ 15/)
      expect(await out(`cat ${D}/app/main.py`)).to.equal('print("hello")')
    })

    it('remote_src tar.xz with --strip-components and exclude; creates skips', async () => {
      await run(`mkdir -p /srv/rmapp/stripped && tar -cJf /srv/rmapp/app.tar.xz -C ${D} app`)
      const { check } = await converge(
        pb(`    - name: unpack
      unarchive: { src: /srv/rmapp/app.tar.xz, dest: /srv/rmapp/stripped, remote_src: true, extra_opts: [--strip-components=1], exclude: ["*.css"] }
    - name: skipped
      unarchive: { src: /srv/rmapp/app.tar.xz, dest: /nonexistent, remote_src: true, creates: /srv/rmapp/app.tar.xz }
`),
      )
      expect(check.results('unpack')[0]!.changes.map((c) => c.summary)).to.deep.equal([
        'unarchive /srv/rmapp/app.tar.xz into /srv/rmapp/stripped (3 members of 3 missing or different)',
      ])
      expect(await out('cd /srv/rmapp/stripped && find . | sort')).to.equal(['.', './it has spaces.txt', './main.py', './static'].join('\n'))
    })

    it('zip without unzip on the host: a clear failure; with unzip it unpacks', async () => {
      await run('mkdir -p /srv/rmapp/zipped')
      const tasks = `    - name: unzip
      unarchive: { src: app.zip, dest: /srv/rmapp/zipped }
`
      const r = await projectPlay(tasks)
      expect(r.exitCode).to.equal(2)
      expect(r.text).to.include('unzip is not installed on the host: install unzip to unpack app.zip')
      await run(
        'DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-unsafe-io install -y -q --no-install-recommends unzip >/tmp/rmapp-apt.log 2>&1 || { tail /tmp/rmapp-apt.log >&2; exit 1; }',
      )
      await convergeProject(tasks)
      expect(await out('cat /srv/rmapp/zipped/app/main.py')).to.equal('print("hello")')
    })

    it('a missing dest fails; a missing archive and a URL src are refused at load time', async () => {
      const r = await projectPlay(`    - unarchive: { src: app.tgz, dest: /srv/rmapp/nowhere }
`)
      expect(r.exitCode).to.equal(2)
      expect(r.text).to.include("dest '/srv/rmapp/nowhere' must be an existing dir")
      writeFileSync(
        join(proj, 'site.yml'),
        pb(`    - unarchive: { src: nope.tgz, dest: /tmp }
    - unarchive: { src: "https://example.org/a.tgz", dest: /tmp, remote_src: true }
`),
      )
      let errs: string[] = []
      try {
        await playFile(join(proj, 'site.yml'), { inventory: [lab.inventory], limit: host })
      } catch (e) {
        errs = errorList(e).map(formatError)
      }
      expect(errs.join('\n')).to.match(/site\.yml:4:\d+: unarchive: file not found: nope\.tgz/)
      expect(errs.join('\n')).to.match(/site\.yml:5:\d+: unarchive: src as a URL is not supported/)
    })
  })
})
