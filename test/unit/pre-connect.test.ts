// Connecting early (cli/pre-connect.ts, engine/connect.ts): which hosts are connected to before the
// run, and that the run adopts such a connection only when the host's variables make the same
// target; the others are closed and the run makes its own. Against an in-process ssh2 server that
// counts TCP connections.
import { expect } from 'chai'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import { earlyHosts, preconnect } from '../../src/cli/pre-connect.js'
import { ConnectionPool, Preconnected } from '../../src/engine/connect.js'
import type { RunOptions } from '../../src/engine/options.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import type { Play, Playbook } from '../../src/playbook/model.js'
import { code } from '../../src/shell/index.js'
import { eventually } from '../helpers/eventually.js'
import { fakeServer, publicOf, type FakeServer } from '../helpers/fake-ssh-server.js'

const { utils } = ssh2

const inventory = loadInventory(['web1,web2,web3,db1,'])
const playbook = (play: Partial<Play>): Playbook =>
  ({ file: 'site.yml', dir: '.', plays: [{ hosts: 'all', gatherFacts: true, serial: [], vars: {}, ...play } as Play] }) as Playbook

describe('connecting early: which hosts', () => {
  const opts = { inventory, forks: 50, limit: undefined, step: undefined }

  it("the first play's hosts, within --limit and --forks", () => {
    expect(earlyHosts([playbook({})], opts)).to.deep.equal(['web1', 'web2', 'web3', 'db1'])
    expect(earlyHosts([playbook({ hosts: 'web*' })], { ...opts, limit: 'web2,db1' })).to.deep.equal(['web2'])
    expect(earlyHosts([playbook({})], { ...opts, forks: 2 })).to.deep.equal(['web1', 'web2'])
  })

  it('none when the run would not connect to them all at its start, or the engine decides the hosts or the login', () => {
    for (const play of [{ gatherFacts: false }, { serial: [1] }, { remoteUser: 'deploy' }, { connection: 'local' }, { hosts: '{{ target }}' }])
      expect(earlyHosts([playbook(play)], opts), JSON.stringify(play)).to.deep.equal([])
    expect(earlyHosts([playbook({})], { ...opts, step: async () => true })).to.deep.equal([])
    expect(earlyHosts([], opts)).to.deep.equal([])
  })
})

describe('connecting early: variables', () => {
  it('a host whose variables call a lookup is left to the run (a lookup acts: pipe runs a command)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-preconnect-'))
    const marker = join(dir, 'looked-up')
    writeFileSync(
      join(dir, 'hosts.yml'),
      `all:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      ansible_password: "{{ lookup('pipe', 'touch ${marker}; echo pw') }}"\n`,
    )
    const opts = { inventory: loadInventory([join(dir, 'hosts.yml')]), forks: 5, extraVars: {}, verbosity: 0, emit: () => {} } as unknown as RunOptions
    try {
      const early = await preconnect([playbook({})], opts)
      await early?.closeRest()
      expect(existsSync(marker)).to.equal(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('connecting early: adopting the connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-preconnect-'))
  const keyFile = join(dir, 'key')
  const key = utils.generateKeyPairSync('ed25519').private
  writeFileSync(keyFile, key)
  let server: FakeServer
  const vars = (extra: Record<string, unknown> = {}) => ({
    ansible_host: '127.0.0.1',
    ansible_port: server.port,
    ansible_user: 'someone',
    ansible_ssh_private_key_file: keyFile,
    ansible_host_key_checking: 'false',
    // direct connections: a kept one would be shared whatever the timeout (the keeper's own tests)
    ansible_ssh_common_args: '-o ControlPersist=no',
    ...extra,
  })
  const warnings: string[] = []
  const opts = (): RunOptions =>
    ({ inventory, forks: 5, verbosity: 0, emit: (e: { type: string; msg?: string }) => e.type === 'warning' && warnings.push(e.msg!) }) as unknown as RunOptions

  beforeEach(async () => {
    server = await fakeServer(publicOf(key))
  })
  afterEach(() => server.close())
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function runWith(runVars: Record<string, unknown>): Promise<void> {
    const early = new Preconnected(opts())
    early.start('web1', vars())
    // the early connection reached the server before the run asks for it
    await eventually(() => expect(server.connections).to.equal(1), { timeoutMs: 10_000, intervalMs: 20 })
    const pool = new ConnectionPool({ ...opts(), preconnected: early })
    try {
      expect(await pool.get('web1', runVars).exec(code('echo hi'))).to.deep.equal({ code: 0, stdout: 'hi\n', stderr: '' })
    } finally {
      await pool.closeAll()
    }
  }

  it('the run uses the early connection when its variables make the same target', async () => {
    await runWith(vars())
    expect(server.connections).to.equal(1)
  })

  it('the run connects anew when its variables differ (a play var set another timeout); the early one is closed', async () => {
    await runWith(vars({ ansible_ssh_timeout: 7 }))
    expect(server.connections).to.equal(2)
  })
})
