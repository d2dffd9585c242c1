// Trust 20 at plan level: the lock-out guard of the ufw module, on recorded states with the SSH
// endpoint the probe reads from SSH_CONNECTION.
import { settleNeeds } from '../../src/engine/needs.js'
import { expect } from 'chai'
import { checkArgs } from '../../src/modules/schema.js'
import { ModuleFailure, type Change } from '../../src/modules/types.js'
import { addressCovers, planUfw, portCovers, sshAllowed, ufw, type UfwArgs } from '../../src/modules/ufw.js'
import { parseSshConnection, parseUfwState, parseTuple, UFW_PRISTINE, type UfwRule, type UfwState } from '../../src/probes/ufw.js'

const real = { host: 'h', facts: {}, check: false, diff: false }
const check = { ...real, check: true }
const ssh = { client: '10.231.5.1', server: '10.231.5.11', port: 22 }

function plan(input: Record<string, unknown>, s: UfwState, ctx = real): Change[] {
  const { args, problems } = checkArgs(ufw.args, input, false)
  expect(problems).to.deep.equal([])
  return settleNeeds(planUfw(args as UfwArgs, { ufw: s }), ctx.check)
}
const rule = (tuple: string, v6 = false): UfwRule => parseTuple(`### tuple ### ${tuple}`, v6)!
const inactive = (rules: UfwRule[] = []): UfwState => ({ ...UFW_PRISTINE, rules, ssh })
const on = (rules: UfwRule[] = []): UfwState => ({ ...inactive(rules), enabled: true, loaded: true })
const refusal = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    expect(e).to.be.instanceOf(ModuleFailure)
    return (e as Error).message
  }
  throw new Error('not refused')
}

describe('trust 20: ufw lock-out guard (plan)', () => {
  it('trust 20: the probe reads SSH_CONNECTION (IPv4-mapped addresses as IPv4)', () => {
    expect(parseSshConnection('::ffff:10.0.0.1 51000 ::ffff:10.0.0.2 2222\n')).to.deep.equal({ client: '10.0.0.1', server: '10.0.0.2', port: 2222 })
    expect(parseSshConnection('')).to.equal(undefined)
    const s = parseUfwState({ code: 0, stdout: 'installed=no\n@@ssh\n10.0.0.1 5 10.0.0.2 22\n' })
    expect(s).to.include({ installed: false })
    expect(s.ssh).to.deep.equal({ client: '10.0.0.1', server: '10.0.0.2', port: 22 })
  })

  it('trust 20: enabling deny-incoming without an SSH rule is refused in a real run; --check marks it uncertain and says why', () => {
    expect(refusal(() => plan({ state: 'enabled' }, inactive()))).to.match(
      /^refusing to enable ufw: no rule allows the port of this SSH connection \(22\/tcp from 10\.231\.5\.1\) and the incoming policy is deny/,
    )
    const [c] = plan({ state: 'enabled' }, inactive(), check)
    expect(c).to.include({ uncertain: true })
    expect(c!.summary).to.match(/^enable ufw — a real run refuses this unless an earlier task allows 22\/tcp/)
  })

  it('trust 20: allowed by a rule on the host, or by one the same task adds; allow_lockout opts out; no SSH session, no guard', () => {
    expect(plan({ state: 'enabled' }, inactive([rule('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in')])).map((c) => c.summary)).to.deep.equal(['enable ufw'])
    expect(plan({ state: 'enabled', rule: 'allow', port: '22', proto: 'tcp' }, inactive()).map((c) => c.summary)).to.deep.equal([
      'add rule: allow in tcp from any to any port 22',
      'enable ufw',
    ])
    expect(plan({ state: 'enabled', allow_lockout: true }, inactive())).to.have.length(1)
    expect(plan({ state: 'enabled' }, { ...inactive(), ssh: undefined })).to.have.length(1)
    // An incoming policy of allow cannot lock anyone out.
    expect(plan({ state: 'enabled', default: 'allow' }, inactive())).to.have.length(2)
  })

  it('trust 20: on an active firewall, tightening the policy or deleting the SSH rule is refused too; other changes are not', () => {
    const open = { ...on(), policies: { ...UFW_PRISTINE.policies, incoming: 'allow' as const } }
    expect(refusal(() => plan({ default: 'deny' }, open))).to.match(/^refusing to default deny incoming:/)
    const ssh22 = rule('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in')
    expect(refusal(() => plan({ rule: 'allow', port: '22', proto: 'tcp', delete: true }, on([ssh22])))).to.match(/^refusing to delete rule/)
    expect(plan({ rule: 'allow', port: '80', proto: 'tcp' }, on())).to.have.length(1) // adding a rule cannot lock out
    expect(plan({ state: 'disabled' }, on())).to.have.length(1)
  })

  it('trust 20: the first matching rule decides; ports, ranges, lists, networks, families and directions', () => {
    expect(sshAllowed([rule('deny tcp 22 0.0.0.0/0 any 0.0.0.0/0 in'), rule('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in')], ssh)).to.equal(false)
    expect(sshAllowed([rule('allow tcp 22 0.0.0.0/0 any 10.231.0.0/16 in')], ssh)).to.equal(true)
    expect(sshAllowed([rule('allow tcp 22 0.0.0.0/0 any 192.168.0.0/16 in')], ssh)).to.equal(false)
    expect(sshAllowed([rule('limit tcp 20:30 0.0.0.0/0 any 0.0.0.0/0 in_eth0')], ssh)).to.equal(true)
    expect(sshAllowed([rule('allow udp 22 0.0.0.0/0 any 0.0.0.0/0 in')], ssh)).to.equal(false)
    expect(sshAllowed([rule('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 out')], ssh)).to.equal(false)
    expect(sshAllowed([rule('allow tcp 22 ::/0 any ::/0 in', true)], ssh)).to.equal(false)
    expect(sshAllowed([rule('allow tcp 22 ::/0 any ::/0 in', true)], { client: 'fd00::1', server: 'fd00::2', port: 22 })).to.equal(true)
    expect(sshAllowed([rule('allow tcp 22,2222 0.0.0.0/0 any 0.0.0.0/0 in')], { ...ssh, port: 2222 })).to.equal(true)
    expect(portCovers('any', 22)).to.equal(true)
    expect(addressCovers('10.231.5.1', '10.231.5.1')).to.equal(true)
    expect(addressCovers('10.231.5.0/24', '10.231.6.1')).to.equal(false)
  })
})
