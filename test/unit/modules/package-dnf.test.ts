// package → dnf through the real engine over the local connection, against stand-in `rpm` and
// `dnf` commands (no RPM host is reachable here): they keep a package database in a directory,
// answer the probe's queries in the documented output formats and log every call. This checks what
// unit tests of plan() cannot: that the probe script runs and parses, that check mode runs no
// transaction, that a second run changes nothing, and the exact command lines dnf receives.
import { expect } from 'chai'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'

const root = mkdtempSync(join(tmpdir(), 'rmp-dnf-'))
const bin = join(root, 'bin')
const db = join(root, 'db')

const RPM = `#!/bin/sh
# stand-in rpm: installed/NAME holds "NAME EPOCH VERSION RELEASE ARCH" (rpm -q --qf's format)
echo "rpm $*" >> ${db}/log
quiet=
while [ $# -gt 0 ]; do case "$1" in --quiet) quiet=1 ;; --qf) shift ;; --) shift; break ;; esac; shift; done
rc=0
for n in "$@"; do
  if [ -f ${db}/installed/"$n" ]; then [ -n "$quiet" ] || cat ${db}/installed/"$n"
  else [ -n "$quiet" ] || echo "package $n is not installed"; rc=1; fi
done
exit $rc
`

const DNF = `#!/bin/sh
# stand-in dnf: repo/NAME and upgrades/NAME hold repoquery lines ("NAME EPOCH VERSION RELEASE ARCH REPO")
echo "dnf $*" >> ${db}/log
verb=; upgrades=; names=; seen=
for a in "$@"; do
  if [ -n "$seen" ]; then names="$names $a"; continue; fi
  case "$a" in repoquery|install|upgrade|remove|makecache) verb=\${verb:-$a} ;; --upgrades) upgrades=1 ;; --) seen=1 ;; esac
done
for n in $names; do
  case "$verb" in
    repoquery) if [ -n "$upgrades" ]; then cat ${db}/upgrades/"$n" 2>/dev/null; else cat ${db}/repo/"$n" 2>/dev/null; fi ;;
    install|upgrade)
      src=${db}/repo/"$n"; [ "$verb" = upgrade ] && src=${db}/upgrades/"$n"
      awk '{ print $1, ($2 == "0" ? "(none)" : $2), $3, $4, $5 }' "$src" > ${db}/installed/"$n"
      [ "$verb" = upgrade ] && rm -f ${db}/upgrades/"$n"; echo "Installed: $n" ;;
    remove) rm -f ${db}/installed/"$n"; echo "Removed: $n" ;;
  esac
done
exit 0
`

function fresh(): void {
  rmSync(db, { recursive: true, force: true })
  for (const d of ['installed', 'repo', 'upgrades']) mkdirSync(join(db, d), { recursive: true })
  writeFileSync(join(db, 'log'), '')
  writeFileSync(join(db, 'installed', 'nginx'), 'nginx 1 1.20.1 14.el9_2.1 x86_64\n')
  writeFileSync(join(db, 'repo', 'jq'), 'jq 0 1.6 17.el9 x86_64 appstream\n')
  writeFileSync(join(db, 'repo', 'tree'), 'tree 0 1.8.0 10.el9 x86_64 baseos\n')
  writeFileSync(join(db, 'upgrades', 'nginx'), 'nginx 1 1.20.1 16.el9_4.1 x86_64 appstream\n')
}

/** The transactions dnf ran (not its queries). */
const transactions = () =>
  readFileSync(join(db, 'log'), 'utf8')
    .split('\n')
    .filter((l) => /^dnf .* (install|upgrade|remove) /.test(l))
const installed = (n: string) => (existsSync(join(db, 'installed', n)) ? readFileSync(join(db, 'installed', n), 'utf8').trim() : null)

const inv = join(root, 'hosts')
writeFileSync(inv, 'rocky ansible_connection=local\n')
const run = (tasks: string, o: { check?: boolean; diff?: boolean } = {}): Promise<PlayOutcome> =>
  play(`- hosts: rocky\n  gather_facts: false\n  tasks:\n${tasks}`, { inventory: [inv], ...o })

const INSTALL = `    - name: install
      package: { name: [nginx, jq, tree], state: present, use: dnf, update_cache: true }
`

describe('package → dnf through the engine, against stand-in rpm and dnf', function () {
  this.timeout(60_000)
  let path: string | undefined
  before(() => {
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(bin, 'rpm'), RPM)
    writeFileSync(join(bin, 'dnf'), DNF)
    chmodSync(join(bin, 'rpm'), 0o755)
    chmodSync(join(bin, 'dnf'), 0o755)
    path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
  })
  after(() => {
    process.env.PATH = path
    rmSync(root, { recursive: true, force: true })
  })
  beforeEach(fresh)

  it('--check --diff predicts the install and runs no transaction; the run installs in one; the second run is ok', async () => {
    const check = await run(INSTALL, { check: true, diff: true })
    expect(check.exitCode, check.text).to.equal(0)
    expect(check.changedTasks()).to.deep.equal(['install'])
    expect(check.text).to.include('install jq (1.6-17.el9) tree (1.8.0-10.el9)').and.include('+jq: 1.6-17.el9')
    expect(transactions(), 'check mode ran no transaction').to.deep.equal([])
    expect(installed('jq')).to.equal(null)
    // update_cache refreshed the metadata (a read, in check mode too, as Ansible's dnf).
    expect(readFileSync(join(db, 'log'), 'utf8')).to.include('dnf -q -y --refresh makecache')

    const first = await run(INSTALL)
    expect(first.exitCode, first.text).to.equal(0)
    expect(first.changedTasks()).to.deep.equal(['install'])
    expect(transactions()).to.deep.equal(['dnf -y install -- jq tree'])
    expect(installed('jq')).to.equal('jq (none) 1.6 17.el9 x86_64')

    const second = await run(INSTALL)
    expect(second.changed('rocky'), second.text).to.equal(0)
    expect(transactions()).to.have.length(1)
  })

  it('latest upgrades nginx, then is ok; absent removes without autoremove, then is ok', async () => {
    const latest = `    - name: latest\n      dnf: { name: nginx, state: latest }\n`
    expect((await run(latest)).changedTasks()).to.deep.equal(['latest'])
    expect(installed('nginx')).to.equal('nginx 1 1.20.1 16.el9_4.1 x86_64')
    expect((await run(latest)).changedTasks()).to.deep.equal([])
    const absent = `    - name: absent\n      ansible.builtin.yum: { name: nginx, state: absent }\n`
    expect((await run(absent)).changedTasks()).to.deep.equal(['absent'])
    expect((await run(absent)).changedTasks()).to.deep.equal([])
    expect(transactions()).to.deep.equal(['dnf -y upgrade -- nginx', 'dnf -y remove --noautoremove -- nginx'])
  })

  it('an apt-only argument fails on a dnf host (at load time when use is literal); a package no repository has fails before any transaction', async () => {
    const literal = `    - name: apt only\n      package: { name: jq, use: dnf, cache_valid_time: 3600 }\n`
    await run(literal).then(
      () => expect.fail('loaded'),
      (e: Error) => expect(e.message).to.include("package: (dnf) unknown argument 'cache_valid_time'"),
    )
    const r =
      await run(`    - name: apt only\n      package: { name: jq, use: "{{ mgr }}", cache_valid_time: 3600 }\n      vars: { mgr: dnf }\n      ignore_errors: true
    - name: missing\n      package: { name: rmp-no-such-package, use: dnf }\n      ignore_errors: true\n`)
    expect(r.results('apt only')[0]!.msg, r.text).to.match(/package: \(dnf\) unknown argument 'cache_valid_time'/)
    expect(r.results('missing')[0]!.msg).to.equal('Failed to install some of the specified packages: No package rmp-no-such-package available.')
    expect(transactions()).to.deep.equal([])
  })
})
