// apt_repository on real lab hosts, with the real ansible-playbook as the judge. A tiny repository
// (one package, signed) is built on the controller and copied into both hosts as file:/srv/...;
// rm-play converges each playbook on one host (check --diff changes nothing and predicts the real
// run, a second run changes nothing), Ansible runs it twice on the other host, and both must
// report the same tasks changed, the same diffs, and leave the same sources files (names, modes,
// content) and packages.
import { expect } from 'chai'
import { ansibleJson } from '../../helpers/ansible.js'
import { hasAnsible } from '../../helpers/ansible-reached.js'
import { copyIntoHost, makeTestRepo, writeIntoHost, type TestRepo } from '../../helpers/apt-test-repo.js'
import { converge, type Converged } from '../../helpers/converge.js'
import { sh } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOutcome } from '../../helpers/run-playbook.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A one-file HTTP server: $RMP_KEY_BODY is served at /rmp-repo.asc on the address argv[1]; it prints its port. */
const SERVE = `const body = process.env.RMP_KEY_BODY
const host = process.argv[1]
const s = require('node:http').createServer((q, r) => (q.url === '/rmp-repo.asc' ? r.end(body) : r.writeHead(404).end()))
s.listen(0, host, () => console.log(s.address().port))`

const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`

interface Diff {
  path: string
  before: string
  after: string
}

/** What Ansible did per task: changed, failed, msg, and the diffs of the files that differ. */
interface TheirTask {
  task: string
  changed: boolean
  failed: boolean
  msg: string
  diffs: Diff[]
}

interface AnsibleDiff {
  before?: string
  after?: string
  before_header?: string
  after_header?: string
}

function ansibleRun(yaml: string, inventory: string, host: string): TheirTask[] {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-ansible-'))
  try {
    writeFileSync(join(dir, 'play.yml'), yaml)
    const { report } = ansibleJson(['-i', inventory, '--limit', host, '--diff', join(dir, 'play.yml')], { ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' })
    return report.plays.flatMap((p) =>
      p.tasks.flatMap((t) => {
        const r = t.hosts[host] as (Record<string, unknown> & { diff?: AnsibleDiff | AnsibleDiff[] }) | undefined
        if (!r) return []
        const diffs = [r.diff ?? []]
          .flat()
          .filter((d) => d.before !== d.after && (d.before_header || d.after_header))
          .map((d) => ({ path: d.after_header !== '/dev/null' ? d.after_header! : d.before_header!, before: d.before ?? '', after: d.after ?? '' }))
        return [{ task: t.task.name, changed: !!r.changed, failed: !!r.failed, msg: String(r.msg ?? ''), diffs }]
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const ourDiffs = (r: PlayOutcome, task: string): Diff[] =>
  r.results(task).flatMap((e) => e.diffs.map((d) => ({ path: d.path ?? '', before: d.before, after: d.after })))

describe('apt_repository and apt_key on lab hosts, against ansible-playbook', function () {
  this.timeout(15 * 60 * 1000)
  let lab: TestLab
  let ours: string
  let theirs: string
  let repo: TestRepo
  let server: ChildProcess | undefined

  const out = async (host: string, script: string) => (await sh(lab.inventory, host, script, true)).stdout.trim()
  /** The sources files (name, mode, content) and the test package's state, the same words on both hosts when they agree. */
  const endState = (host: string) =>
    out(
      host,
      `for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e "$f" ] || continue; stat -c '== %n %a' "$f"; cat "$f"; done
dpkg-query -W -f '\${Package} \${Version} \${db:Status-Abbrev}\\n' rmp-hello 2>&1
for k in /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/rmp-*.gpg /etc/apt/keyrings/rmp-*.gpg; do
  [ -e "$k" ] && command -v gpg >/dev/null || continue
  h=$(mktemp -d); stat -c '== %n %a' "$k"; gpg --homedir "$h" --batch --with-colons --show-keys "$k" 2>/dev/null | grep '^fpr'; rm -rf "$h"
done`,
    )

  /** rm-play converges on ours; Ansible runs twice on theirs; changed tasks, diffs and end state agree. */
  async function agree(yaml: string): Promise<Converged> {
    const c = await converge(lab.inventory, ours, (o) => play(yaml, { inventory: [lab.inventory], limit: ours, ...o }))
    const first = ansibleRun(yaml, lab.inventory, theirs)
    const second = ansibleRun(yaml, lab.inventory, theirs)
    expect(first.filter((t) => t.failed)).to.deep.equal([])
    expect(c.real.changedTasks(), 'changed tasks: rm-play vs ansible-playbook').to.deep.equal(first.filter((t) => t.changed).map((t) => t.task))
    expect(second.filter((t) => t.changed)).to.deep.equal([])
    for (const t of first.filter((x) => x.task.startsWith('apt_repository'))) expect(ourDiffs(c.real, t.task), `diff of ${t.task}`).to.deep.equal(t.diffs)
    expect(await endState(ours)).to.equal(await endState(theirs))
    return c
  }

  before(async function () {
    if (!hasAnsible()) this.skip()
    lab = await testLab(2)
    ;[ours, theirs] = lab.names as [string, string]
    await resetHosts(lab, [ours, theirs])
    repo = makeTestRepo('rmp-hello')
    for (const h of [ours, theirs]) {
      copyIntoHost(lab.name, h, repo.dir, '/srv/rmp-repo')
      copyIntoHost(lab.name, h, repo.dir, '/srv/rmp-repo2')
      // A commented-out line of the first repository, with a comment of its own, as a role may find it.
      writeIntoHost(lab.name, h, '/etc/apt/sources.list.d/old.list', '#   kept as it was\n#deb [trusted=yes]   file:/srv/rmp-repo ./  #  disabled\n')
    }
    // Ansible's apt_repository installs python3-apt on first use, and the first run that does
    // words a failed update "unknown reason": have it there, as on a host Ansible already manages.
    await sh(lab.inventory, theirs, 'apt-get -q update >/dev/null && apt-get install -y -q --no-install-recommends python3-apt >/dev/null')
  })

  after(async function () {
    server?.kill()
    repo?.remove()
    if (lab) await resetHosts(lab, [ours, theirs])
  })

  it('enables a commented-out line, adds a file of its own (filename, mode), installs a package from it', async () => {
    const c = await agree(
      pb(`    - name: apt_repository enable
      apt_repository: { repo: "deb [trusted=yes] file:/srv/rmp-repo ./" }
    - name: package from it
      apt: { name: rmp-hello, update_cache: true, cache_valid_time: 3600 }
    - name: apt_repository second
      apt_repository: { repo: "deb  [trusted=yes] file:/srv/rmp-repo2 ./", filename: rmp-second, mode: "0600" }
`),
    )
    expect(c.real.changedTasks()).to.deep.equal(['apt_repository enable', 'package from it', 'apt_repository second'])
    expect(c.check.results('apt_repository enable')[0]!.changes.map((x) => x.summary)).to.deep.equal([
      'enable deb [trusted=yes] file:/srv/rmp-repo ./ in /etc/apt/sources.list.d/old.list, then apt-get update',
    ])
    expect(await out(ours, 'cat /etc/apt/sources.list.d/old.list; stat -c %a /etc/apt/sources.list.d/rmp-second.list')).to.equal(
      '# kept as it was\ndeb [trusted=yes] file:/srv/rmp-repo ./ # disabled\n600',
    )
    expect(await out(ours, "dpkg-query -W -f '${Status}' rmp-hello")).to.equal('install ok installed')
  })

  it('removes the lines: a file keeps its comment, a file left empty goes', async () => {
    const c = await agree(
      pb(`    - name: apt_repository remove first
      apt_repository: { repo: "deb [trusted=yes] file:/srv/rmp-repo ./", state: absent }
    - name: apt_repository remove second
      apt_repository: { repo: "deb [trusted=yes] file:/srv/rmp-repo2 ./", state: absent, update_cache: false }
`),
    )
    expect(c.real.changedTasks()).to.deep.equal(['apt_repository remove first', 'apt_repository remove second'])
    expect(await out(ours, 'ls /etc/apt/sources.list.d; cat /etc/apt/sources.list.d/old.list')).to.equal('old.list\n# kept as it was')
  })

  it('an update that fails (a repository signed by an unknown key) puts the files back and fails, as Ansible', async () => {
    const yaml = pb(`    - name: apt_repository unsigned
      apt_repository: { repo: "deb file:/srv/rmp-repo ./", update_cache_retries: 1 }
`)
    const before = await endState(ours)
    const r = await play(yaml, { inventory: [lab.inventory], limit: ours })
    const theirsRun = ansibleRun(yaml, lab.inventory, theirs)
    expect(theirsRun.map((t) => [t.task, t.failed])).to.deep.equal([['apt_repository unsigned', true]])
    expect(r.exitCode).to.equal(2)
    const res = r.results('apt_repository unsigned')[0]!
    expect(res.status).to.equal('failed')
    expect(res.msg).to.match(/^Failed to update apt cache: W:GPG error: .*NO_PUBKEY .*, E:The repository .* is not signed\.$/)
    expect(res.msg).to.equal(theirsRun[0]!.msg)
    expect(await endState(ours)).to.equal(before)
    expect(await endState(ours)).to.equal(await endState(theirs))
  })

  it('apt_key: gnupg first (check mode: may change), keys from a file, from data into a keyring, from a URL; the signed repository works', async () => {
    // The key over HTTP from the controller, on the lab's bridge address (which the hosts reach),
    // served by a process of its own: ansible-playbook runs synchronously and would block this one.
    server = spawn(process.execPath, ['-e', SERVE, lab.bridgeAddress], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RMP_KEY_BODY: repo.keyAsc },
    })
    const port = await new Promise<string>((ok, fail) => {
      server!.stdout!.once('data', (b: Buffer) => ok(b.toString().trim()))
      server!.once('exit', (c) => fail(new Error(`the key server exited (${c})`)))
    })
    const url = `http://${lab.bridgeAddress}:${port}/rmp-repo.asc`
    for (const h of [ours, theirs]) writeIntoHost(lab.name, h, '/root/rmp-repo.asc', repo.keyAsc)
    // (Ansible would rewrite old.list in its own layout when apt_repository changes anything: the
    // first test made it so on both hosts; without it, the hosts would differ there. README.)
    for (const h of [ours, theirs]) await sh(lab.inventory, h, 'rm -f /etc/apt/sources.list.d/old.list')
    const c = await agree(
      pb(`    - name: gnupg
      apt: { name: gnupg, install_recommends: false, update_cache: true, cache_valid_time: 3600 }
    - name: apt_key from a file
      apt_key: { file: /root/rmp-repo.asc }
    - name: apt_repository signed
      apt_repository: { repo: "deb file:/srv/rmp-repo ./" }
    - name: apt_key from data
      apt_key: { data: ${JSON.stringify(repo.keyAsc)}, keyring: /etc/apt/keyrings/rmp-data.gpg }
    - name: apt_key from a url
      apt_key: { url: "${url}", keyring: /etc/apt/trusted.gpg.d/rmp-url.gpg }
`),
    )
    expect(c.real.changedTasks()).to.deep.equal(['gnupg', 'apt_key from a file', 'apt_repository signed', 'apt_key from data', 'apt_key from a url'])
    expect(c.check.results('apt_key from a file')[0]!.mayChange || c.check.results('apt_key from a file')[0]!.changes[0]!.uncertain).to.equal(true)
    expect(await out(ours, 'apt-cache policy rmp-hello | grep -c "file:/srv/rmp-repo ./ Packages"')).to.equal('1')
    const fpr = await out(ours, 'h=$(mktemp -d); gpg --homedir "$h" --with-colons --show-keys /etc/apt/trusted.gpg | grep ^fpr; rm -rf "$h"')
    expect(fpr).to.include(repo.fingerprint)
  })

  it('apt_key: removes by short id from a keyring of its own, then by long id from every keyring apt-key knows', async () => {
    // (apt-key del removes the key from /etc/apt/trusted.gpg and every trusted.gpg.d keyring,
    // not from /etc/apt/keyrings: the keyring of its own goes first, or check mode could not know.)
    const c = await agree(
      pb(`    - name: apt_key remove from a keyring
      apt_key: { id: "${repo.longId.slice(-8)}", keyring: /etc/apt/keyrings/rmp-data.gpg, state: absent }
    - name: apt_key remove
      apt_key: { id: "${repo.longId}", state: absent }
`),
    )
    expect(c.real.changedTasks()).to.deep.equal(['apt_key remove from a keyring', 'apt_key remove'])
  })
})
