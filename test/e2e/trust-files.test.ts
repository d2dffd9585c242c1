// Trust cases of the file writes on a real lab host: uploads killed half-way (the controller really
// killed, the remote worker really killed), a full disk, temp names another user planted, secrets
// never readable by another user while they are written, umask 000, owner/mode changes racing a
// symlink swapped in between probe and apply, and what --diff shows.
import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { applyChanges } from '../../src/engine/apply.js'
import { nameResults, probeList } from '../../src/engine/probe-batch.js'
import { hostNames } from '../../src/lab/paths.js'
import { copy } from '../../src/modules/copy.js'
import { file } from '../../src/modules/file.js'
import { checkArgs } from '../../src/modules/schema.js'
import type { HostModule, ProbeContext, PrepareContext } from '../../src/modules/types.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { closeHostConnections, hostConnection, sh } from '../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../helpers/lab.js'
import { play } from '../helpers/run-playbook.js'
import { code } from '../../src/shell/index.js'

const ROOT = '/srv/rmp-trust-files'
const BIN = resolve('bin/rm-play.js')
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('trust: file writes on a lab host', function () {
  this.timeout(600000)
  let lab: TestLab
  let inv: string
  let host: string
  let index: number
  const onHost = async (script: string) => (await sh(inv, host, script)).stdout
  const run = (yaml: string, o: { check?: boolean; diff?: boolean; files?: Record<string, string> } = {}) =>
    play(`- hosts: ${host}\n  gather_facts: false\n${yaml}`, { inventory: [inv], limit: host, ...o })

  before(async () => {
    lab = await testLab()
    inv = lab.inventory
    index = 2
    host = lab.names[index - 1]!
    await resetHosts(lab, [host])
    await onHost(`set -e
mkdir -p ${ROOT}
id mallory >/dev/null 2>&1 || useradd -M -s /bin/sh mallory
mkdir -p ${ROOT}/shared ${ROOT}/mallory; chmod 1777 ${ROOT}/shared; chown mallory ${ROOT}/mallory; chmod 0777 ${ROOT}/mallory`)
  })

  after(async () => {
    if (inv) {
      // A fresh root: this group changed root's shell and made users.
      await closeHostConnections()
      await resetHosts(lab, [host])
    }
    await closeHostConnections()
  })

  describe('trust 32: a killed upload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-kill-'))
    const big = randomBytes(50 * 1024 * 1024)
    const old = randomBytes(1024 * 1024)
    const dest = `${ROOT}/up/big.bin`
    before(async () => {
      mkdirSync(join(dir, 'files'))
      writeFileSync(join(dir, 'files/big.bin'), big)
      writeFileSync(
        join(dir, 'site.yml'),
        `- hosts: ${host}\n  gather_facts: false\n  tasks:\n    - name: big copy\n      copy: { src: big.bin, dest: ${dest}, mode: '0640' }\n`,
      )
    })

    it('trust 32: killing rm-play (SIGKILL, SIGTERM, SIGINT) in the middle of a 50 MB copy leaves the old file, never part of the new one, and no temp', async () => {
      await onHost(`mkdir -p ${ROOT}/up`)
      await hostConnection(inv, host).exec(code(`cat > ${dest}`), { stdin: old })
      // 40 Mbit/s from the controller to this host: the 67 MB the upload takes (base64) need 13 s.
      const veth = hostNames(lab.name, index).veth
      const tc = spawnSync('tc', ['qdisc', 'replace', 'dev', veth, 'root', 'tbf', 'rate', '40mbit', 'burst', '64kb', 'latency', '400ms'], { encoding: 'utf8' })
      expect(tc.status, tc.stderr).to.equal(0)
      try {
        for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
          const child = spawn(process.execPath, [BIN, 'site.yml', '-i', inv, '-l', host], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
          let out = ''
          child.stdout.on('data', (b: Buffer) => (out += b.toString()))
          child.stderr.on('data', (b: Buffer) => (out += b.toString()))
          const exited = new Promise<void>((res) => child.on('exit', () => res()))
          for (let i = 0; i < 300 && !out.includes('big copy'); i++) await sleep(100)
          expect(out, 'the task never started').to.include('big copy')
          // Somewhere in the first seconds of the transfer, which cannot be done before 13 s.
          await sleep(1500 + Math.floor(Math.random() * 2500))
          child.kill(signal)
          const timer = setTimeout(() => child.kill('SIGKILL'), 20000)
          await exited
          clearTimeout(timer)
          // The remote shell gets the cut stream as a normal end of input, then refuses it.
          let state = ''
          for (let i = 0; i < 100; i++) {
            state = await onHost(`sha256sum < ${dest} | cut -d' ' -f1; ls -A ${ROOT}/up`)
            if (!state.includes('.rmp-tmp')) break
            await sleep(200)
          }
          expect(state, `after ${signal}:\n${out}`).to.equal(`${sha256(old)}\nbig.bin\n`)
        }
      } finally {
        spawnSync('tc', ['qdisc', 'del', 'dev', veth, 'root'])
      }
      // Not killed: the new file, whole.
      const r = spawnSync(process.execPath, [BIN, 'site.yml', '-i', inv, '-l', host], { cwd: dir, encoding: 'utf8', timeout: 300000 })
      expect(r.status, r.stdout + r.stderr).to.equal(0)
      expect(await onHost(`sha256sum < ${dest} | cut -d' ' -f1; stat -c %a ${dest}; ls -A ${ROOT}/up`)).to.equal(`${sha256(big)}\n640\nbig.bin\n`)
    })

    it('trust 32: a worker killed on the host leaves its temp; the next write there removes it, and nothing that is not its own', async () => {
      await onHost(`set -e
mkdir -p ${ROOT}/stale /root/keep; chmod 1777 ${ROOT}/stale
printf 'old\\n' > ${ROOT}/stale/app.conf
printf 'keep\\n' > /root/keep/data
printf '#!/bin/sh\\necho $$ > ${ROOT}/slow.pid\\nexec sleep 120\\n' > /usr/local/bin/rmp-slow-check; chmod 0755 /usr/local/bin/rmp-slow-check`)
      // Slow validation holds the put half-way; the test kills its worker as an OOM killer would.
      const pending = run(`  tasks:\n    - name: slow\n      copy: { content: "new\\n", dest: ${ROOT}/stale/app.conf, validate: "rmp-slow-check %s" }\n`)
      let marker = ''
      for (let i = 0; i < 100 && !marker; i++) {
        await sleep(200)
        marker = (await onHost(`[ -s ${ROOT}/slow.pid ] && ls ${ROOT}/stale/.rmp-tmp.*/pid.* 2>/dev/null || true`)).trim()
      }
      expect(marker).to.match(/\/pid\.\d+$/)
      const worker = marker.replace(/.*pid\./, '')
      await onHost(`kill -9 ${worker} $(cat ${ROOT}/slow.pid)`)
      const r = await pending
      expect(r.exitCode, r.text).to.not.equal(0)
      const left = (await onHost(`ls -A ${ROOT}/stale`)).trim().split('\n')
      expect(left).to.have.length(2)
      const stale = left.find((n) => n.startsWith('.rmp-tmp.'))!
      expect(stale).to.match(/^\.rmp-tmp\.[A-Za-z0-9]{10}$/)
      expect(await onHost(`cat ${ROOT}/stale/app.conf`)).to.equal('old\n')
      // Look-alikes that are not a stale temp of this user: another user's, and a symlink to a
      // directory that holds a dead marker.
      await onHost(`set -e
runuser -u mallory -- mkdir ${ROOT}/stale/.rmp-tmp.mallory000; chmod 0777 ${ROOT}/stale/.rmp-tmp.mallory000; touch ${ROOT}/stale/.rmp-tmp.mallory000/pid.999999
: > /root/keep/pid.999999
ln -s /root/keep ${ROOT}/stale/.rmp-tmp.symlink000`)
      const again = await run(`  tasks:\n    - name: write again\n      copy: { content: "new\\n", dest: ${ROOT}/stale/app.conf }\n`)
      expect(again.exitCode, again.text).to.equal(0)
      expect(await onHost(`ls -A ${ROOT}/stale; cat ${ROOT}/stale/app.conf; ls /root/keep`)).to.equal(
        '.rmp-tmp.mallory000\n.rmp-tmp.symlink000\napp.conf\nnew\ndata\npid.999999\n',
      )
    })
  })

  it('trust 19: a full disk during an upload: the task fails saying so, the destination is unchanged, no temp is left', async () => {
    await onHost(
      `set -e; mkdir -p ${ROOT}/small; mountpoint -q ${ROOT}/small || mount -t tmpfs -o size=1m tmpfs ${ROOT}/small; printf 'old\\n' > ${ROOT}/small/data.txt`,
    )
    try {
      const r = await run(`  tasks:\n    - name: too big\n      copy: { src: three.txt, dest: ${ROOT}/small/data.txt }\n`, {
        files: { 'files/three.txt': 'x'.repeat(3 * 1024 * 1024) },
      })
      expect(r.exitCode, r.text).to.not.equal(0)
      expect(r.text).to.match(/could not write \/srv\/rmp-trust-files\/small\/data\.txt: .*No space left on device/)
      expect(await onHost(`cat ${ROOT}/small/data.txt; ls -A ${ROOT}/small`)).to.equal('old\ndata.txt\n')
    } finally {
      await onHost(`umount ${ROOT}/small`)
    }
  })

  it('trust 27: temp names another user planted (predictable old names, look-alike temps, the backup name) are never used', async () => {
    // mallory plants the old predictable link temp for every pid the next shells can get, 0777
    // look-alike temp directories, and symlinks at the backup names of the coming seconds.
    await onHost(`set -e
cd ${ROOT}/shared
mkdir -p ${ROOT}/releases/1; printf 'old\\n' > conf; chmod 0644 conf
n=$(cat /proc/sys/kernel/ns_last_pid)
# One process plants them all: forking one per name would use up the pids it plants for.
runuser -u mallory -- perl -e 'symlink($ARGV[0], ".rmp-link." . ($ARGV[1] + $_)) or die "$!" for 1 .. 3000' ${ROOT}/mallory "$n"
runuser -u mallory -- sh -c 'for x in AAAAAAAAAA BBBBBBBBBB; do mkdir .rmp-tmp.$x; chmod 0777 .rmp-tmp.$x; done'
now=$(date +%s); i=0; while [ $i -lt 120 ]; do runuser -u mallory -- ln -s ${ROOT}/mallory/backup-owned "conf.$(date -d @$((now + i)) +%Y-%m-%d@%H:%M:%S)~"; i=$((i + 1)); done`)
    const r = await run(`  tasks:
    - name: link
      file: { path: ${ROOT}/shared/current, src: ${ROOT}/releases/1, state: link }
    - name: conf
      copy: { content: "new\\n", dest: ${ROOT}/shared/conf, mode: '0640', backup: true }
    - name: download
      get_url: { url: "file://${ROOT}/shared/conf", dest: ${ROOT}/shared/conf.dl }
`)
    expect(r.exitCode, r.text).to.equal(0)
    expect(
      await onHost(
        `readlink ${ROOT}/shared/current; cat ${ROOT}/shared/conf ${ROOT}/shared/conf.dl; ls -A ${ROOT}/mallory; ls -A ${ROOT}/shared/.rmp-tmp.AAAAAAAAAA ${ROOT}/shared/.rmp-tmp.BBBBBBBBBB; ls -A ${ROOT}/shared | grep -c '^\\.rmp-tmp'`,
      ),
    ).to.equal(`${ROOT}/releases/1\nnew\nnew\n${ROOT}/shared/.rmp-tmp.AAAAAAAAAA:\n\n${ROOT}/shared/.rmp-tmp.BBBBBBBBBB:\n2\n`)
    // The backup replaced mallory's symlink at its name instead of writing through it.
    const backup = (await onHost(`ls ${ROOT}/shared | grep '^conf\\..*~$' | while read -r b; do [ -L "${ROOT}/shared/$b" ] || echo "$b"; done`)).trim()
    expect(await onHost(`cat '${ROOT}/shared/${backup}'; stat -c '%U %a' '${ROOT}/shared/${backup}'`)).to.equal('old\nroot 644\n')
  })

  it('trust 28: a secret being uploaded is never openable by another user: 0600 in a 0700 directory of random name until the rename', async () => {
    await onHost(`set -e
mkdir -p ${ROOT}/sec; chmod 0755 ${ROOT}/sec
cat > /usr/local/bin/rmp-peek <<'EOF'
#!/bin/sh
{ stat -c '%a %U' "$1" "\${1%/*}"
  if runuser -u mallory -- cat "$1" >/dev/null 2>&1; then echo read; else echo no-read; fi
  if runuser -u mallory -- ls "\${1%/*}" >/dev/null 2>&1; then echo list; else echo no-list; fi
  printf '%s\\n' "\${1%/*}"; } > ${ROOT}/peek.log
EOF
chmod 0755 /usr/local/bin/rmp-peek`)
    const r = await run(
      `  tasks:\n    - name: secret\n      copy: { content: "DB_PASSWORD=hunter2-secret\\n", dest: ${ROOT}/sec/.env, owner: mallory, mode: '0600', validate: "rmp-peek %s" }\n      no_log: true\n`,
    )
    expect(r.exitCode, r.text).to.equal(0)
    const [mode, dirMode, read, list, tempDir] = (await onHost(`cat ${ROOT}/peek.log`)).trim().split('\n')
    // Owner already mallory (she may read her file once it is hers) but nobody can reach it yet.
    expect([mode, dirMode, read, list]).to.deep.equal(['600 mallory', '700 root', 'no-read', 'no-list'])
    expect(tempDir).to.match(/^\/srv\/rmp-trust-files\/sec\/\.rmp-tmp\.[A-Za-z0-9]{10}$/)
    expect(await onHost(`stat -c '%a %U' ${ROOT}/sec/.env; ls -A ${ROOT}/sec`)).to.equal('600 mallory\n.env\n')
    expect(r.text).to.not.include('hunter2-secret')
  })

  it('trust 33: under umask 000, a new 0600 file is 0600 before its rename, and a new file without mode gets 0666 as Ansible gives it', async () => {
    await onHost(`set -e
printf '#!/bin/sh\\numask 000\\nexec /bin/bash "$@"\\n' > /usr/local/bin/rmp-umask0-shell; chmod 0755 /usr/local/bin/rmp-umask0-shell
usermod -s /usr/local/bin/rmp-umask0-shell root
mkdir -p ${ROOT}/um; chmod 0755 ${ROOT}/um`)
    await closeHostConnections()
    try {
      // a new login shell is for new logins: as with Ansible's ControlPersist, reset the kept one
      const r = await run(`  tasks:
    - meta: reset_connection
    - name: the umask of the session
      command: sh -c umask
      register: um
    - name: secret
      copy: { content: "TOKEN=x\\n", dest: ${ROOT}/um/secret, mode: '0600', validate: "rmp-peek %s" }
    - name: plain
      copy: { content: "x\\n", dest: ${ROOT}/um/plain }
    - debug: { msg: "umask={{ um.stdout }}" }
`)
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.text).to.include('umask=0000')
      const peek = (await onHost(`cat ${ROOT}/peek.log`)).trim().split('\n')
      expect(peek.slice(0, 4)).to.deep.equal(['600 root', '700 root', 'no-read', 'no-list'])
      expect(await onHost(`stat -c '%a %n' ${ROOT}/um/secret ${ROOT}/um/plain`)).to.equal(`600 ${ROOT}/um/secret\n666 ${ROOT}/um/plain\n`)
    } finally {
      await onHost('usermod -s /bin/bash root')
      await closeHostConnections()
    }
  })

  describe('trust 34: owner and mode never follow a symlink swapped in between probe and apply', () => {
    const ctx: ProbeContext = { host: '', facts: {}, check: false, diff: false }
    const prep: PrepareContext = {
      findFile: () => '',
      renderTemplate: () => '',
      readFile: () => Buffer.from(''),
      evaluate: () => undefined,
      readUnknown: () => false,
      isUndefined: () => false,
      condition: () => true,
      vars: {},
    }
    /** Probes on the host, runs `between`, then applies the plan made from the probed state. */
    async function raced(mod: HostModule<never, never>, args: Record<string, unknown>, between: string) {
      const a = checkArgs(mod.args, args, false).args as never
      const p = (mod.prepare ? await mod.prepare(a, prep) : a) as never
      const c = { ...ctx, host }
      const state: Record<string, unknown> = {}
      const named = mod.probes(p, c)
      for (const probe of probeList(named)) {
        const out = await hostConnection(inv, host).exec(probe.script)
        state[probe.id] = probe.parse({ stdout: out.stdout, code: out.code })
      }
      const changes = mod.plan(p, nameResults(named, state), c)
      expect(changes, 'nothing planned').to.have.length.greaterThan(0)
      await onHost(between)
      try {
        await applyChanges(hostConnection(inv, host), changes, {})
        return ''
      } catch (e) {
        return (e as Error).message
      }
    }
    const SETUP = `set -e; rm -rf ${ROOT}/swap; mkdir -p ${ROOT}/swap; chown mallory ${ROOT}/swap
printf 'root secret\\n' > /root/secret.txt; chmod 0600 /root/secret.txt; chown root:root /root/secret.txt
printf 'log\\n' > ${ROOT}/swap/app.log; chmod 0600 ${ROOT}/swap/app.log`
    const SWAP = `runuser -u mallory -- sh -c 'rm -f ${ROOT}/swap/app.log && ln -s /root/secret.txt ${ROOT}/swap/app.log'`
    const TARGET = `stat -c '%U:%G %a' /root/secret.txt; cat /root/secret.txt`

    for (const follow of [true, false]) {
      it(`trust 34: file owner+mode (follow: ${follow}) on a file swapped for a symlink: refused, the target outside untouched`, async () => {
        await onHost(SETUP)
        const err = await raced(file as never, { path: `${ROOT}/swap/app.log`, owner: 'mallory', mode: '0644', follow }, SWAP)
        expect(err).to.match(/app\.log is a symlink now \(it was not when read\): not following it/)
        expect(await onHost(TARGET)).to.equal('root:root 600\nroot secret\n')
      })
    }

    it('trust 34: file state=directory recurse, mode on an entry swapped for a symlink: the target outside untouched', async () => {
      await onHost(`${SETUP}; mkdir ${ROOT}/swap/d; chown mallory ${ROOT}/swap/d; printf x > ${ROOT}/swap/d/f; chmod 0600 ${ROOT}/swap/d/f`)
      const err = await raced(
        file as never,
        { path: `${ROOT}/swap/d`, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=rX', owner: 'mallory' },
        `runuser -u mallory -- sh -c 'rm -f ${ROOT}/swap/d/f && ln -s /root/secret.txt ${ROOT}/swap/d/f'`,
      )
      expect(err).to.equal('')
      expect(await onHost(TARGET)).to.equal('root:root 600\nroot secret\n')
    })

    it('trust 34: copy over a file swapped for a symlink replaces the link, never writes or chmods through it; an unswapped file keeps owner, group and mode', async () => {
      await onHost(SETUP)
      const err = await raced(copy as never, { content: 'new\n', dest: `${ROOT}/swap/app.log` }, SWAP)
      expect(err).to.equal('')
      expect(await onHost(`${TARGET}; [ -L ${ROOT}/swap/app.log ] || cat ${ROOT}/swap/app.log`)).to.equal('root:root 600\nroot secret\nnew\n')
      await onHost(`chown mallory:adm ${ROOT}/swap/app.log; chmod 0640 ${ROOT}/swap/app.log`)
      const r = await run(
        `  tasks:\n    - copy: { content: "newer\\n", dest: ${ROOT}/swap/app.log }\n    - template: { src: t.ejs, dest: ${ROOT}/swap/app.log }\n`,
        { files: { 'templates/t.ejs': 'templated\n' } },
      )
      expect(r.exitCode, r.text).to.equal(0)
      expect(await onHost(`stat -c '%U:%G %a' ${ROOT}/swap/app.log; cat ${ROOT}/swap/app.log`)).to.equal('mallory:adm 640\ntemplated\n')
    })
  })

  it('trust 37: --diff shows before/after of template and copy; vault-derived content is masked or a placeholder; binary and huge files are summarised', async () => {
    await onHost(`set -e; mkdir -p ${ROOT}/diff; printf 'port=1\\nkey=old\\n' > ${ROOT}/diff/app.conf; printf 'OLD=1\\n' > ${ROOT}/diff/vaulted.env`)
    setVaultPassword('pw')
    try {
      const secret = 'hunter2-vault-secret'
      const files = {
        'templates/app.conf.ejs': 'port=2\nkey=<%= key %>\n',
        'secrets.yml': encryptVault(`key: ${secret}\n`, 'pw'),
        'files/vaulted.env': encryptVault('TOKEN=hunter2-file-secret\n', 'pw'),
        'files/logo.bin': Buffer.from([0x89, 0x50, 0, 1, 2, 3, 4, 5]).toString('latin1'),
        'files/huge.txt': 'y'.repeat(2 * 1024 * 1024),
      }
      const yaml = `  vars_files: [secrets.yml]
  tasks:
    - name: templated
      template: { src: app.conf.ejs, dest: ${ROOT}/diff/app.conf }
    - name: vaulted file
      copy: { src: vaulted.env, dest: ${ROOT}/diff/vaulted.env }
    - name: binary
      copy: { src: logo.bin, dest: ${ROOT}/diff/logo.bin }
    - name: huge
      copy: { src: huge.txt, dest: ${ROOT}/diff/huge.txt }
    - name: hidden
      copy: { content: "no-log-secret-value\\n", dest: ${ROOT}/diff/hidden }
      no_log: true
`
      for (const check of [true, false]) {
        const r = await run(yaml, { check, diff: true, files })
        expect(r.exitCode, r.text).to.equal(0)
        // a line that holds a secret after the change is masked before it too (a rotated secret's old
        // value is a secret the run never knew), and marked as changed
        expect(r.text).to.match(/-port=1\n-key=\*+\n\+port=2\n\+key=\*+ \(changed\)\n/)
        expect(r.text).to.not.include('key=old')
        expect(r.text).to.include('-(secret content hidden, 6 bytes)\n+(secret content hidden, 26 bytes)')
        expect(r.text).to.match(/\+\(binary file, \d+ bytes, sha1 [0-9a-f]{40}\)/)
        expect(r.text).to.match(new RegExp(`\\+\\(${2 * 1024 * 1024} bytes, too large to show, sha1 [0-9a-f]{40}\\)`))
        for (const s of [secret, 'hunter2-file-secret', 'no-log-secret-value', 'yyyyyyyyyy']) expect(r.text).to.not.include(s)
      }
    } finally {
      setVaultPassword(undefined)
    }
  })
})
