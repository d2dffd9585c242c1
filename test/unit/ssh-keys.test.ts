// The client's keys: parsed once per file content, and signed through a KeyObject with the same
// bytes (ed25519, RSA) or a valid signature (ECDSA, randomized) as ssh2's own sign().
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ssh2, { type ParsedKey } from 'ssh2'
import { readKeys } from '../../src/connection/ssh-keys.js'

const { utils } = ssh2

function parsed(text: string): ParsedKey {
  const k = utils.parseKey(text)
  if (k instanceof Error || Array.isArray(k)) throw new Error('test key does not parse')
  return k
}

describe('ssh keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-sshkeys-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const data = Buffer.from('the session identifier and the userauth request')

  const kinds: [string, () => string, (string | undefined)[]][] = [
    ['ed25519', () => utils.generateKeyPairSync('ed25519').private, [undefined]],
    ['rsa', () => utils.generateKeyPairSync('rsa', { bits: 2048 }).private, [undefined, 'sha256', 'sha512']],
    ['ecdsa', () => utils.generateKeyPairSync('ecdsa', { bits: 256 }).private, [undefined]],
  ]
  for (const [kind, make, hashes] of kinds) {
    it(`signs with a ${kind} key as ssh2 does`, () => {
      const text = make()
      const file = join(dir, kind)
      writeFileSync(file, text)
      const { keys, skipped } = readKeys(ssh2, [file])
      expect(skipped).to.deep.equal([])
      const mine = keys[0]!
      const theirs = parsed(text)
      for (const hash of hashes) {
        const sig = mine.sign(data, hash)
        expect(sig, `hash ${hash}`).to.be.instanceOf(Buffer)
        expect(theirs.verify(data, sig, hash), `hash ${hash}`).to.equal(true)
        if (kind !== 'ecdsa') expect((sig as Buffer).equals(theirs.sign(data, hash) as Buffer), `hash ${hash}`).to.equal(true)
      }
    })
  }

  it('parses a file once per content, and says why a file is left out', () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    const garbage = join(dir, 'garbage')
    const text = utils.generateKeyPairSync('ed25519').private
    writeFileSync(a, text)
    writeFileSync(b, text)
    writeFileSync(garbage, 'not a key\n')
    const first = readKeys(ssh2, [a, join(dir, 'missing'), garbage])
    const second = readKeys(ssh2, [b])
    expect(first.keys).to.have.length(1)
    expect(second.keys[0]).to.equal(first.keys[0])
    expect(first.skipped).to.have.length(1)
    expect(first.skipped[0]).to.match(/^.*garbage: /)
  })
})
