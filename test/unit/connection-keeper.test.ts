// The connection keeper against an in-process ssh2 server that counts TCP connections: a second
// connection to the same target reuses the kept one; runs that start together share one set-up; a
// dropped connection is made again, not reused; a password target is never kept. Plus how
// ControlPersist/ControlMaster are read, and the socket's frames.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import { SshConnection, type SshTarget } from '../../src/connection/ssh.js'
import { encodeFrame, FrameReader, FrameType } from '../../src/connection/keeper/protocol.js'
import { persistFor } from '../../src/engine/connect.js'
import { KEEPER_MAIN, keeperDir, keeperSocket } from '../../src/connection/keeper/paths.js'
import { code } from '../../src/shell/index.js'
import { eventually } from '../helpers/eventually.js'
import { fakeServer, publicOf, type FakeServer } from '../helpers/fake-ssh-server.js'

const { utils } = ssh2

describe('connection keeper: ControlPersist and ControlMaster', () => {
  it("reads OpenSSH's values: a time, yes/0 for ever, no (or ControlMaster=no) for not kept; 60 s when unsaid", () => {
    expect(persistFor({})).to.equal(60_000)
    expect(persistFor({ controlpersist: '90' })).to.equal(90_000)
    expect(persistFor({ controlpersist: '10m30s' })).to.equal(630_000)
    expect(persistFor({ controlpersist: '2h' })).to.equal(7_200_000)
    expect(persistFor({ controlpersist: 'yes' })).to.equal(null)
    expect(persistFor({ controlpersist: '0' })).to.equal(null)
    expect(persistFor({ controlpersist: 'no' })).to.equal(undefined)
    expect(persistFor({ controlmaster: 'no', controlpersist: '60s' })).to.equal(undefined)
    expect(persistFor({ controlmaster: 'auto', controlpersist: '5s' })).to.equal(5000)
  })

  it('refuses what it cannot read, by name', () => {
    expect(() => persistFor({ controlpersist: 'soon' })).to.throw(/ControlPersist must be yes, no or a time .* got 'soon'/)
    expect(() => persistFor({ controlmaster: 'maybe' })).to.throw(/ControlMaster must be .* got 'maybe'/)
  })
})

describe('connection keeper: frames', () => {
  it('frames cut anywhere in the byte stream come out whole and in order', () => {
    const sent = [encodeFrame(FrameType.Request, '{"a":1}'), encodeFrame(FrameType.Stdin, Buffer.from([0, 1, 2])), encodeFrame(FrameType.StdinEnd)]
    const bytes = Buffer.concat(sent)
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got: [FrameType, string][] = []
      const r = new FrameReader((t, p) => got.push([t, p.toString('hex')]))
      r.push(bytes.subarray(0, cut))
      r.push(bytes.subarray(cut))
      expect(got, `cut at ${cut}`).to.deep.equal([
        [FrameType.Request, Buffer.from('{"a":1}').toString('hex')],
        [FrameType.Stdin, '000102'],
        [FrameType.StdinEnd, ''],
      ])
    }
  })
})

describe('connection keeper: against an SSH server', function () {
  this.timeout(30_000)
  const dir = mkdtempSync(join(tmpdir(), 'rmp-keeper-unit-'))
  const keyFile = join(dir, 'key')
  const key = utils.generateKeyPairSync('ed25519').private
  writeFileSync(keyFile, key)
  let server: FakeServer

  beforeEach(async () => {
    server = await fakeServer(publicOf(key))
  })
  afterEach(() => {
    server.dropAll()
    server.close()
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const target = (extra: Partial<SshTarget> = {}): SshTarget => ({
    host: 'web1',
    address: '127.0.0.1',
    port: server.port,
    user: 'someone',
    privateKeyFiles: [keyFile],
    knownHostsFiles: [join(dir, 'known_hosts')],
    hostKeyChecking: 'no',
    connectTimeoutMs: 10_000,
    persistMs: 60_000,
    ...extra,
  })

  /** A run of its own: one connection, one command, closed. */
  async function once(t: SshTarget, script = 'echo $((6 * 7))'): Promise<string> {
    const c = new SshConnection(t)
    try {
      const r = await c.exec(code(script))
      expect(r.code).to.equal(0)
      return r.stdout
    } finally {
      await c.close()
    }
  }

  it('a second run reuses the kept connection: one TCP connection, the same answers', async () => {
    expect(await once(target())).to.equal('42\n')
    expect(await once(target())).to.equal('42\n')
    expect(server.connections).to.equal(1)
  })

  it('runs that start together share one set-up', async () => {
    const outs = await Promise.all([once(target()), once(target()), once(target())])
    expect(outs).to.deep.equal(['42\n', '42\n', '42\n'])
    expect(server.connections).to.equal(1)
  })

  it('a connection the server dropped is made again, not reused', async () => {
    expect(await once(target())).to.equal('42\n')
    server.dropAll()
    expect(await once(target())).to.equal('42\n')
    expect(server.connections).to.equal(2)
  })

  it('another target (another key file, another user) gets a connection of its own', async () => {
    await once(target())
    await once(target({ user: 'another' }))
    expect(server.connections).to.equal(2)
  })

  it('a password target is never kept, nor one with ControlPersist=no', async () => {
    await once(target({ password: 'not-kept' }))
    await once(target({ password: 'not-kept' }))
    expect(server.connections).to.equal(2)
    await once(target({ persistMs: undefined }))
    await once(target({ persistMs: undefined }))
    expect(server.connections).to.equal(4)
  })

  it("a kept connection out of sessions (sshd's MaxSessions) gives the next run a new one; the run on it goes on", async () => {
    server.dropAll()
    server.close()
    server = await fakeServer(publicOf(key), { maxSessions: 1 })
    const first = new SshConnection(target())
    try {
      expect((await first.exec(code('echo first'))).stdout).to.equal('first\n')
      expect(await once(target())).to.equal('42\n')
      expect(server.connections).to.equal(2)
      expect((await first.exec(code('echo still'))).stdout).to.equal('still\n')
    } finally {
      await first.close()
    }
  })

  it('a keeper that takes the request and never answers is given up: the run connects by itself', async function () {
    this.timeout(40_000)
    // this build's keeper socket, held by a listener that reads and says nothing
    const path = keeperSocket(keeperDir()!)
    try {
      execFileSync('pkill', ['-f', KEEPER_MAIN], { stdio: 'ignore' })
    } catch {
      // none runs
    }
    rmSync(path, { force: true }) // a killed keeper leaves its socket file
    const mute = createServer((s) => s.on('data', () => undefined))
    await new Promise<void>((r) => mute.listen(path, r))
    try {
      let trace = ''
      expect(await once(target({ connectTimeoutMs: 1000, trace: (l) => (trace += `${l}\n`) }))).to.equal('42\n')
      expect(trace).to.match(/the keeper did not answer in \d+ s\); connecting without it/)
      expect(server.connections).to.equal(1)
    } finally {
      await new Promise((r) => mute.close(r))
    }
  })

  it('close() then exec (meta: reset_connection) logs in again on the same SshConnection', async () => {
    const c = new SshConnection(target())
    try {
      expect((await c.exec(code('echo one'))).stdout).to.equal('one\n')
      await c.close()
      expect((await c.exec(code('echo two'))).stdout).to.equal('two\n')
    } finally {
      await c.close()
    }
    await eventually(() => expect(server.connections).to.equal(2), { timeoutMs: 5000, intervalMs: 20 })
  })
})
