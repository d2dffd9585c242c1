// The ufw probe's parser on outputs recorded on lab hosts: the `### tuple ###` lines of
// user.rules/user6.rules, ufw.conf and /etc/default/ufw.
import { expect } from 'chai'
import { parseShellVars, parseTuple, parseUfwState } from '../../../src/probes/ufw.js'
import { UFW } from './ufw-recorded.js'

describe('probes/ufw: tuples', () => {
  const cases: [string, boolean, Record<string, unknown> | undefined][] = [
    [
      '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in',
      false,
      {
        action: 'allow',
        log: '',
        route: false,
        proto: 'tcp',
        dport: '22',
        dst: '0.0.0.0/0',
        sport: 'any',
        src: '0.0.0.0/0',
        dapp: '',
        sapp: '',
        direction: 'in',
        comment: '',
      },
    ],
    ['### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in comment=776562', false, { dport: '80', comment: 'web' }],
    ['### tuple ### allow tcp 2000 ::/0 1000 ::/0 in comment=68c3a96c6c6f2077c3b6726c64', true, { sport: '1000', comment: 'héllo wörld', v6: true }],
    ['### tuple ### route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1', false, { route: true, action: 'allow', direction: 'in_eth0!out_eth1' }],
    ['### tuple ### allow_log-all any 9000 0.0.0.0/0 any 0.0.0.0/0 in', false, { action: 'allow', log: 'log-all' }],
    ['### tuple ### limit tcp 80 0.0.0.0/0 any 0.0.0.0/0 in_eth0', false, { action: 'limit', direction: 'in_eth0' }],
    ['### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in', false, { dapp: 'OpenSSH', sapp: '', direction: 'in' }],
    ['### tuple ### allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 WWW%20Full - in', false, { dapp: 'WWW Full', dport: '80,443' }],
    ['### RULES ###', false, undefined],
    ['### tuple ### frobnicate tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', false, undefined],
  ]
  for (const [line, v6, want] of cases) {
    it(line, () => {
      const r = parseTuple(line, v6)
      if (want === undefined) expect(r).to.equal(undefined)
      else expect(r).to.deep.include(want)
    })
  }
})

describe('probes/ufw: state', () => {
  it('active, medium logging, rules with comments in both files', () => {
    const s = parseUfwState(UFW.ufwActive!)
    expect(s).to.deep.include({ installed: true, readable: true, enabled: true, loaded: true, logLevel: 'medium', ipv6: true })
    expect(s.policies).to.deep.equal({ incoming: 'deny', outgoing: 'allow', routed: 'deny' })
    expect(s.rules.filter((r) => !r.v6).map((r) => `${r.action} ${r.proto} ${r.dport} ${r.src} ${r.direction}`)).to.deep.equal([
      'allow tcp 22 0.0.0.0/0 in',
      'allow tcp 80 0.0.0.0/0 in',
      'allow tcp 443 0.0.0.0/0 in',
      'allow tcp 5432 10.0.0.0/8 in',
      'deny any 25 0.0.0.0/0 out',
    ])
    expect(s.rules.filter((r) => r.v6)).to.have.length(4)
    expect(s.rules.filter((r) => r.comment === 'web')).to.have.length(4)
  })
  it('inactive, not loaded, many kinds of rules: every tuple parsed', () => {
    const s = parseUfwState(UFW.ufwMany!)
    expect(s).to.deep.include({ enabled: false, loaded: false, logLevel: 'low' })
    expect(s.rules).to.have.length(21)
    expect(s.rules.find((r) => r.src === '::ffff:10.0.0.1')).to.deep.include({ v6: true, sport: '82' })
  })
  it('ufw not installed', () => {
    expect(parseUfwState(UFW.ufwNotInstalled!)).to.deep.include({ installed: false })
  })
  it('not readable (not root)', () => {
    expect(
      parseUfwState({ stdout: 'installed=yes\nunreadable\n@@ufw.conf\n@@default\n@@user.rules\n@@user6.rules\n@@loaded\nno\n', code: 0 }).readable,
    ).to.equal(false)
    expect(() => parseUfwState({ stdout: 'sh: oops\n', code: 2 })).to.throw(/unexpected output/)
  })
  it('shell-style config values', () => {
    expect(parseShellVars('# c\nA="x y"\nB=\'z\'\n C=3\nnot a var\n')).to.deep.equal({ A: 'x y', B: 'z', C: '3' })
  })
})
