// trust 31 (unarchive never writes outside dest: tar and zip, one archive or two, in a role) and
// trust 17 (apt waits for a held dpkg lock up to lock_timeout, then fails naming the holder), on a
// real lab host.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { playFile, type PlayOutcome } from '../helpers/run-playbook.js'

/** Hostile archives, made with Python's tarfile and zipfile (GNU tar would not store some of them). */
const MAKE_ARCHIVES = `
import io, sys, tarfile, zipfile, os
out = sys.argv[1]
def tar(name, members):
    with tarfile.open(os.path.join(out, name), 'w', format=tarfile.GNU_FORMAT) as t:
        for kind, n, extra in members:
            i = tarfile.TarInfo(n); i.mtime = 1714564800
            if kind == 'link': i.type = tarfile.SYMTYPE; i.linkname = extra; t.addfile(i)
            elif kind == 'hard': i.type = tarfile.LNKTYPE; i.linkname = extra; t.addfile(i)
            else: b = extra.encode(); i.size = len(b); i.mode = 0o644; t.addfile(i, io.BytesIO(b))
def zip_(name, members):
    with zipfile.ZipFile(os.path.join(out, name), 'w') as z:
        for kind, n, extra in members:
            i = zipfile.ZipInfo(n, (2024, 5, 1, 12, 0, 0)); i.create_system = 3
            i.external_attr = (0o120777 if kind == 'link' else 0o100644) << 16
            z.writestr(i, extra)
LINK = ('link', 'sub', '../../../tmp')
FILE = ('file', 'sub/rmp-t31-file', 'pwned\\n')
for fmt, make in (('tar', tar), ('zip', zip_)):
    make('link.' + fmt, [LINK]); make('file.' + fmt, [FILE]); make('both.' + fmt, [LINK, FILE])
    make('dotdot.' + fmt, [('file', 'ok.txt', 'ok\\n'), ('file', '../../rmp-t31-dotdot', 'pwned\\n')])
    make('abs.' + fmt, [('file', '/tmp/rmp-t31-abs', 'pwned\\n')])
tar('hard.tar', [('file', 'ok.txt', 'ok\\n'), ('hard', 'h', '../../../etc/hostname')])
`

// dest is /srv/t31/<case>: sub -> ../../../tmp from there is /tmp.
const OUTSIDE = ['/tmp/rmp-t31-file', '/srv/tmp/rmp-t31-file', '/srv/t31/rmp-t31-dotdot', '/srv/rmp-t31-dotdot', '/tmp/rmp-t31-abs']

describe('trust on a lab host: unarchive stays in dest, apt and a held dpkg lock', function () {
  let lab: TestLab
  let host: string
  let proj: string
  const on = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)

  /** Writes the playbook into the project (beside files/ and roles/) and runs it on the host. */
  async function playProject(yaml: string, check = false): Promise<PlayOutcome> {
    writeFileSync(join(proj, 'site.yml'), yaml)
    return playFile(join(proj, 'site.yml'), { inventory: [lab.inventory], limit: host, check })
  }
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`

  /** None of the paths a hostile archive aims at exists on the host. */
  async function nothingOutside(): Promise<void> {
    const r = await on(`for p in ${OUTSIDE.join(' ')}; do [ -e "$p" ] && echo "$p"; done; :`)
    expect(r.stdout.trim(), 'written outside dest').to.equal('')
  }

  before(async function () {
    lab = await testLab(1)
    host = lab.names[0]!
    await resetHosts(lab, [host])
    proj = mkdtempSync(join(tmpdir(), 'rmp-t31-'))
    mkdirSync(join(proj, 'files'))
    execFileSync('python3', ['-c', MAKE_ARCHIVES, join(proj, 'files')])
    // The role-like case: a role whose files/ holds the two archives of a release.
    mkdirSync(join(proj, 'roles', 'release', 'tasks'), { recursive: true })
    mkdirSync(join(proj, 'roles', 'release', 'files'), { recursive: true })
    for (const f of ['link.tar', 'file.tar']) execFileSync('cp', [join(proj, 'files', f), join(proj, 'roles', 'release', 'files', f)])
    writeFileSync(
      join(proj, 'roles', 'release', 'tasks', 'main.yml'),
      `- name: first archive\n  unarchive: { src: link.tar, dest: "{{ release_dest }}" }\n- name: second archive\n  unarchive: { src: file.tar, dest: "{{ release_dest }}" }\n`,
    )
    // unzip for the zip cases (from the lab's apt proxy), and the hostile archives on the host for remote_src.
    await on(
      'apt-get update -q >/tmp/t31-apt.log 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unzip >>/tmp/t31-apt.log 2>&1 || { tail -20 /tmp/t31-apt.log >&2; exit 1; }',
    )
    await on('mkdir -p /srv/t31/archives')
    for (const f of ['link', 'file', 'both', 'dotdot', 'abs']) {
      for (const ext of ['tar', 'zip']) {
        const b64 = execFileSync('base64', ['-w0', join(proj, 'files', `${f}.${ext}`)], { encoding: 'utf8' })
        await on(`echo ${b64} | base64 -d > /srv/t31/archives/${f}.${ext}`)
      }
    }
  })

  after(async function () {
    if (proj) rmSync(proj, { recursive: true, force: true })
    if (lab) await resetHosts(lab, [host])
  })

  describe('trust 31', () => {
    for (const ext of ['tar', 'zip']) {
      for (const remote of [false, true]) {
        const src = (f: string) => (remote ? `/srv/t31/archives/${f}.${ext}` : `${f}.${ext}`)
        const where = remote ? 'remote_src' : 'from the controller'
        const base = `/srv/t31/${ext}-${remote ? 'remote' : 'local'}`

        it(`trust 31: ${ext} ${where}, two archives (sub -> ../../../tmp, then sub/file): the second is refused, in check mode too, nothing outside dest`, async () => {
          const dest = `${base}-two`
          await on(`rm -rf ${dest}; mkdir -p ${dest}`)
          const first = await playProject(pb(`    - name: first\n      unarchive: { src: ${src('link')}, dest: ${dest}, remote_src: ${remote} }\n`))
          expect(first.exitCode, first.text).to.equal(0)
          expect((await on(`readlink ${dest}/sub; readlink -f ${dest}/sub`)).stdout.trim()).to.equal('../../../tmp\n/tmp')
          const second = pb(`    - name: second\n      unarchive: { src: ${src('file')}, dest: ${dest}, remote_src: ${remote} }\n`)
          for (const check of [true, false]) {
            const r = await playProject(second, check)
            expect(r.exitCode, r.text).to.equal(2)
            expect(r.results('second')[0]!.msg, r.text).to.include("sub/rmp-t31-file: goes through 'sub', a symbolic link already in dest")
          }
          await nothingOutside()
        })

        it(`trust 31: ${ext} ${where}, one archive holding both the link and sub/file: refused, nothing outside dest`, async () => {
          const dest = `${base}-one`
          await on(`rm -rf ${dest}; mkdir -p ${dest}`)
          const r = await playProject(pb(`    - name: both\n      unarchive: { src: ${src('both')}, dest: ${dest}, remote_src: ${remote} }\n`))
          expect(r.exitCode, r.text).to.equal(2)
          expect(r.results('both')[0]!.msg, r.text).to.include("sub/rmp-t31-file: goes through 'sub', a link the archive makes")
          expect((await on(`ls -A ${dest}`)).stdout.trim(), 'nothing extracted').to.equal('')
          await nothingOutside()
        })

        it(`trust 31: ${ext} ${where}, '..' and absolute member names are refused before anything is extracted`, async () => {
          const dest = `${base}-names`
          await on(`rm -rf ${dest}; mkdir -p ${dest}`)
          const r = await playProject(
            pb(
              `    - name: dotdot\n      unarchive: { src: ${src('dotdot')}, dest: ${dest}, remote_src: ${remote} }\n      ignore_errors: true\n    - name: abs\n      unarchive: { src: ${src('abs')}, dest: ${dest}, remote_src: ${remote} }\n      ignore_errors: true\n`,
            ),
          )
          expect(r.results('dotdot')[0]!.msg, r.text).to.include("../../rmp-t31-dotdot: contains '..'")
          expect(r.results('abs')[0]!.msg, r.text).to.include('/tmp/rmp-t31-abs: is an absolute path')
          expect((await on(`ls -A ${dest}`)).stdout.trim(), 'not even ok.txt').to.equal('')
          await nothingOutside()
        })
      }
    }

    it('trust 31: a hard link pointing above dest is refused (owner/mode would reach its target)', async () => {
      await on('rm -rf /srv/t31/hard; mkdir -p /srv/t31/hard')
      const r = await playProject(pb(`    - name: hard\n      unarchive: { src: hard.tar, dest: /srv/t31/hard, owner: nobody }\n`))
      expect(r.exitCode, r.text).to.equal(2)
      expect(r.results('hard')[0]!.msg).to.include("h: hard link to '../../../etc/hostname', which contains '..'")
      expect((await on('stat -c %U /etc/hostname')).stdout.trim()).to.equal('root')
    })

    it('trust 31: a role unpacking two archives into one dest: the second is refused, nothing outside dest', async () => {
      await on('rm -rf /srv/t31/role; mkdir -p /srv/t31/role')
      const r = await playProject(`- hosts: runmaster\n  gather_facts: false\n  vars: { release_dest: /srv/t31/role }\n  roles: [release]\n`)
      expect(r.exitCode, r.text).to.equal(2)
      expect(r.results().map((e) => `${e.task}: ${e.status}`)).to.deep.equal(['first archive: changed', 'second archive: failed'])
      expect((await on('readlink -f /srv/t31/role/sub')).stdout.trim()).to.equal('/tmp')
      await nothingOutside()
    })

    it('trust 31: unsafe extra_opts are refused (tar -P, unzip -:)', async () => {
      await on('rm -rf /srv/t31/opts; mkdir -p /srv/t31/opts')
      const r = await playProject(
        pb(
          `    - name: tarP\n      unarchive: { src: dotdot.tar, dest: /srv/t31/opts, extra_opts: [-P] }\n      ignore_errors: true\n    - name: unzipColon\n      unarchive: { src: dotdot.zip, dest: /srv/t31/opts, extra_opts: ["-:"] }\n      ignore_errors: true\n`,
        ),
      )
      expect(r.results('tarP')[0]!.msg).to.include('extra_opts -P would let tar write outside /srv/t31/opts')
      expect(r.results('unzipColon')[0]!.msg).to.include('extra_opts -: would let unzip write outside')
      await nothingOutside()
    })
  })

  describe('trust 17', () => {
    /** Holds the dpkg frontend lock as apt does (fcntl), for `secs` seconds; returns the holder's PID. */
    async function holdLock(secs: number): Promise<number> {
      const py = `import fcntl, time; f = open("/var/lib/dpkg/lock-frontend", "w"); fcntl.lockf(f, fcntl.LOCK_EX); open("/tmp/t17-locked", "w").close(); time.sleep(${secs})`
      const r = await on(
        `rm -f /tmp/t17-locked; setsid python3 -c '${py}' </dev/null >/dev/null 2>&1 & echo $!; while [ ! -e /tmp/t17-locked ]; do sleep 0.1; done`,
      )
      return Number(r.stdout.trim())
    }
    const release = (pid: number) => on(`kill ${pid} 2>/dev/null; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done; :`)

    it('trust 17: a held dpkg lock: apt waits lock_timeout seconds, then fails naming the PID that holds it', async () => {
      await on('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q tree >/dev/null 2>&1; :')
      const pid = await holdLock(120)
      try {
        const t0 = Date.now()
        const r = await playProject(pb('    - name: tree\n      apt: { name: tree, lock_timeout: 3 }\n'))
        const waited = (Date.now() - t0) / 1000
        expect(r.exitCode, r.text).to.equal(2)
        const msg = r.results('tree')[0]!.msg ?? ''
        expect(msg, r.text).to.include(
          `Failed to lock apt for exclusive operation: /var/lib/dpkg/lock-frontend is held by process ${pid} (python3); waited 3 seconds (lock_timeout)`,
        )
        // It did wait (a lower bound: the run may take longer, never less).
        expect(waited, r.text).to.be.at.least(3)
        expect((await on("dpkg-query -W -f '${db:Status-Abbrev}' tree 2>/dev/null; :")).stdout.trim()).to.not.equal('ii')
      } finally {
        await release(pid)
      }
    })

    it('trust 17: a lock released within lock_timeout: apt waits for it and installs', async () => {
      const pid = await holdLock(4)
      try {
        const r = await playProject(pb('    - name: tree\n      apt: { name: tree, lock_timeout: 60, install_recommends: false }\n'))
        expect(r.exitCode, r.text).to.equal(0)
        expect(r.results('tree')[0]!.status).to.equal('changed')
        expect((await on("dpkg-query -W -f '${db:Status-Abbrev}' tree")).stdout.trim()).to.equal('ii')
      } finally {
        await release(pid)
      }
    })
  })
})
