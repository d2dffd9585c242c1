// apt_key: the key lists as apt-key and gpg print them (recorded on a Debian 12 lab host), Ansible's key id
// rules, and the plan: add when not listed, remove when listed, "may change" without gpg.
import { expect } from 'chai'
import { aptKey, parseKeyId, type AptKeyArgs } from '../../../src/modules/apt-key.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { Change, ExecStep } from '../../../src/modules/types.js'
import { parseAptKeyState, parseKeyIds, type AptKeyState } from '../../../src/probes/apt-keys.js'

const LISTED = `Warning: apt-key is deprecated. Manage keyring files in trusted.gpg.d instead (see apt-key(8)).
/etc/apt/trusted.gpg
--------------------
pub   ed25519/B1344EB3B8DB4067 2026-12-07 [SC]
      FA457104E075676568A137F6B1344EB3B8DB4067
uid                 [ unknown] rm-play test repo <repo@rm-play.invalid>

pub   rsa4096/B7C5D7D6350947F8 2023-01-21 [SC] [expires: 2031-01-19]
      B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8
sub   rsa4096/6ED0E7B82643E131 2023-01-21 [S] [expires: 2031-01-19]
pub   rsa4096/1111111111111111 2010-01-01 [SC] [expired: 2012-01-01]
`
// gpg --with-colons --show-keys on each keyring file, as the probe reads them (recorded; the last line made expired).
const SHOWN = `pub:-:255:22:B1344EB3B8DB4067:1796609308:::-:::scSC:::::ed25519:::0:
fpr:::::::::FA457104E075676568A137F6B1344EB3B8DB4067:
pub:-:4096:1:B7C5D7D6350947F8:1674301461:1926589461::-:::scSC::::::23::0:
sub:-:4096:1:6ED0E7B82643E131:1674301461:1926589461:::::s::::::23:
pub:e:4096:1:1111111111111111:1274301461:1326589461::-:::sc::::::23::0:
`
const GPG_FILE = 'pub:-:255:22:B1344EB3B8DB4067:1796609308:::-:::scSC:::::ed25519:::0:\nfpr:::::::::FA457104E075676568A137F6B1344EB3B8DB4067:\n'
const state = (keys: string, source?: string, tools = 'apt-key\ngpg\n'): AptKeyState =>
  parseAptKeyState({ code: 0, stdout: `@@tools\n${tools}@@keys\n${keys}@@keysrc\n0\n${source !== undefined ? `@@source\n${source}` : ''}@@end\n` })

function plan(input: Record<string, unknown>, s: AptKeyState): Change[] {
  const { args, problems } = checkArgs(aptKey.args, input, false)
  expect(problems).to.deep.equal([])
  expect(aptKey.validate!(args as AptKeyArgs)).to.deep.equal([])
  return aptKey.plan(args as AptKeyArgs, { keys: s }, { host: 'h', facts: {}, diff: false })
}
const scripts = (c: Change) => c.steps.map((s) => (s as ExecStep).script.text)

describe('modules/apt_key', () => {
  it("lists keys as Ansible's parse_output_for_keys: pub and sub lines, not expired ones; gpg's colon lines too", () => {
    expect(parseKeyIds(LISTED)).to.deep.equal(['B1344EB3B8DB4067', 'B7C5D7D6350947F8', '6ED0E7B82643E131'])
    expect(parseKeyIds(GPG_FILE)).to.deep.equal(['B1344EB3B8DB4067'])
    expect(parseKeyIds(SHOWN)).to.deep.equal(['B1344EB3B8DB4067', 'B7C5D7D6350947F8', '6ED0E7B82643E131'])
  })

  it("key ids as Ansible's parse_key_id: 8, 16 or more hex digits, 0x allowed", () => {
    expect(parseKeyId('0xfa457104e075676568a137f6b1344eb3b8db4067')).to.deep.equal({
      short: 'B8DB4067',
      fingerprint: 'B1344EB3B8DB4067',
      keyId: 'FA457104E075676568A137F6B1344EB3B8DB4067',
    })
    expect(() => parseKeyId('B1344EB3B8DB40')).to.throw('Invalid key_id')
    expect(() => parseKeyId('nothex12')).to.throw('Invalid key_id')
  })

  it('adds a key from a file when its id is not listed; nothing when it is', () => {
    const ch = plan({ file: '/root/k.asc' }, state('pub:-:4096:1:B7C5D7D6350947F8:1674301461:1926589461::-:::scSC::::::23::0:\n', `${GPG_FILE}rc=0\n`))
    expect(ch.map((c) => c.summary)).to.deep.equal(['add key B1344EB3B8DB4067 to apt-key from /root/k.asc'])
    expect(scripts(ch[0]!)[0]).to.equal('apt-key add /root/k.asc')
    expect((ch[0]!.steps[1] as ExecStep).label).to.equal('list')
    expect(plan({ file: '/root/k.asc' }, state(SHOWN, `${GPG_FILE}rc=0\n`))).to.deep.equal([])
  })

  it('data goes on stdin, into the keyring asked for', () => {
    const ch = plan({ data: 'KEY', keyring: '/etc/apt/trusted.gpg.d/x.gpg' }, state('', `${GPG_FILE}rc=0\n`))
    const step = ch[0]!.steps[0] as ExecStep
    expect([step.script.text, step.stdin]).to.deep.equal(['apt-key --keyring /etc/apt/trusted.gpg.d/x.gpg add -', 'KEY'])
  })

  it('removes by id (a short id compares the last 8 digits), with the short id', () => {
    expect(scripts(plan({ id: 'B1344EB3B8DB4067', state: 'absent' }, state(SHOWN))[0]!)[0]).to.equal('apt-key del B8DB4067')
    expect(plan({ id: 'B8DB4067', state: 'absent' }, state(SHOWN))).to.have.length(1)
    expect(plan({ id: 'B8DB4067', state: 'absent' }, state(''))).to.deep.equal([])
  })

  it('without gpg: a change that needs it (check mode: may change; a real run fails with why)', () => {
    const ch = plan({ file: '/root/k.asc' }, state('', undefined, 'apt-key\n'))
    expect(ch[0]!.needs?.msg).to.match(/^Failed to find required executable "gpg"/)
    expect(ch[0]!.steps).to.deep.equal([])
  })

  it('refuses a keyserver without id, and a bad id, at load time', () => {
    const problems = (input: Record<string, unknown>) => aptKey.validate!(checkArgs(aptKey.args, input, false).args as AptKeyArgs)
    expect(problems({ keyserver: 'hkp://k' })).to.include('Missing key_id, required with keyserver.')
    expect(problems({ id: '12345', state: 'absent' })).to.deep.equal(['Invalid key_id: 12345'])
  })
})
