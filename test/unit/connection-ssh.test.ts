// The SSH connection against an in-process ssh2 server that runs commands with a local /bin/sh:
// which authentications are tried, in which order, and over how many TCP connections.
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import { UnreachableError } from '../../src/connection/connection.js'
import { SshConnection, type SshTarget } from '../../src/connection/ssh.js'
import { code } from '../../src/shell/index.js'
import { fakeServer, publicOf, type FakeServer } from '../helpers/fake-ssh-server.js'

const { utils } = ssh2

describe('ssh authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-sshauth-'))
  const other = join(dir, 'other')
  const right = join(dir, 'right')
  const garbage = join(dir, 'garbage')
  const rightKey = utils.generateKeyPairSync('ed25519').private
  writeFileSync(other, utils.generateKeyPairSync('ed25519').private)
  writeFileSync(right, rightKey)
  writeFileSync(garbage, 'not a key\n')
  let server: FakeServer
  const target = (privateKeyFiles: string[], password?: string): SshTarget => ({
    host: 'fake',
    address: '127.0.0.1',
    port: server.port,
    user: 'someone',
    privateKeyFiles,
    password,
    knownHostsFiles: [],
    hostKeyChecking: 'no',
    connectTimeoutMs: 10000,
  })

  beforeEach(async () => {
    server = await fakeServer(publicOf(rightKey))
  })
  afterEach(() => server.close())
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('tries every key in order on one connection, and runs commands once one is accepted', async () => {
    const c = new SshConnection(target([join(dir, 'missing'), other, right], 'pw'))
    try {
      expect(await c.exec(code('echo hello; echo oops >&2; exit 3'))).to.deep.equal({ code: 3, stdout: 'hello\n', stderr: 'oops\n' })
    } finally {
      await c.close()
    }
    expect(server.auths).to.deep.equal(['none', 'password', 'publickey other', 'publickey allowed', 'publickey allowed signed'])
    expect(server.connections).to.equal(1)
  })

  it('is unreachable when no key is accepted, says which files were not keys, and still used one connection', async () => {
    const c = new SshConnection(target([garbage, other]))
    try {
      const err = await c.exec(code('true')).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(UnreachableError)
      expect((err as Error).message).to.match(/^ssh someone@127\.0\.0\.1:\d+: All configured authentication methods failed \(keys left out: .*garbage: /)
    } finally {
      await c.close()
    }
    expect(server.auths).to.deep.equal(['none', 'publickey other'])
    expect(server.connections).to.equal(1)
  })
})
