// ufw's plan against states recorded on lab hosts. The rules of the "many" recording were made
// with the ufw command itself: the same rules given as module arguments must plan nothing, which
// proves that addresses, ports, interfaces and apps are matched the way ufw stores them.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep } from '../../../src/modules/types.js'
import { formatIpv6, insertPosition, normalizeAddress, planUfw, ufw, type UfwArgs } from '../../../src/modules/ufw.js'
import { parseUfwState, UFW_PRISTINE, type UfwState } from '../../../src/probes/ufw.js'
import { UFW } from '../probes/ufw-recorded.js'

const real = { host: 'h', facts: {}, check: false, diff: true }
const check = { ...real, check: true }

function args(input: Record<string, unknown>): UfwArgs {
  const { args, problems } = checkArgs(ufw.args, input, false)
  expect(problems).to.deep.equal([])
  expect(ufw.validate!(args as never)).to.deep.equal([])
  return args as UfwArgs
}
const plan = (input: Record<string, unknown>, s: UfwState, ctx = real): Change[] => settleNeeds(planUfw(args(input), { ufw: s }), ctx.check)
const scripts = (ch: Change[]) => ch.map((c) => (c.steps[0] as ExecStep).script.text.replace('PATH="$PATH:/usr/sbin:/sbin" ', ''))
const active = () => parseUfwState(UFW.ufwActive!)
const many = () => parseUfwState(UFW.ufwMany!)

describe('modules/ufw: addresses as ufw stores them', () => {
  const cases: [string, string | undefined][] = [
    ['any', 'any'],
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.1/32', '10.0.0.1'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['10.1.2.3/255.255.0.0', '10.1.0.0/16'],
    ['0.0.0.0/0', 'any'],
    ['2001:DB8:0:0:0::5/64', '2001:db8::5/64'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1/128', 'fe80::1'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['::1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:2:0:0:3:0:0', '1:0:2::3:0:0'],
    ['10.0.0.256', undefined],
    ['10.0.0.1/33', undefined],
    ['10.0.0.1/255.0.255.0', undefined],
    ['1::2::3', undefined],
    ['example.com', undefined],
  ]
  for (const [input, want] of cases) it(`${input} → ${want ?? 'invalid'}`, () => expect(normalizeAddress(input)?.addr).to.equal(want))
  it('formats IPv6 like inet_ntop (no :: for a single zero group)', () => {
    expect(formatIpv6([1, 0, 2, 3, 4, 5, 6, 7])).to.equal('1:0:2:3:4:5:6:7')
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0])).to.equal('::')
  })
})

describe('modules/ufw: rules', () => {
  it('the rules the ufw command made, given as arguments: nothing to do', () => {
    const s = many()
    const same: Record<string, unknown>[] = [
      { rule: 'allow', from: '10.1.2.3/255.255.0.0', from_port: '84', proto: 'tcp' },
      { rule: 'allow', route: true, interface_in: 'eth0' },
      { rule: 'allow', route: true, interface_out: 'eth1', to: '10.0.0.0/8' },
      { rule: 'allow', interface: 'eth0', port: '85', proto: 'udp' },
      { rule: 'allow', direction: 'out', interface: 'eth0', to: '1.1.1.1', port: '53', proto: 'udp' },
      { rule: 'allow', port: '8000:8010', proto: 'tcp' },
      { rule: 'allow', port: '22,80,443', proto: 'tcp' },
      { rule: 'allow', name: 'OpenSSH' },
      { rule: 'allow', from_port: '1000', port: '2000', proto: 'tcp', comment: 'héllo wörld' },
      { rule: 'allow', src: '2001:DB8:0:0:0::5/64', port: '80', proto: 'tcp' },
      { rule: 'allow', src: '2001:db8:0:0:1:0:0:1', from_port: '81', proto: 'tcp' },
      { rule: 'allow', src: 'fe80::1/128', from_port: '83', proto: 'tcp' },
    ]
    for (const a of same) expect(plan(a, s), JSON.stringify(a)).to.deep.equal([])
  })

  it('a missing rule: the full ufw syntax, quoted; the diff lists the rules before and after', () => {
    const ch = plan({ rule: 'allow', port: '8080', proto: 'tcp', from: '192.168.1.0/24', comment: "it's web" }, active())
    expect(ch.map((c) => c.summary)).to.deep.equal(["add rule: allow in tcp from 192.168.1.0/24 to any port 8080 # it's web"])
    expect(scripts(ch)).to.deep.equal(["ufw allow in proto tcp from 192.168.1.0/24 to any port 8080 comment 'it'\\''s web'"])
    expect(ch[0]!.diff!.before.split('\n')).to.have.length(10)
    expect(ch[0]!.diff!.after).to.include("allow in tcp from 192.168.1.0/24 to any port 8080 # it's web\n")
  })

  it('any/any rules need the IPv6 copy too; with IPV6=no only IPv4', () => {
    const s = active()
    const only4 = { ...s, rules: s.rules.filter((r) => !(r.v6 && r.dport === '22')) }
    expect(scripts(plan({ rule: 'allow', port: '22', proto: 'tcp' }, only4))).to.deep.equal(['ufw allow in proto tcp from any to any port 22'])
    expect(plan({ rule: 'allow', port: '22', proto: 'tcp' }, { ...only4, ipv6: false })).to.deep.equal([])
    expect(plan({ rule: 'allow', port: '22', proto: 'tcp' }, s)).to.deep.equal([])
  })

  it('comments: ignored when not given, updated when different', () => {
    expect(plan({ rule: 'allow', port: '80', proto: 'tcp' }, active())).to.deep.equal([])
    expect(plan({ rule: 'allow', port: '80', proto: 'tcp', comment: 'web' }, active())).to.deep.equal([])
    const ch = plan({ rule: 'allow', port: '80', proto: 'tcp', comment: 'www' }, active())
    expect(ch.map((c) => c.summary)).to.deep.equal(['update comment of rule: allow in tcp from any to any port 80 # www'])
  })

  it('delete: only an existing rule, without its comment', () => {
    expect(scripts(plan({ rule: 'allow', port: '443', proto: 'tcp', delete: true, comment: 'web' }, active()))).to.deep.equal([
      'ufw delete allow in proto tcp from any to any port 443',
    ])
    expect(plan({ rule: 'allow', port: '444', proto: 'tcp', delete: true }, active())).to.deep.equal([])
    expect(scripts(plan({ rule: 'deny', direction: 'out', port: '25', delete: true }, active()))).to.deep.equal(['ufw delete deny out from any to any port 25'])
  })

  it("insert positions (Ansible's insert_relative_to), only when adding", () => {
    const s = active() // 5 IPv4 rules, 4 IPv6 rules
    expect(scripts(plan({ rule: 'deny', from: '5.6.7.8', insert: 1 }, s))).to.deep.equal(['ufw insert 1 deny in from 5.6.7.8 to any'])
    expect(insertPosition({ insert: 0, insert_relative_to: 'first-ipv6' }, s.rules)).to.equal(6)
    expect(insertPosition({ insert: 0, insert_relative_to: 'last-ipv4' }, s.rules)).to.equal(5)
    expect(insertPosition({ insert: -1, insert_relative_to: 'last-ipv6' }, s.rules)).to.equal(8)
    expect(insertPosition({ insert: 0, insert_relative_to: 'last-ipv6' }, s.rules)).to.equal(9)
    expect(insertPosition({ insert: 20, insert_relative_to: 'zero' }, s.rules)).to.equal(undefined)
    expect(plan({ rule: 'allow', port: '22', proto: 'tcp', insert: 1 }, s)).to.deep.equal([])
  })

  it('log, limit, reject, route with both interfaces, apps', () => {
    expect(scripts(plan({ rule: 'limit', port: '22', proto: 'tcp', log: true }, UFW_PRISTINE))).to.deep.equal([
      'ufw limit in log proto tcp from any to any port 22',
    ])
    expect(scripts(plan({ rule: 'allow', route: true, interface_in: 'eth0', interface_out: 'eth1' }, UFW_PRISTINE))).to.deep.equal([
      'ufw route allow in on eth0 out on eth1 from any to any',
    ])
    expect(scripts(plan({ rule: 'allow', app: 'Nginx Full' }, UFW_PRISTINE))).to.deep.equal(["ufw allow in from any to any app 'Nginx Full'"])
    expect(scripts(plan({ rule: 'reject', direction: 'outgoing', to: '2001:db8::/32' }, UFW_PRISTINE))).to.deep.equal([
      'ufw reject out from any to 2001:db8::/32',
    ])
  })
})

describe('modules/ufw: policies, logging, state', () => {
  it('default policy per direction, then nothing', () => {
    expect(plan({ default: 'deny' }, active())).to.deep.equal([])
    const ch = plan({ policy: 'reject', direction: 'outgoing' }, active())
    expect(scripts(ch)).to.deep.equal(['ufw default reject outgoing'])
    expect(ch[0]!.diff).to.deep.equal({ before: 'default outgoing: allow\n', after: 'default outgoing: reject\n' })
    expect(plan({ policy: 'reject', direction: 'outgoing' }, { ...active(), policies: { ...active().policies, outgoing: 'reject' } })).to.deep.equal([])
  })

  it('logging: a level, or on (any level but off)', () => {
    expect(plan({ logging: 'on' }, active())).to.deep.equal([])
    expect(plan({ logging: 'medium' }, active())).to.deep.equal([])
    expect(scripts(plan({ logging: 'off' }, active()))).to.deep.equal(['ufw logging off'])
    expect(plan({ logging: 'on' }, { ...active(), logLevel: 'off' })[0]!.diff).to.deep.equal({ before: 'logging: off\n', after: 'logging: low\n' })
  })

  it('enabled: when off, or on but not loaded; after the rules of the same task', () => {
    expect(plan({ state: 'enabled' }, active())).to.deep.equal([])
    const s = many()
    const ch = plan({ state: 'enabled', rule: 'allow', port: '22', proto: 'tcp', default: 'deny' }, s)
    expect(ch.map((c) => c.summary)).to.deep.equal(['add rule: allow in tcp from any to any port 22', 'enable ufw'])
    expect(scripts(ch)[1]).to.equal('ufw --force enable')
    expect(ch[1]!.diff).to.deep.equal({ before: 'status: inactive\n', after: 'status: active\n' })
    expect(plan({ state: 'enabled' }, { ...active(), loaded: false })[0]!.summary).to.equal('start ufw (enabled, but its rules are not loaded)')
  })

  it('disabled, reloaded, reset: only when there is something to do; reset comes first', () => {
    expect(scripts(plan({ state: 'disabled' }, active()))).to.deep.equal(['ufw disable'])
    expect(plan({ state: 'disabled' }, many())).to.deep.equal([])
    expect(scripts(plan({ state: 'reloaded' }, active()))).to.deep.equal(['ufw reload'])
    expect(plan({ state: 'reloaded' }, many())).to.deep.equal([])
    const ch = plan({ state: 'reset' }, active())
    expect(ch.map((c) => c.summary)).to.deep.equal(['reset ufw (9 rules, disable)'])
    expect(scripts(ch)).to.deep.equal(['ufw --force reset'])
    expect(plan({ state: 'reset' }, UFW_PRISTINE)).to.deep.equal([])
  })

  it('not installed: a real run fails; check mode says what would happen once it is', () => {
    const none = parseUfwState(UFW.ufwNotInstalled!)
    expect(() => plan({ rule: 'allow', port: '22', proto: 'tcp' }, none)).to.throw(ModuleFailure, /not installed/)
    const ch = plan({ rule: 'allow', port: '22', proto: 'tcp', state: 'enabled' }, none, check)
    expect(ch.map((c) => [c.summary, c.uncertain])).to.deep.equal([
      ['add rule: allow in tcp from any to any port 22 — ufw is not installed yet', true],
      ['enable ufw — ufw is not installed yet', true],
    ])
    expect(() => plan({ state: 'enabled' }, { ...active(), readable: false })).to.throw(/needs root/)
  })
})

describe('modules/ufw: arguments', () => {
  const problems = (input: Record<string, unknown>) => {
    const r = checkArgs(ufw.args, input, true)
    return [...r.problems.map((p) => p.message), ...(r.problems.length ? [] : ufw.validate!(r.args as never))]
  }
  it('checks ports, addresses and combinations at load time', () => {
    expect(problems({ rule: 'allow', port: '80,443' })).to.deep.equal(["to_port '80,443' is a range or list: ufw needs proto tcp or udp with it"])
    expect(problems({ rule: 'allow', port: '70000', proto: 'tcp' })).to.deep.equal([
      "to_port must be a port number (1-65535), a range like 8000:8010 or a list like 22,80,443; got '70000'",
    ])
    expect(problems({ rule: 'allow', port: 'http' })).to.have.length(1)
    expect(problems({ rule: 'allow', from: '10.0.0.300' })).to.deep.equal(["from_ip '10.0.0.300' is not an IPv4/IPv6 address or network"])
    expect(problems({ port: '22' })).to.deep.equal(["one of 'state', 'default', 'rule', 'logging' is required"])
    expect(problems({ port: '22', state: 'enabled' })).to.deep.equal(['rule options (port, proto, from/to, name, comment, insert, delete, route) need `rule`'])
    expect(problems({ rule: 'allow', interface_in: 'a', interface_out: 'b' })).to.deep.equal(['interface_in together with interface_out needs route: true'])
    expect(problems({ rule: 'allow', name: 'OpenSSH', proto: 'tcp' })).to.deep.equal(["arguments 'name' and 'proto' are mutually exclusive"])
    expect(problems({ rule: 'allow', direction: 'routed' })).to.deep.equal(['direction=routed is for default policies; a routed rule is `route: true`'])
    expect(problems({ state: 'on' })[0]).to.match(/must be one of "enabled", "disabled", "reloaded", "reset"/)
  })
  it('aliases as in Ansible; a number for a port is fine', () => {
    const a = checkArgs(ufw.args, { rule: 'allow', src: '1.2.3.4', dest: 'any', port: 22, protocol: 'tcp', if: 'eth0', policy: 'deny' }, false).args
    expect(a).to.deep.include({ from_ip: '1.2.3.4', to_ip: 'any', to_port: '22', proto: 'tcp', interface: 'eth0', default: 'deny' })
  })
})
