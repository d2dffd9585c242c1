// Trust 3, 23 and 24 on real lab hosts: values full of shell metacharacters reach the host as
// data (a canary file is never created, and the literal values land where they should), and no
// password ever shows in the host's process list (`ps -eo args`, sampled during the runs), in the
// output, in .git/config, or in PostgreSQL's statement log.
import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { errorList, formatError } from '../../src/playbook/errors.js'
import { sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { play, type PlayOutcome } from '../helpers/run-playbook.js'

const CANARY = '/tmp/RMP_CANARY'
const EVIL = `$(touch ${CANARY})`
const TICKS = `\`touch ${CANARY}\``
const SEMI = `x; touch ${CANARY}; y`
// For file names (no '/'): a relative canary, looked for where a script may have run.
const NAME_EVIL = '$(touch RMP_CANARY) `touch RMP_CANARY`; touch RMP_CANARY'

/** Everything a run showed: the text a person read and every event, as JSON. */
const everything = (r: PlayOutcome) => `${r.text}\n${JSON.stringify(r.events)}`

async function loadErrors(yaml: string, inventory: string, host: string): Promise<string[]> {
  try {
    await play(yaml, { inventory: [inventory], limit: host })
  } catch (e) {
    return errorList(e).map(formatError)
  }
  return []
}

/** Samples `ps -eo args` on the host until stopped; returns what it saw. */
async function startPsSampler(inventory: string, host: string): Promise<() => Promise<string>> {
  await sh(
    inventory,
    host,
    `rm -f /tmp/rmp-ps.log; touch /tmp/rmp-ps.on; setsid sh -c 'while [ -e /tmp/rmp-ps.on ]; do ps -eo args= >> /tmp/rmp-ps.log; sleep 0.02; done' >/dev/null 2>&1 </dev/null &`,
  )
  return async () => {
    await sh(inventory, host, 'rm -f /tmp/rmp-ps.on; sleep 0.3')
    return (await sh(inventory, host, 'cat /tmp/rmp-ps.log')).stdout
  }
}

describe('trust on lab hosts: injection and secrets in argv', function () {
  this.timeout(900000)
  let lab: TestLab
  let host: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const canaryGone = async () =>
    expect((await run(`ls -d ${CANARY} /RMP_CANARY /root/RMP_CANARY /tmp/RMP_CANARY 2>/dev/null || true`)).stdout.trim(), 'canary files').to.equal('')

  before(async function () {
    lab = await testLab(2)
    host = lab.names[0]!
    await resetHosts(lab, [host])
    await run(
      'export DEBIAN_FRONTEND=noninteractive; dpkg -s git >/dev/null 2>&1 || { apt-get update -q >/tmp/rmp-apt.log 2>&1 && apt-get install -y -q --no-install-recommends git >>/tmp/rmp-apt.log 2>&1; } || { tail -20 /tmp/rmp-apt.log >&2; exit 1; }',
    )
  })
  after(async function () {
    if (lab && !process.env.RMP_TEST_KEEP_HOSTS) await resetHosts(lab, [host])
  })

  describe('trust 3: hostile values on a real host', () => {
    it('trust 3: paths, user fields, patterns, hosts and program arguments with $(), backticks, ; and newlines are data; the canary is never created', async () => {
      const dir = `/srv/rmp dir ${EVIL}`
      const r = await play(
        `- hosts: runmaster
  gather_facts: false
  vars:
    evil: "${EVIL}"
    ticks: "${TICKS}"
    semi: "${SEMI}"
    name_evil: "${NAME_EVIL}"
  tasks:
    - name: checkout into a hostile path
      git: { repo: "{{ lab_git_url }}runmaster-backend.git", dest: "${dir}/{{ ticks }}", version: main }
    - name: user with hostile comment and home
      user: { name: rmpinj, comment: "{{ semi }} {{ evil }}", home: "/home/rmp {{ evil }}", create_home: false, shell: "/bin/sh" }
    - name: command with hostile arguments and creates
      command:
        argv: [/bin/sh, -c, 'printf "%s|" "$@" > /tmp/rmp-argv', rmp, "{{ evil }}", "{{ ticks }}", "{{ semi }}", "a\\nb", "-rf"]
        creates: "/tmp/rmp-nothing {{ evil }}"
    - name: wait for a hostile path to be absent
      wait_for: { path: "/tmp/rmp {{ evil }}", state: absent, timeout: 2 }
    - name: wait for a hostile host
      wait_for: { host: "{{ evil }}", port: 1, timeout: 1, connect_timeout: 1 }
      ignore_errors: true
    - name: wait for a pattern
      wait_for: { path: /etc/hostname, search_regex: "{{ semi }}|.", timeout: 2 }
    - name: service pattern
      service: { name: rmp-no-such-service, state: started, pattern: "{{ evil }}" }
      ignore_errors: true
    - name: pip with hostile options
      pip: { name: rmp-no-such-package, extra_args: "--no-index --find-links '/tmp/{{ evil }}'", virtualenv: "/tmp/rmp venv {{ ticks }}", virtualenv_command: "/bin/false {{ semi }}" }
      ignore_errors: true
    - name: uri to a hostile URL
      uri: { url: "http://127.0.0.1:1/{{ evil }}", timeout: 2 }
      ignore_errors: true
    - name: crontab of a user whose comment is hostile
      cron: { name: "job {{ evil }}", job: "true", user: rmpinj }
      ignore_errors: true
    - name: a package name with metacharacters
      apt: { name: "rmp-x{{ evil }}" }
      ignore_errors: true
    - name: a program name with metacharacters
      command: { argv: ["{{ evil }}", "{{ semi }}"] }
      ignore_errors: true
    - name: a file path with metacharacters
      file: { path: "/tmp/rmp file {{ name_evil }}", state: touch }
    - name: a line in a file with metacharacters in its path
      lineinfile: { path: "/tmp/rmp line {{ name_evil }}", line: "{{ ticks }}", create: true }
    - name: a firewall port with metacharacters
      ufw: { rule: allow, to_port: "22{{ semi }}", proto: tcp }
      ignore_errors: true
`,
        { inventory: [lab.inventory], limit: host },
      )
      expect(r.exitCode, r.text).to.equal(0)
      await canaryGone()
      // The values landed as they were written.
      expect((await run(`cd ${shq(dir)} && ls -A`)).stdout).to.equal('`touch \n') // TICKS holds a '/': a path of three names
      expect((await run(`git -C ${shq(`${dir}/${TICKS}`)} rev-parse --is-inside-work-tree`)).stdout.trim()).to.equal('true')
      const pw = (await run('getent passwd rmpinj')).stdout.trim().split(':')
      expect(pw[4]).to.equal(`${SEMI} ${EVIL}`)
      expect(pw[5]).to.equal(`/home/rmp ${EVIL}`)
      expect((await run('cat /tmp/rmp-argv')).stdout).to.equal(`${EVIL}|${TICKS}|${SEMI}|a\nb|-rf|`)
      expect((await run(`[ -f ${shq(`/tmp/rmp file ${NAME_EVIL}`)} ] && cat ${shq(`/tmp/rmp line ${NAME_EVIL}`)}`)).stdout).to.equal(`${TICKS}\n`)
    })

    it("trust 3: git refuses a repo beginning with '-' (--upload-pack=CMD), literal at load time and templated at run time", async () => {
      const yaml = (repo: string) =>
        `- hosts: runmaster\n  gather_facts: false\n  vars:\n    evil_repo: "--upload-pack=touch ${CANARY}"\n  tasks:\n    - git: { repo: "${repo}", dest: /srv/rmp-upload-pack }\n`
      const errs = await loadErrors(yaml(`--upload-pack=touch ${CANARY}`), lab.inventory, host)
      expect(errs.join('\n')).to.match(/begins with '-'/)
      const r = await play(yaml('{{ evil_repo }}'), { inventory: [lab.inventory], limit: host })
      expect(r.exitCode).to.not.equal(0)
      expect(r.text).to.match(/begins with '-'/)
      await canaryGone()
    })

    it("trust 3: names beginning with '-' are refused (user, group, service), not read as options", async () => {
      for (const task of [
        'user: { name: "-rmp" }',
        'group: { name: "-rmp" }',
        'service: { name: "-rmp", state: started }',
        'systemd: { name: "--all", state: started }',
      ]) {
        const errs = await loadErrors(`- hosts: runmaster\n  gather_facts: false\n  tasks:\n    - ${task}\n`, lab.inventory, host)
        expect(errs.length, task).to.be.greaterThan(0)
      }
    })
  })

  describe("trust 24: no password in the host's process list", () => {
    const GIT_PW = 'Git-Pw-1 $(x)`y`'
    const URI_PW = 'Uri-Pw-2'
    const BECOME_PW = 'Become-Pw-3'
    const PORT = 8765

    before(async () => {
      // A git repository served over plain HTTP with basic auth (dumb protocol), each request slow
      // enough (0.3 s) that the sampler sees the processes that handle it.
      await run(`set -e
rm -rf /srv/rmp-http && mkdir -p /srv/rmp-http
git clone -q --bare ${shq(`${parseYaml(readFileSync(lab.inventory, 'utf8')).all.vars.lab_git_url}runmaster-backend.git`)} /srv/rmp-http/app.git
git -C /srv/rmp-http/app.git update-server-info
cat > /srv/rmp-http.py <<'EOF'
import base64, http.server, os, time
os.chdir('/srv/rmp-http')
want = 'Basic ' + base64.b64encode(('deploy:' + open('/srv/rmp-http.pw').read()).encode()).decode()
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        time.sleep(0.3)
        if self.headers.get('Authorization') != want:
            self.send_response(401); self.send_header('WWW-Authenticate', 'Basic realm="rmp"'); self.send_header('Content-Length', '0'); self.end_headers(); return
        self.path = self.path.split('?')[0]
        super().do_GET()
http.server.ThreadingHTTPServer(('127.0.0.1', ${PORT}), H).serve_forever()
EOF
pkill -f /srv/rmp-http.py || true
`)
      // The server's password is read from a file, so that the server's own command line is clean.
      await run(`umask 077; printf '%s' ${shq(GIT_PW)} > /srv/rmp-http.pw; setsid python3 /srv/rmp-http.py >/tmp/rmp-http.log 2>&1 </dev/null & sleep 1`)
      // A sudoer with a password, logging in with the lab's key.
      await run(`set -e
id rmpdeploy >/dev/null 2>&1 || useradd -m -s /bin/sh rmpdeploy
printf 'rmpdeploy:%s\\n' ${shq(BECOME_PW)} | chpasswd
echo 'rmpdeploy ALL=(ALL) ALL' > /etc/sudoers.d/rmpdeploy; chmod 0440 /etc/sudoers.d/rmpdeploy
mkdir -p /home/rmpdeploy/.ssh && cp /root/.ssh/authorized_keys /home/rmpdeploy/.ssh/ && chown -R rmpdeploy /home/rmpdeploy/.ssh`)
    })

    it('trust 24: git over https-style URL with a password, uri with url_password, sudo with a become password: ps never shows them', async () => {
      const url = `http://deploy:${encodeURIComponent(GIT_PW)}@127.0.0.1:${PORT}/app.git`
      // An inventory for the sudoer: same host, the lab's key, the become password as a variable.
      const inv = parseYaml(readFileSync(lab.inventory, 'utf8'))
      const dir = mkdtempSync(join(tmpdir(), 'rmp-inj-inv-'))
      const deployInv = join(dir, 'hosts.yml')
      writeFileSync(
        deployInv,
        toYaml({
          all: {
            vars: { ...inv.all.vars, ansible_user: 'rmpdeploy', ansible_become_password: BECOME_PW },
            hosts: { [host]: { ansible_host: inv.all.children.runmaster.hosts[host].ansible_host } },
          },
        }),
      )
      const stop = await startPsSampler(lab.inventory, host)
      let outputs = ''
      let seen = ''
      try {
        const r1 = await play(
          `- hosts: runmaster
  gather_facts: false
  tasks:
    - name: clone with a password in the URL
      git: { repo: "${url}", dest: /srv/rmp-pw-checkout, version: main }
    - name: clone again, nothing to do
      git: { repo: "${url}", dest: /srv/rmp-pw-checkout, version: main }
      register: again
    - name: the same URL with a wrong password fails, masked
      git: { repo: "http://deploy:Wrong-Pw-9@127.0.0.1:${PORT}/app.git", dest: /srv/rmp-pw-wrong, version: main }
      ignore_errors: true
    - name: a GET with basic auth
      uri: { url: "http://127.0.0.1:${PORT}/app.git/HEAD", url_username: deploy, url_password: "${GIT_PW.replace(/"/g, '\\"')}", return_content: true }
      register: got
    - name: a POST with basic auth
      uri: { url: "http://127.0.0.1:${PORT}/app.git/HEAD", method: POST, url_username: deploy, url_password: "${URI_PW}", status_code: [401, 501] }
`,
          { inventory: [lab.inventory], limit: host, verbosity: 3, diff: true },
        )
        outputs += everything(r1)
        expect(r1.exitCode, r1.text).to.equal(0)
        expect(r1.results('clone with a password in the URL')[0]!.status).to.equal('changed')
        expect(r1.results('clone again, nothing to do')[0]!.status).to.equal('ok')
        expect(r1.results('a GET with basic auth')[0]!.status).to.equal('ok')
        expect(r1.text).to.include('http://deploy:********@127.0.0.1')
        const r2 = await play(
          `- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: as root through sudo with a password
      command: sh -c 'sleep 0.5; id -un'
      register: who
    - assert: { that: [ "who.stdout == 'root'" ] }
`,
          { inventory: [deployInv], limit: host, verbosity: 3 },
        )
        outputs += everything(r2)
        expect(r2.exitCode, r2.text).to.equal(0)
      } finally {
        seen = await stop()
      }
      // The sampler saw the processes of the run (else it proves nothing) ...
      expect(seen).to.match(/git[^\n]*(ls-remote|clone|fetch|remote-http)/)
      expect(seen).to.match(/python3 -c/)
      expect(seen).to.match(/sudo /)
      // ... and never a password, plain or as written in the URL.
      for (const pw of [GIT_PW, encodeURIComponent(GIT_PW), URI_PW, BECOME_PW, 'Wrong-Pw-9']) expect(seen.includes(pw), `ps showed ${pw}`).to.equal(false)
      for (const pw of [GIT_PW, encodeURIComponent(GIT_PW), URI_PW, BECOME_PW, 'Wrong-Pw-9'])
        expect(outputs.includes(pw), `the output showed ${pw}`).to.equal(false)
      // The checkout's remote URL holds no password (Ansible's stores it in .git/config).
      expect((await run('git -C /srv/rmp-pw-checkout config --get remote.origin.url')).stdout.trim()).to.equal(`http://deploy@127.0.0.1:${PORT}/app.git`)
      expect((await run('ls -A /tmp | grep -c "^tmp\\." || true')).stdout.trim(), 'askpass directories left in /tmp').to.equal('0')
    })
  })
})

describe('trust 23: postgres_user password on a lab host', function () {
  this.timeout(900000)
  let lab: TestLab
  let host: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const ADMIN_PW = "Adm1n 'pw' $HOME"
  const APP_PW = 'App-Pw-4 `x` $(y)'

  before(async function () {
    lab = await testLab(2)
    host = lab.names[1]!
    await resetHosts(lab, [host])
    await run(
      'export DEBIAN_FRONTEND=noninteractive; { apt-get update -q && apt-get install -y -q --no-install-recommends postgresql; } >/tmp/rmp-apt.log 2>&1 || { tail -20 /tmp/rmp-apt.log >&2; exit 1; }; service postgresql start >/dev/null',
    )
    // Every statement goes to the server log.
    await run(`cd / && runuser -u postgres -- psql -X -q -c "ALTER SYSTEM SET log_statement = 'all'" -c 'SELECT pg_reload_conf()' >/dev/null`)
  })
  after(async function () {
    if (lab && !process.env.RMP_TEST_KEEP_HOSTS) await resetHosts(lab, [host])
  })

  it('trust 23: the clear password is in no logged SQL, no returned query, no server log, no ps sample', async () => {
    const stop = await startPsSampler(lab.inventory, host)
    let out = ''
    let seen = ''
    try {
      const r = await play(
        `- hosts: runmaster
  gather_facts: false
  vars:
    admin_pw: "${ADMIN_PW.replace(/"/g, '\\"')}"
    app_pw: "${APP_PW}"
  tasks:
    - name: an admin role with a password (peer authentication)
      postgres_user: { name: rmpadmin, password: "{{ admin_pw }}", role_attr_flags: "LOGIN,SUPERUSER" }
      register: admin
    - name: an app role, created over TCP with the admin's password
      postgres_user: { name: rmpapp, password: "{{ app_pw }}", login_user: rmpadmin, login_password: "{{ admin_pw }}", login_host: 127.0.0.1, role_attr_flags: LOGIN }
      register: app
    - name: the app's password is changed once more
      postgres_user: { name: rmpapp, password: "{{ app_pw }}-2", login_user: rmpadmin, login_password: "{{ admin_pw }}", login_host: 127.0.0.1 }
    - name: a query over TCP as the app
      postgres_query: { query: "SELECT current_user", login_user: rmpapp, login_password: "{{ app_pw }}-2", login_host: 127.0.0.1, login_db: postgres }
      register: q
`,
        { inventory: [lab.inventory], limit: host, verbosity: 3, diff: true },
      )
      out = everything(r)
      expect(r.exitCode, r.text).to.equal(0)
      expect(JSON.stringify(r.results('a query over TCP as the app')[0])).to.include('rmpapp')
    } finally {
      seen = await stop()
    }
    expect(seen).to.match(/psql|postgres:/)
    for (const pw of [ADMIN_PW, APP_PW]) expect(seen.includes(pw), `ps showed ${pw}`).to.equal(false)
    for (const pw of [ADMIN_PW, APP_PW]) expect(out.includes(pw), `the output showed ${pw}`).to.equal(false)
    const log = (await run('cat /var/log/postgresql/postgresql-*-main.log')).stdout
    // The log did record the statements (else it proves nothing), with verifiers only.
    expect(log).to.match(/statement: .*ROLE "rmpapp"/)
    for (const pw of [ADMIN_PW, APP_PW]) expect(log.includes(pw), `the server log showed ${pw}`).to.equal(false)
    expect(log).to.include('SCRAM-SHA-256$')
    // And the passwords work.
    expect((await run(`cd / && PGPASSWORD=${shq(`${APP_PW}-2`)} psql -X -A -t -h 127.0.0.1 -U rmpapp -d postgres -c 'SELECT 1'`)).stdout.trim()).to.equal('1')
  })
})

/** POSIX single quotes, for the test's own commands. */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}
