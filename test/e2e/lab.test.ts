// One full cycle of a small lab of its own: up, real ssh with strict host key checking, packages
// through the apt proxy, the git server, a reset, an idempotent up, and a down that leaves nothing.
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findLeftovers, labDown, labPaths, labReset, labStatus, labUp, readState, sshArgs, type LabInfo, type LabState } from '../../src/lab/index.js'
import { APT_PROXY_URL } from '../../src/lab/apt-proxy.js'
import { isRunning, procRef } from '../../src/lab/proc.js'
import { writeState } from '../../src/lab/state.js'
import { startFlakyAptProxy } from '../helpers/flaky-apt-proxy.js'

// Its own lab; named after RMP_TEST_LAB when that is set, so that parallel work does not collide.
const LAB = process.env.RMP_TEST_LAB ? `${process.env.RMP_TEST_LAB.slice(0, 5)}dv` : 'rmdown'

function exec(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 1 << 24, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** The system ssh client, non-interactive, refusing unknown or changed host keys. */
async function ssh(state: LabState, host: string, script: string): Promise<string> {
  const r = await exec('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...sshArgs(state, host, [script])])
  if (r.code !== 0) throw new Error(`ssh ${host} '${script}' exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

function rootedUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const root = readlinkSync(`/proc/${n}/root`)
        return root === dir || root.startsWith(`${dir}/`)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Alive, not a zombie (the lab's own check). */
const alive = (pid: number): boolean => isRunning(procRef(pid))

describe('rm-play lab (e2e, real hosts)', function () {
  this.timeout(15 * 60 * 1000)
  let info: LabInfo
  let state: LabState
  const project = mkdtempSync(join(tmpdir(), 'rmp-labproj-'))
  const inventoryPath = join(project, 'inventory', 'hosts.yml')
  const recordedPids: number[] = []

  before(async () => {
    await labDown({ name: LAB }) // a run killed halfway may have left one
    mkdirSync(join(project, 'apps', 'hello'), { recursive: true })
    writeFileSync(join(project, 'apps', 'hello', 'README'), 'hello from the project\n')
    info = await labUp({ name: LAB, hosts: 2, init: 'sysv', inventoryPath, projectRoot: project })
    state = readState(LAB)!
    for (const h of state.hosts) recordedPids.push(h.init!.pid, h.launcher!.pid)
    recordedPids.push(state.gitDaemon!.pid)
  })

  after(async () => {
    // Only if a test failed before the down test ran: leave nothing behind either way.
    if (readState(LAB)) await labDown({ name: LAB })
    rmSync(project, { recursive: true, force: true })
  })

  it('brings up hosts with their own name, address and route via the bridge, over strict ssh', async () => {
    expect(info.hosts.map((h) => h.name)).to.deep.equal([`${LAB}1`, `${LAB}2`])
    for (const h of info.hosts) {
      const out = await ssh(state, h.name, 'hostname; ip -4 -o addr show eth0; ip route show default; id -u; grep -c . /etc/hosts')
      const [name, addr, route, uid] = out.trim().split('\n')
      expect(name).to.equal(h.name)
      expect(addr).to.include(`${h.address}/24`)
      expect(route).to.include(`default via ${info.bridgeAddress}`)
      expect(uid).to.equal('0')
    }
    const status = (await labStatus(LAB))!
    expect(status.hosts.map((h) => h.state)).to.deep.equal(['up', 'up'])
  })

  it('refuses a host whose key is not the recorded one (host key checking is on)', async () => {
    const other = join(project, 'other_known_hosts')
    const lines = readFileSync(info.knownHostsPath, 'utf8').trim().split('\n')
    // Swap the two hosts' keys: each address now lists the other's key.
    const swapped = [lines[0]!.replace(/ .*/, lines[1]!.slice(lines[1]!.indexOf(' '))), lines[1]!.replace(/ .*/, lines[0]!.slice(lines[0]!.indexOf(' ')))]
    writeFileSync(other, `${swapped.join('\n')}\n`)
    const args = sshArgs(state, `${LAB}1`, ['true']).map((a) => (a === `UserKnownHostsFile=${info.knownHostsPath}` ? `UserKnownHostsFile=${other}` : a))
    const r = await exec('ssh', ['-o', 'BatchMode=yes', ...args])
    expect(r.code).to.equal(255)
    expect(r.stderr).to.match(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
  })

  it('writes an inventory with the hosts in group runmaster', () => {
    const text = readFileSync(inventoryPath, 'utf8')
    expect(text).to.include('runmaster:')
    expect(text).to.include(`ansible_host: ${info.hosts[1]!.address}`)
    expect(text).to.include(`ansible_ssh_private_key_file: ${info.keyPath}`)
  })

  it('installs packages through the apt proxy', async () => {
    const out = await ssh(state, `${LAB}1`, 'apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends less >/dev/null && command -v less')
    expect(out.trim()).to.equal('/usr/bin/less')
  })

  it("retries a download the proxy failed at once, where bookworm's apt would wait forever (LP #2003851)", async () => {
    // The first suite's InRelease fails with a 503; the other suites' come through, and their
    // indexes are queued behind the delayed retry. With apt's default retry delay this apt-get
    // never ends (the timeout's 124); with the host's 01proxy it retries and finishes. Lists and
    // caches go to a directory of the test's, so the host's own stay as they were.
    const proxy = await startFlakyAptProxy(info.bridgeAddress, APT_PROXY_URL, (url) => url.endsWith('/dists/bookworm/InRelease'))
    try {
      const out = await ssh(
        state,
        `${LAB}1`,
        `d=$(mktemp -d); mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
timeout 50 apt-get -q -o Acquire::http::Proxy=${proxy.url} -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" update >"$d/log" 2>&1; rc=$?
echo "rc=$rc"; [ $rc = 0 ] || tail -5 "$d/log"; rm -rf "$d"`,
      )
      expect(out.trim()).to.equal('rc=0')
      const inRelease = proxy.answers.filter((a) => a.endsWith('/dists/bookworm/InRelease'))
      expect(inRelease.map((a) => a.split(' ')[0])).to.deep.equal(['503', '200'])
      // The other suites were fetched before the retry: the order that stalls apt 2.6.
      const firstRetry = proxy.answers.indexOf(inRelease[1]!)
      expect(proxy.answers.slice(1, firstRetry).filter((a) => a.endsWith('/InRelease')).length).to.be.greaterThan(0)
    } finally {
      await proxy.close()
    }
  })

  it('serves the project apps over git:// on the bridge', async () => {
    const r = await exec('git', ['ls-remote', `${info.gitUrl}hello.git`])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/\trefs\/heads\/main$/m)
    await ssh(state, `${LAB}2`, `timeout 5 bash -c 'echo > /dev/tcp/${info.bridgeAddress}/9418'`)
  })

  it('keeps running hosts as they are on a second up, and gives them the current 01proxy', async () => {
    await ssh(state, `${LAB}2`, 'echo kept > /root/marker')
    // As a host made by an older rm-play: an 01proxy without the retry setting, not recorded.
    const want = await ssh(state, `${LAB}2`, 'cat /etc/apt/apt.conf.d/01proxy')
    await ssh(state, `${LAB}2`, `echo 'Acquire::http::Proxy "${APT_PROXY_URL}";' > /etc/apt/apt.conf.d/01proxy`)
    writeState({ ...state, hosts: state.hosts.map((h) => ({ ...h, aptConf: undefined })) })
    await labUp({ name: LAB, hosts: 2, inventoryPath, projectRoot: project })
    const again = readState(LAB)!
    expect(again.hosts.map((h) => h.init!.pid)).to.deep.equal(state.hosts.map((h) => h.init!.pid))
    expect((await ssh(again, `${LAB}2`, 'cat /root/marker')).trim()).to.equal('kept')
    expect(want).to.include('Acquire::Retries::Delay "false";')
    expect(await ssh(again, `${LAB}2`, 'cat /etc/apt/apt.conf.d/01proxy')).to.equal(want)
  })

  it('resets a host: fresh root, its processes gone, same address; the other host keeps its files', async () => {
    await ssh(state, `${LAB}1`, 'echo old > /root/marker; (setsid sleep 1000 >/dev/null 2>&1 &)')
    await ssh(state, `${LAB}2`, 'echo kept > /root/marker')
    const before = readState(LAB)!.hosts[0]!
    const sleepers = rootedUnder(join(labPaths(LAB).dir, 'hosts', `${LAB}1`))
    expect(sleepers.length).to.be.greaterThan(1)
    await labReset([`${LAB}1`], { name: LAB })
    const after = readState(LAB)!
    recordedPids.push(after.hosts[0]!.init!.pid, after.hosts[0]!.launcher!.pid)
    expect(after.hosts[0]!.address).to.equal(before.address)
    for (const pid of sleepers) expect(alive(pid), `old host process ${pid}`).to.equal(false)
    const out = await ssh(after, `${LAB}1`, 'test -e /root/marker && echo still || echo fresh; command -v less || echo no-less')
    expect(out.trim().split('\n')).to.deep.equal(['fresh', 'no-less'])
    expect((await ssh(after, `${LAB}2`, 'cat /root/marker')).trim()).to.equal('kept')
  })

  it('comes down leaving no namespace, link, mount, process, state or inventory', async () => {
    const dir = labPaths(LAB).dir
    expect(await labDown({ name: LAB })).to.equal(true)
    const netns = await exec('ip', ['netns', 'list'])
    expect(netns.stdout).to.not.include(`rmp-${LAB}-`)
    const links = await exec('ip', ['-o', 'link', 'show'])
    expect(links.stdout).to.not.include(`rmp-${LAB}`)
    expect(readFileSync('/proc/mounts', 'utf8')).to.not.include(dir)
    for (const pid of recordedPids) expect(alive(pid), `recorded pid ${pid}`).to.equal(false)
    expect(rootedUnder(dir)).to.deep.equal([])
    expect(existsSync(dir)).to.equal(false)
    expect(existsSync(inventoryPath)).to.equal(false)
    const left = findLeftovers(LAB)
    expect(left).to.deep.equal({ namespaces: [], links: [], mounts: [], processes: [], cgroups: [], stateDir: false })
  })
})
