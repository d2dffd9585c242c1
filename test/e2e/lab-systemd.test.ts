// A small lab of systemd hosts through its whole life: up (systemd as pid 1 under nspawn, in the
// host's own network namespace), status, a second up, a reboot from inside, a reset that keeps the
// kind, and a down that leaves no cgroup, mount, process, nspawn runtime or lock file, even after
// the launcher of a host was killed by hand.
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findLeftovers, labDown, labPaths, labReset, labStatus, labUp, readState, sshArgs, type LabState } from '../../src/lab/index.js'
import { eventually } from '../helpers/eventually.js'
import { testLabName } from '../helpers/lab.js'
import { isRunning, procRef } from '../../src/lab/proc.js'

// Its own lab, named after the suite's (RMP_TEST_LAB) so that parallel work does not collide.
const LAB = `${testLabName().slice(0, 5)}dn`
const HIERARCHIES = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd']
const LOCKS = '/run/systemd/nspawn/locks'

function exec(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 1 << 24, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

async function ssh(state: LabState, host: string, script: string): Promise<string> {
  const r = await exec('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', ...sshArgs(state, host, [script])])
  if (r.code !== 0) throw new Error(`ssh ${host} '${script}' exited ${r.code}: ${r.stderr}`)
  return r.stdout.trim()
}

/** Alive, not a zombie (the lab's own check). */
const alive = (pid: number): boolean => isRunning(procRef(pid))

/** Live processes whose cgroup path names the lab's cgroup (any hierarchy); zombies only wait to be reaped. */
function pidsInLabCgroups(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n) && alive(Number(n)))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cgroup`, 'utf8').includes(`/rmp-${LAB}/`)
      } catch {
        return false
      }
    })
    .map(Number)
}

const locks = () => (existsSync(LOCKS) ? readdirSync(LOCKS).sort() : [])

describe('rm-play lab --init systemd (e2e, real hosts)', function () {
  this.timeout(10 * 60 * 1000)
  let state: LabState
  const project = mkdtempSync(join(tmpdir(), 'rmp-labsd-'))
  const inventoryPath = join(project, 'inventory', 'hosts.yml')
  const recorded: number[] = []
  let locksBefore: string[]
  const h1 = `${LAB}1`
  const h2 = `${LAB}2`

  before(async () => {
    await labDown({ name: LAB })
    locksBefore = locks()
    mkdirSync(join(project, 'apps'), { recursive: true })
    await labUp({ name: LAB, hosts: 2, init: 'systemd', inventoryPath, projectRoot: project })
    state = readState(LAB)!
    for (const h of state.hosts) recorded.push(h.launcher!.pid)
  })

  after(async () => {
    if (readState(LAB)) await labDown({ name: LAB })
    rmSync(project, { recursive: true, force: true })
  })

  it('boots systemd as pid 1 in each host, with its own name, address, machine-id and no failed unit', async () => {
    expect(state.hosts.map((h) => h.kind)).to.deep.equal(['systemd', 'systemd'])
    const ids: string[] = []
    for (const h of state.hosts) {
      await eventually(async () => expect(await ssh(state, h.name, 'systemctl is-system-running')).to.equal('running'), { timeoutMs: 30_000 })
      const [pid1, name, addr, id, failed] = (
        await ssh(state, h.name, 'ps -p 1 -o comm=; hostname; ip -4 -o addr show eth0; cat /etc/machine-id; systemctl --failed --no-legend | wc -l')
      ).split('\n')
      expect(pid1).to.equal('systemd')
      expect(name).to.equal(h.name)
      expect(addr).to.include(`${h.address}/24`)
      expect(id).to.match(/^[0-9a-f]{32}$/)
      expect(failed).to.equal('0')
      ids.push(id!)
    }
    expect(new Set(ids).size).to.equal(2)
    const status = (await labStatus(LAB))!
    expect(status.hosts.map((h) => [h.state, h.init])).to.deep.equal([
      ['up', 'systemd'],
      ['up', 'systemd'],
    ])
  })

  it('a host cannot change the controller: sysctls outside net are read-only, the hostname is its own', async () => {
    const r = await exec('ssh', ['-o', 'BatchMode=yes', ...sshArgs(state, h1, ['echo 1 > /proc/sys/kernel/sysrq'])])
    expect(r.code).to.not.equal(0)
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).to.not.equal(h1)
  })

  it('refuses to turn the lab into sysv hosts; a second up keeps the running hosts', async () => {
    const err = await labUp({ name: LAB, hosts: 2, init: 'sysv', inventoryPath, projectRoot: project }).catch((e: Error) => e)
    expect((err as Error).message).to.match(new RegExp(`lab '${LAB}' has systemd hosts, not sysv`))
    await ssh(state, h2, 'echo kept > /root/marker')
    await labUp({ name: LAB, hosts: 2, inventoryPath, projectRoot: project })
    const again = readState(LAB)!
    expect(again.hosts.map((h) => h.launcher!.pid)).to.deep.equal(state.hosts.map((h) => h.launcher!.pid))
    expect(await ssh(again, h2, 'cat /root/marker')).to.equal('kept')
  })

  it('comes back after `systemctl reboot` inside (same launcher, the root as it was)', async () => {
    await ssh(state, h2, 'echo kept > /root/marker')
    const bootId = await ssh(state, h2, 'cat /proc/sys/kernel/random/boot_id')
    await exec('ssh', ['-o', 'BatchMode=yes', ...sshArgs(state, h2, ['systemctl reboot'])])
    // A new boot (a new boot_id) that reached "running".
    await eventually(
      async () => {
        const [id, running] = (await ssh(state, h2, 'cat /proc/sys/kernel/random/boot_id; systemctl is-system-running')).split('\n')
        expect(id).to.not.equal(bootId)
        expect(running).to.equal('running')
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    )
    expect(alive(state.hosts[1]!.launcher!.pid)).to.equal(true)
    expect(await ssh(state, h2, 'cat /root/marker')).to.equal('kept')
  })

  it('resets a systemd host: still systemd, fresh root, its old processes gone; the other host keeps its files', async () => {
    await ssh(state, h1, 'echo old > /root/marker; systemd-run --unit=rmp-sleeper sleep 1000 >/dev/null 2>&1')
    await ssh(state, h2, 'echo kept > /root/marker')
    const sleepers = pidsInLabCgroups().filter((p) => readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`/rmp-${LAB}/${h1}/`))
    expect(sleepers.length).to.be.greaterThan(3)
    await labReset([h1], { name: LAB })
    const after = readState(LAB)!
    recorded.push(after.hosts[0]!.launcher!.pid)
    expect(after.hosts[0]!.kind).to.equal('systemd')
    for (const pid of sleepers) expect(alive(pid), `old host process ${pid}`).to.equal(false)
    expect(await ssh(after, h1, 'ps -p 1 -o comm=; test -e /root/marker && echo still || echo fresh')).to.equal('systemd\nfresh')
    expect(await ssh(after, h2, 'cat /root/marker')).to.equal('kept')
  })

  it('comes down leaving no cgroup, mount, process, nspawn file or lock, even with a launcher killed by hand', async () => {
    // nspawn killed alone does not stop its host: down must still find and end everything.
    process.kill(readState(LAB)!.hosts[1]!.launcher!.pid, 'SIGKILL')
    const dir = labPaths(LAB).dir
    expect(await labDown({ name: LAB })).to.equal(true)
    for (const pid of recorded) expect(alive(pid), `recorded pid ${pid}`).to.equal(false)
    expect(pidsInLabCgroups()).to.deep.equal([])
    for (const h of HIERARCHIES) expect(existsSync(join(h, `rmp-${LAB}`)), `${h}/rmp-${LAB}`).to.equal(false)
    expect(readFileSync('/proc/mounts', 'utf8')).to.not.include(dir)
    for (const h of [h1, h2]) expect(existsSync(join('/run/systemd/nspawn/propagate', h))).to.equal(false)
    expect(locks()).to.deep.equal(locksBefore)
    expect((await exec('ip', ['netns', 'list'])).stdout).to.not.include(`rmp-${LAB}-`)
    expect(existsSync(dir)).to.equal(false)
    expect(findLeftovers(LAB)).to.deep.equal({ namespaces: [], links: [], mounts: [], processes: [], cgroups: [], stateDir: false })
  })
})
