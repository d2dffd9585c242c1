// The file modules (file, copy, template, lineinfile, blockinfile, stat) on a real lab host over
// SSH: check mode predicts and changes nothing, the real run changes exactly what was predicted and
// leaves the host in the wanted state, a second run changes nothing, --diff shows the changes;
// plus the safety promises: validation failures and failed steps leave the old file and no temp
// file, a 0600 file is 0600 before it is renamed into place, no_log hides diffs, bad arguments
// stop the run at load time with file:line:col before any host is touched.
import { expect } from 'chai'
import { RmErrors } from '../../../src/playbook/errors.js'
import { closeHostConnections, sh, snapshot, snapshotDiff } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'

const ROOT = '/srv/rmp-e2e-files'

const FILES: Record<string, string> = {
  'templates/env.production.ejs': 'APP_NAME=<%= app_name %>\nSECRET_KEY=<%= secret_key %>\nWORKERS=<%= workers %>\n',
  'templates/site.conf.ejs': 'server {\n  listen <%= port %>;\n<% for (const l of locations) { -%>\n  location <%= l %> { }\n<% } -%>\n}\n',
  'files/gunicorn.conf.py': 'bind = "127.0.0.1:8000"\nworkers = 3\n',
  'files/static/index.html': '<h1>runmaster</h1>\n',
  'files/static/css/app.css': 'body { margin: 0 }\n',
}

const SETUP = `set -e
rm -rf ${ROOT}; mkdir -p ${ROOT}/pre/shared/sub
printf 'port 6379\\n# maxmemory <bytes>\\nloglevel notice\\n' > ${ROOT}/pre/redis.conf
printf 'old\\n' > ${ROOT}/pre/old.txt
printf 'x\\n' > ${ROOT}/pre/mode.txt; chmod 0644 ${ROOT}/pre/mode.txt
touch ${ROOT}/pre/shared/a ${ROOT}/pre/shared/sub/b; chmod 0666 ${ROOT}/pre/shared/a; chmod 0777 ${ROOT}/pre/shared/sub
`

function converge(host: string): string {
  return `- hosts: ${host}
  gather_facts: false
  vars:
    app_root: ${ROOT}/app
    app_name: runmaster
    secret_key: s3cr3t-k3y-value
    workers: 3
    port: 8080
    locations: [/api/, /static/]
  tasks:
    - name: app directories
      file: { path: "{{ app_root }}/{{ item }}", state: directory, owner: www-data, group: www-data, mode: '0750' }
      loop: [logs, releases/1]
    - name: env file
      template: { src: env.production.ejs, dest: "{{ app_root }}/.env.production", owner: www-data, mode: '0600' }
      no_log: true
    - name: site config
      template: { src: site.conf.ejs, dest: "{{ app_root }}/site.conf" }
    - name: gunicorn config
      copy: { src: gunicorn.conf.py, dest: "{{ app_root }}/" }
    - name: static tree
      copy: { src: static, dest: "{{ app_root }}/", directory_mode: '0755' }
    - name: sudoers drop-in
      copy:
        content: "www-data ALL=(root) NOPASSWD: /usr/bin/true\\n"
        dest: "{{ app_root }}/sudoers-runmaster"
        mode: '0440'
        validate: visudo -cf %s
    - name: redis maxmemory
      lineinfile: { path: ${ROOT}/pre/redis.conf, regexp: '^#?\\s*maxmemory ', line: 'maxmemory 2gb' }
    - name: redis bind
      lineinfile: { path: ${ROOT}/pre/redis.conf, line: 'bind 127.0.0.1', insertafter: '^port ' }
    - name: hosts.allow
      lineinfile: { path: "{{ app_root }}/etc/hosts.allow", line: 'sshd: ALL', create: true, mode: '0640' }
    - name: redis block
      blockinfile:
        path: ${ROOT}/pre/redis.conf
        marker: "# {mark} RUNMASTER"
        block: |
          maxmemory-policy allkeys-lru
          save 900 1
    - name: redis copy
      copy: { src: ${ROOT}/pre/redis.conf, dest: "{{ app_root }}/redis.conf.copy", remote_src: true }
    - name: current release
      file: { path: "{{ app_root }}/current", src: releases/1, state: link }
    - name: hard link
      file: { path: "{{ app_root }}/gunicorn.hard", src: "{{ app_root }}/gunicorn.conf.py", state: hard }
    - name: log file
      file: { path: "{{ app_root }}/logs/app.log", state: touch, owner: www-data, mode: 'u=rw,g=r,o=', modification_time: preserve, access_time: preserve }
    - name: shared tree
      file: { path: ${ROOT}/pre/shared, state: directory, recurse: true, owner: www-data, mode: 'u=rwX,g=rX,o=' }
    - name: mode only
      file: { path: ${ROOT}/pre/mode.txt, mode: '0600' }
    - name: old file gone
      file: { path: ${ROOT}/pre/old.txt, state: absent }
    - name: stat env
      stat: { path: "{{ app_root }}/.env.production" }
      register: env
    - name: env is private
      assert: { that: ["not env.stat.exists or (env.stat.mode == '0600' and env.stat.pw_name == 'www-data')"] }
`
}

/** What changed, per task (and loop item). */
function changedTasks(r: PlayOutcome): string[] {
  return r
    .results()
    .filter((e) => e.status === 'changed')
    .map((e) => `${e.task}${e.item !== undefined ? `[${e.item}]` : ''}`)
    .sort()
}

describe('file modules on a lab host', function () {
  this.timeout(600000)
  let lab: TestLab
  let inv: string
  let host: string
  const run = (yaml: string, o: { check?: boolean; diff?: boolean } = {}) => play(yaml, { inventory: [inv], limit: host, files: FILES, ...o })
  const onHost = async (script: string) => (await sh(inv, host, script)).stdout

  before(async () => {
    lab = await testLab()
    inv = lab.inventory
    host = lab.names[lab.names.length - 1]!
    // A fresh root: services other groups started would write files while check mode is snapshotted.
    await resetHosts(lab, [host])
    await sh(inv, host, SETUP)
  })

  after(async () => {
    if (inv) await sh(inv, host, `rm -rf ${ROOT}`, true)
    await closeHostConnections()
  })

  describe('the converge playbook: --check, the real run, a second run', () => {
    // The three runs are made here, in order, on the fresh host; each `it` checks one of them.
    let checkRun: PlayOutcome
    let hostChangesInCheck: unknown[]
    let realRun: PlayOutcome
    let again: PlayOutcome
    before(async () => {
      const before = await snapshot(inv, host)
      checkRun = await run(converge(host), { check: true, diff: true })
      hostChangesInCheck = snapshotDiff(before, await snapshot(inv, host))
      realRun = await run(converge(host), { diff: true })
      again = await run(converge(host))
    })

    it('check mode exits 0, predicts 18 changes (uncertain where an earlier task makes the input) and changes nothing on the host', () => {
      expect(checkRun.exitCode, checkRun.text).to.equal(0)
      expect(hostChangesInCheck).to.deep.equal([])
      // Everything but stat/assert is predicted to change; tasks whose inputs an earlier task creates are uncertain.
      expect(changedTasks(checkRun), checkRun.text).to.have.length(18)
      // The env file's directory does not exist yet: an uncertain change, not a failure.
      expect(checkRun.results('env file')[0]!.changes[0]!.uncertain).to.equal(true)
      // Files that exist already are predicted exactly.
      expect(checkRun.results('redis maxmemory')[0]!.changes[0]!.uncertain).to.equal(undefined)
    })

    it('the real run changes exactly what check mode predicted, and the host is in the wanted state', async () => {
      expect(realRun.exitCode, realRun.text).to.equal(0)
      expect(changedTasks(realRun)).to.deep.equal(changedTasks(checkRun))
      // ... and, where the file existed, predicted the very same diff.
      expect(realRun.results('redis maxmemory')[0]!.diffs).to.deep.equal(checkRun.results('redis maxmemory')[0]!.diffs)
      const app = `${ROOT}/app`
      const st = await onHost(
        `cd ${app} && stat -c '%n %F %a %U %G' logs releases releases/1 .env.production site.conf gunicorn.conf.py static static/css static/css/app.css sudoers-runmaster etc etc/hosts.allow current logs/app.log | sort`,
      )
      expect(st.trim().split('\n')).to.deep.equal([
        '.env.production regular file 600 www-data root',
        'current symbolic link 777 root root',
        'etc directory 755 root root',
        'etc/hosts.allow regular file 640 root root',
        'gunicorn.conf.py regular file 644 root root',
        'logs directory 750 www-data www-data',
        'logs/app.log regular empty file 640 www-data root',
        'releases directory 750 www-data www-data',
        'releases/1 directory 750 www-data www-data',
        'site.conf regular file 644 root root',
        'static directory 755 root root',
        'static/css directory 755 root root',
        'static/css/app.css regular file 644 root root',
        'sudoers-runmaster regular file 440 root root',
      ])
      expect(await onHost(`cat ${app}/.env.production`)).to.equal('APP_NAME=runmaster\nSECRET_KEY=s3cr3t-k3y-value\nWORKERS=3\n')
      expect(await onHost(`cat ${app}/site.conf`)).to.equal('server {\n  listen 8080;\n  location /api/ { }\n  location /static/ { }\n}\n')
      expect(await onHost(`cat ${ROOT}/pre/redis.conf`)).to.equal(
        'port 6379\nbind 127.0.0.1\nmaxmemory 2gb\nloglevel notice\n# BEGIN RUNMASTER\nmaxmemory-policy allkeys-lru\nsave 900 1\n# END RUNMASTER\n',
      )
      expect(await onHost(`cmp ${ROOT}/pre/redis.conf ${app}/redis.conf.copy && echo same`)).to.equal('same\n')
      expect(await onHost(`readlink ${app}/current; stat -c %i ${app}/gunicorn.conf.py ${app}/gunicorn.hard | uniq | wc -l`)).to.equal('releases/1\n1\n')
      expect(await onHost(`cat ${app}/etc/hosts.allow`)).to.equal('sshd: ALL\n')
      expect(await onHost(`cd ${ROOT}/pre && stat -c '%n %a %U' shared shared/a shared/sub shared/sub/b mode.txt; [ -e old.txt ] || echo old-gone`)).to.equal(
        'shared 750 www-data\nshared/a 640 www-data\nshared/sub 750 www-data\nshared/sub/b 640 www-data\nmode.txt 600 root\nold-gone\n',
      )
      expect(await onHost(`find ${ROOT} -name '.rmp-*' | wc -l`)).to.equal('0\n')
    })

    it('a second run changes nothing', () => {
      expect(again.exitCode, again.text).to.equal(0)
      expect(again.totalChanged(), again.text).to.equal(0)
    })

    it('--diff shows unified diffs for file contents and before/after for attributes; no_log hides the secret', () => {
      const t = realRun.text
      // lineinfile: the replaced line
      expect(t).to.contain(`--- ${ROOT}/pre/redis.conf (before)`)
      expect(t).to.contain('-# maxmemory <bytes>\n+maxmemory 2gb')
      // blockinfile: the block's lines added
      expect(t).to.contain('+# BEGIN RUNMASTER\n+maxmemory-policy allkeys-lru\n+save 900 1\n+# END RUNMASTER')
      // template: a new file shown whole
      expect(t).to.contain('+  location /api/ { }')
      // attributes: a summary, not a content diff
      expect(t).to.contain('-mode: 0644\n+mode: 0600')
      expect(t).to.contain('+state: link\n+src: releases/1')
      // the no_log template: neither its content nor its diff
      expect(t).to.not.contain('s3cr3t-k3y-value')
      expect(t).to.not.contain('SECRET_KEY')
      const env = realRun.results('env file')[0]!
      expect(env.hidden).to.equal(true)
      expect(env.diffs).to.deep.equal([])
    })

    it('on the converged host, stat runs in check mode too, and reports links, checksums and missing paths', async () => {
      const r = await run(
        `- hosts: ${host}
  gather_facts: false
  tasks:
    - stat: { path: ${ROOT}/app/current }
      register: cur
    - stat: { path: ${ROOT}/app/gunicorn.conf.py }
      register: g
    - stat: { path: ${ROOT}/nothing-here }
      register: nothere
    - assert:
        that:
          - cur.stat.islnk and cur.stat.lnk_target == 'releases/1' and cur.stat.lnk_source == '${ROOT}/app/releases/1'
          - g.stat.isreg and not g.stat.islnk
          - g.stat.mode == '0644' and g.stat.pw_name == 'root' and g.stat.size == ${Buffer.byteLength(FILES['files/gunicorn.conf.py']!)}
          - not nothere.stat.exists
`,
        { check: true },
      )
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.results().filter((e) => e.status === 'failed')).to.deep.equal([])
      const sum = (await onHost(`sha1sum ${ROOT}/app/gunicorn.conf.py | cut -d' ' -f1`)).trim()
      expect((r.results()[1]!.output as { stat: { checksum: string } }).stat.checksum).to.equal(sum)
    })
  })

  it('a file that fails validation is never put in place: the old file stays, no temp file is left', async () => {
    await sh(
      inv,
      host,
      `mkdir -p ${ROOT}/val && printf 'www-data ALL=(root) NOPASSWD: /usr/bin/true\\n' > ${ROOT}/val/sudoers && chmod 0440 ${ROOT}/val/sudoers`,
    )
    const before = await onHost(`stat -c '%i %a %s %Y' ${ROOT}/val/sudoers; cat ${ROOT}/val/sudoers`)
    const r = await run(`- hosts: ${host}
  gather_facts: false
  tasks:
    - name: broken sudoers
      copy: { content: "this is not sudoers syntax ((\\n", dest: ${ROOT}/val/sudoers, mode: '0440', validate: visudo -cf %s }
`)
    expect(r.exitCode).to.not.equal(0)
    const res = r.results('broken sudoers')[0]!
    expect(res.status).to.equal('failed')
    expect(res.msg).to.match(/validation failed \(visudo -cf %s\)/)
    expect(await onHost(`stat -c '%i %a %s %Y' ${ROOT}/val/sudoers; cat ${ROOT}/val/sudoers`)).to.equal(before)
    expect(await onHost(`ls -A ${ROOT}/val`)).to.equal('sudoers\n')
  })

  it('a step that fails half-way (chown to an unknown user) leaves the old file and no temp file', async () => {
    await sh(inv, host, `mkdir -p ${ROOT}/half && printf 'v1\\n' > ${ROOT}/half/app.conf`)
    const r = await run(`- hosts: ${host}
  gather_facts: false
  tasks:
    - name: bad owner
      template: { src: site.conf.ejs, dest: ${ROOT}/half/app.conf, owner: no-such-user-rmp }
      vars: { port: 1, locations: [] }
`)
    expect(r.results('bad owner')[0]!.status).to.equal('failed')
    expect(await onHost(`cat ${ROOT}/half/app.conf; ls -A ${ROOT}/half`)).to.equal('v1\napp.conf\n')
  })

  it('rewriting a file with only owner given keeps its group (and its mode)', async () => {
    await sh(inv, host, `mkdir -p ${ROOT}/own && printf 'a\\n' > ${ROOT}/own/f && chown www-data:daemon ${ROOT}/own/f && chmod 0640 ${ROOT}/own/f`)
    const r = await run(`- hosts: ${host}\n  gather_facts: false\n  tasks:\n    - copy: { content: "b\\n", dest: ${ROOT}/own/f, owner: root }\n`)
    expect(r.exitCode, r.text).to.equal(0)
    expect(await onHost(`stat -c '%U %G %a' ${ROOT}/own/f; cat ${ROOT}/own/f`)).to.equal('root daemon 640\nb\n')
  })

  it('a 0600 file is never visible with a wider mode: the temp file is already 0600 and owned when validated, before the rename', async () => {
    await sh(inv, host, `mkdir -p ${ROOT}/sec && chmod 0755 ${ROOT}/sec`)
    // The validate command runs on the temp file just before the rename and records what it saw.
    const r = await run(`- hosts: ${host}
  gather_facts: false
  vars: { app_name: x, secret_key: hunter2-long-secret, workers: 1 }
  tasks:
    - name: secret env
      template:
        src: env.production.ejs
        dest: ${ROOT}/sec/.env.production
        owner: www-data
        mode: '0600'
        validate: "sh -c 'stat -c \\"%a %U %n\\" \\"$1\\" > ${ROOT}/sec.seen; [ ! -e ${ROOT}/sec/.env.production ] && echo absent-yet >> ${ROOT}/sec.seen' _ %s"
`)
    expect(r.exitCode, r.text).to.equal(0)
    const seen = await onHost(`cat ${ROOT}/sec.seen`)
    expect(seen).to.match(new RegExp(`^600 www-data ${ROOT}/sec/\\.rmp-tmp\\.\\S+\\nabsent-yet\\n$`))
    expect(await onHost(`stat -c '%a %U' ${ROOT}/sec/.env.production; ls -A ${ROOT}/sec`)).to.equal('600 www-data\n.env.production\n')
  })

  it('bad arguments stop the run at load time with file:line:col, before any host is touched', async () => {
    let err: unknown
    try {
      await run(`- hosts: ${host}
  gather_facts: false
  tasks:
    - name: would create a marker
      file: { path: ${ROOT}/should-not-exist, state: touch }
    - name: bad state
      file: { path: /x, state: folder }
    - name: bad mode
      copy: { content: x, dest: /x, mode: 'u+q' }
    - name: no line
      lineinfile: { path: /x, regexp: '^a' }
    - name: missing template
      template: { src: nope.ejs, dest: /x }
`)
    } catch (e) {
      err = e
    }
    expect(err).to.be.instanceOf(RmErrors)
    const errs = (err as RmErrors).errors.map((e) => `${e.pos?.line}:${e.pos?.col} ${e.message}`)
    expect(errs).to.have.length(4)
    expect(errs[0]).to.match(/^7:\d+ file: argument 'state' must be one of/)
    expect(errs[1]).to.match(/^9:\d+ copy: argument 'mode' must be an octal mode/)
    expect(errs[2]).to.match(/^11:\d+ lineinfile: line is required with state=present/)
    expect(errs[3]).to.match(/^13:\d+ template: template not found: nope\.ejs/)
    expect((err as RmErrors).errors[0]!.pos!.file).to.match(/site\.yml$/)
    expect(await onHost(`[ -e ${ROOT}/should-not-exist ] && echo exists || echo absent`)).to.equal('absent\n')
  })

  it('links replace an empty directory only with force; recursion goes through a symlinked top directory', async () => {
    await sh(
      inv,
      host,
      `mkdir -p ${ROOT}/lk/empty ${ROOT}/lk/full/x ${ROOT}/lk/real/sub && touch ${ROOT}/lk/real/sub/f && chmod 0755 ${ROOT}/lk/real/sub && chmod 0644 ${ROOT}/lk/real/sub/f && ln -sfn real ${ROOT}/lk/via`,
    )
    const yaml = `- hosts: ${host}
  gather_facts: false
  tasks:
    - name: empty dir to link
      file: { path: ${ROOT}/lk/empty, src: /etc, state: link, force: true }
    - name: private tree
      file: { path: ${ROOT}/lk/via, state: directory, recurse: true, mode: 'u=rwX,g=,o=' }
    - name: full dir to link
      file: { path: ${ROOT}/lk/full, src: /etc, state: link, force: true }
      ignore_errors: true
`
    const r = await run(yaml)
    expect(r.results('full dir to link')[0]!.msg).to.match(/not empty, refusing to convert it/)
    expect(await onHost(`cd ${ROOT}/lk && readlink empty; stat -c '%n %a' real real/sub real/sub/f; [ -d full/x ] && echo full-kept`)).to.equal(
      '/etc\nreal 700\nreal/sub 700\nreal/sub/f 600\nfull-kept\n',
    )
    const again = await run(yaml)
    expect(again.results('empty dir to link')[0]!.status).to.equal('ok')
    expect(again.results('private tree')[0]!.status).to.equal('ok')
  })

  it("a role's files/ and templates/ are found; a missing one is a load-time error in the role's task file", async () => {
    const files = {
      'roles/web/tasks/main.yml': `- copy: { src: robots.txt, dest: ${ROOT}/role/ }\n- template: { src: motd.ejs, dest: ${ROOT}/role/motd, mode: '0644' }\n`,
      'roles/web/files/robots.txt': 'User-agent: *\n',
      'roles/web/templates/motd.ejs': 'welcome to <%= inventory_hostname %>\n',
    }
    const yaml = `- hosts: ${host}\n  gather_facts: false\n  roles: [web]\n`
    const r = await play(yaml, { inventory: [inv], limit: host, files })
    expect(r.exitCode, r.text).to.equal(0)
    expect(await onHost(`cat ${ROOT}/role/robots.txt ${ROOT}/role/motd`)).to.equal(`User-agent: *\nwelcome to ${host}\n`)
    expect((await play(yaml, { inventory: [inv], limit: host, files })).totalChanged()).to.equal(0)
    let err: unknown
    try {
      await play(yaml, {
        inventory: [inv],
        limit: host,
        files: { ...files, 'roles/web/tasks/main.yml': `- debug: { msg: hi }\n- template: { src: nope.ejs, dest: /x }\n` },
      })
    } catch (e) {
      err = e
    }
    const e0 = (err as RmErrors).errors[0]!
    expect(e0.message).to.equal('template: template not found: nope.ejs')
    expect(`${e0.pos!.file.split('/').slice(-3).join('/')}:${e0.pos!.line}`).to.equal('web/tasks/main.yml:2')
  })

  it('copy with content: --diff shows the lines it replaces, in check mode and for real; again shows no diff', async () => {
    await sh(inv, host, `mkdir -p ${ROOT}/cc && printf 'listen = 8000\\nworkers = 2\\nlog = info\\n' > ${ROOT}/cc/app.conf`)
    const yaml = `- hosts: ${host}
  gather_facts: false
  tasks:
    - name: app conf
      copy: { dest: ${ROOT}/cc/app.conf, content: "listen = 8000\\nworkers = 4\\nlog = info\\n" }
`
    const check = await run(yaml, { check: true, diff: true })
    expect(check.exitCode, check.text).to.equal(0)
    expect(await onHost(`cat ${ROOT}/cc/app.conf`)).to.equal('listen = 8000\nworkers = 2\nlog = info\n')
    const real = await run(yaml, { diff: true })
    expect(real.exitCode, real.text).to.equal(0)
    for (const r of [check, real]) {
      expect(r.results('app conf')[0]!.status).to.equal('changed')
      expect(r.text).to.contain(`--- ${ROOT}/cc/app.conf (before)`)
      expect(r.text).to.contain(' listen = 8000\n-workers = 2\n+workers = 4\n log = info')
    }
    expect(await onHost(`cat ${ROOT}/cc/app.conf`)).to.equal('listen = 8000\nworkers = 4\nlog = info\n')
    const again = await run(yaml, { diff: true })
    expect(again.totalChanged(), again.text).to.equal(0)
    expect(again.text).to.not.contain('--- ')
  })
})
