// The lab never writes into a pipe of a process that may not read it: `lab up` once crashed with
// an uncaught `write EPIPE` when ssh-keygen exited without reading the `y\n` written to it.
import { expect } from 'chai'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runScript } from '../../src/lab/exec.js'
import { ensureKeyPair } from '../../src/lab/keys.js'
import { eventually } from '../helpers/eventually.js'

describe('lab commands and their stdin', function () {
  this.timeout(30_000)

  it('input for a command that exits without reading is no EPIPE (stdin is a file, not a pipe)', async () => {
    const errors: Error[] = []
    const onError = (e: Error) => errors.push(e)
    process.on('uncaughtException', onError)
    try {
      // 4 MB: far more than a pipe buffer, so a pipe writer would still be writing when `true` exits.
      for (let i = 0; i < 5; i++) expect((await run(['true'], { input: 'y\n'.repeat(2 << 20) })).code).to.equal(0)
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(errors.map((e) => e.message)).to.deep.equal([])
  })

  it('a command that reads gets the input, and without input reads end-of-file at once', async () => {
    expect((await run(['cat'], { input: 'one\ntwo\n' })).stdout).to.equal('one\ntwo\n')
    expect((await run(['cat'])).stdout).to.equal('')
  })

  it('a script longer than one argument may be (128 KiB: the set-up of 200 hosts) runs whole, with no stdin', async () => {
    const script = `set -e\n${': padding\n'.repeat(20_000)}read -r x || echo 'end of input'\necho done`
    expect(script.length).to.be.greaterThan(131_072)
    const r = await runScript(script)
    expect(r.stdout).to.equal('end of input\ndone\n')
  })

  it('ensureKeyPair replaces half a key pair without asking (nothing written to ssh-keygen)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-keys-'))
    try {
      const key = join(dir, 'id_ed25519')
      writeFileSync(key, 'half a pair\n', { mode: 0o600 })
      const pub = await ensureKeyPair(key, 'rm-play-test')
      expect(pub).to.match(/^ssh-ed25519 \S+ rm-play-test$/)
      expect(readFileSync(key, 'utf8')).to.include('OPENSSH PRIVATE KEY')
      expect(existsSync(`${key}.pub`)).to.equal(true)
      expect(await ensureKeyPair(key, 'rm-play-test')).to.equal(pub) // an existing pair is kept
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('eventually (tests wait for a state with a deadline)', () => {
  it('returns once the attempt passes', async () => {
    let n = 0
    expect(
      await eventually(
        () => {
          if (++n < 3) throw new Error(`not yet ${n}`)
          return n
        },
        { intervalMs: 5 },
      ),
    ).to.equal(3)
  })

  it('throws the last failure at the deadline', async () => {
    let n = 0
    const err = await eventually(
      () => {
        throw new Error(`never ${++n}`)
      },
      { timeoutMs: 60, intervalMs: 10 },
    ).catch((e: Error) => e)
    expect((err as Error).message).to.match(/^never \d+$/)
    expect(n).to.be.greaterThan(1)
  })
})
