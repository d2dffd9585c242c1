// user's plan on state recorded on a lab host: useradd / usermod / userdel, then the state after → [].
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { user, type UserArgs } from '../../../src/modules/user.js'
import { parseUserState, type UserState } from '../../../src/probes/accounts.js'
import { ACCOUNTS, HASH } from '../probes/system-recorded.js'

const real: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...real, check: true }

function args(input: Record<string, unknown>): UserArgs {
  const { args, problems } = checkArgs(user.args, input, false)
  expect(problems).to.deep.equal([])
  return args as UserArgs
}

function run(input: Record<string, unknown>, st: UserState, ctx = real): Change[] {
  const a = args(input)
  const probes = user.probes(a, ctx)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(user.plan(a, { user: st }, ctx), ctx.check)
}

const steps = (c: Change) => c.steps.map((s) => (s as ExecStep).script.text)
const existing = (): UserState => parseUserState(ACCOUNTS.user.stdout, ACCOUNTS.userGroupQueries)
const groups = existing().groups
const nobody = (): UserState => ({ memberOf: [], groups: { ...groups, 'rmp-user': null }, homeExists: false })
const RECORDED = {
  name: 'rmp-user',
  uid: 2345,
  group: 'rmp-app',
  groups: ['rmp-extra'],
  shell: '/bin/bash',
  home: '/home/rmp-user',
  comment: 'RMP test',
  password: HASH,
}

describe('modules/user: plan', () => {
  it('creates the recorded account with useradd (groups by gid, password through chpasswd -e on stdin)', () => {
    const ch = run(RECORDED, nobody())
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('create user rmp-user (uid 2345)')
    expect(steps(ch[0]!)).to.deep.equal([
      "useradd -u 2345 -g 2345 -G rmp-extra -s /bin/bash -d /home/rmp-user -c 'RMP test' -m -- rmp-user && getent passwd -- rmp-user",
      'chpasswd -e',
    ])
    const pw = ch[0]!.steps[1] as ExecStep
    expect(pw.stdin).to.equal(`rmp-user:${HASH}\n`)
    expect(pw.secret).to.equal(true)
    expect(ch[0]!.diff!.after).to.equal(
      'user rmp-user: present\n  uid: 2345\n  group: rmp-app\n  groups: rmp-extra\n  shell: /bin/bash\n  home: /home/rmp-user\n  comment: RMP test\n  password: (set)\n',
    )
    expect(ch[0]!.diff!.after).to.not.include('$6$')
    // The recorded state is what that useradd made.
    expect(run(RECORDED, existing())).to.deep.equal([])
  })
  it("an existing account's missing home is made (create_home defaults to true, as Ansible); not with create_home: false", () => {
    const st = { ...existing(), homeExists: false }
    const ch = run({ name: 'rmp-user' }, st)
    expect(ch[0]!.summary).to.equal('update user rmp-user: create home')
    const s = steps(ch[0]!)[0]!
    expect(s).to.include('h=/home/rmp-user; n=rmp-user; k=/etc/skel\nif [ ! -e "$h" ]; then')
    expect(s).to.include('cp -a -- "$k" "$h"').and.include('chown -R -h -- "$(id -u -- "$n"):$(id -g -- "$n")" "$h"')
    expect(ch[0]!.diff).to.deep.equal({
      before: 'user rmp-user: present\n  home: /home/rmp-user (missing)\n',
      after: 'user rmp-user: present\n  home: /home/rmp-user (created)\n',
    })
    expect(run({ name: 'rmp-user', create_home: false }, st)).to.deep.equal([])
    // a new home path: usermod -d, then the home is made there from the skeleton given
    const moved = run({ name: 'rmp-user', home: '/srv/h', skeleton: '/etc/skel2' }, st)
    expect(steps(moved[0]!)[0]).to.equal('usermod -d /srv/h -- rmp-user')
    expect(steps(moved[0]!)[1]).to.include('h=/srv/h; n=rmp-user; k=/etc/skel2')
    // the probe looks at the home the task names
    expect(user.probes(args({ name: 'rmp-user', home: '/srv/h' }), real).user.script.text).to.include('h=/srv/h\n')
  })
  it('a system account without a home', () => {
    const ch = run({ name: 'svc', system: true, create_home: false, shell: '/usr/sbin/nologin' }, nobody())
    expect(steps(ch[0]!)[0]).to.equal('useradd -s /usr/sbin/nologin -r -M -- svc && getent passwd -- svc')
  })
  it('joins an existing group of its own name instead of failing', () => {
    const st: UserState = { memberOf: [], groups: { svc: { name: 'svc', gid: 998, members: [] } }, homeExists: false }
    expect(steps(run({ name: 'svc' }, st)[0]!)[0]).to.equal('useradd -g 998 -m -- svc && getent passwd -- svc')
  })
  it('changes only what differs, in one usermod', () => {
    const ch = run({ ...RECORDED, uid: 2400, shell: '/bin/sh', comment: 'Other', groups: ['rmp-app'] }, existing())
    expect(ch[0]!.summary).to.equal('update user rmp-user: uid, groups, shell, comment')
    expect(steps(ch[0]!)).to.deep.equal(['usermod -u 2400 -G rmp-app -s /bin/sh -c Other -- rmp-user'])
    expect(ch[0]!.diff).to.deep.equal({
      before: 'user rmp-user: present\n  uid: 2345\n  groups: rmp-extra\n  shell: /bin/bash\n  comment: RMP test\n',
      after: 'user rmp-user: present\n  uid: 2400\n  groups: rmp-app\n  shell: /bin/sh\n  comment: Other\n',
    })
  })
  it('append adds missing groups only; groups: [] without append leaves none', () => {
    expect(run({ name: 'rmp-user', groups: ['rmp-extra'], append: true }, existing())).to.deep.equal([])
    expect(steps(run({ name: 'rmp-user', groups: ['rmp-app'], append: true }, existing())[0]!)).to.deep.equal(['usermod -a -G rmp-app -- rmp-user'])
    expect(steps(run({ name: 'rmp-user', groups: [] }, existing())[0]!)).to.deep.equal(["usermod -G '' -- rmp-user"])
  })
  it('home moves only with move_home', () => {
    expect(steps(run({ name: 'rmp-user', home: '/srv/u', move_home: true }, existing())[0]!)).to.deep.equal(['usermod -d /srv/u -m -- rmp-user'])
    expect(run({ name: 'rmp-user', home: '/home/rmp-user/' }, existing())).to.deep.equal([])
  })
  it('password: changed when the hash differs (masked in the diff); on_create leaves it; lock and unlock', () => {
    const ch = run({ name: 'rmp-user', password: '$6$other$hash' }, existing())
    expect(steps(ch[0]!)).to.deep.equal(['chpasswd -e'])
    expect(ch[0]!.diff).to.deep.equal({ before: 'user rmp-user: present\n  password: (set)\n', after: 'user rmp-user: present\n  password: (changed)\n' })
    expect(run({ name: 'rmp-user', password: '$6$other$hash', update_password: 'on_create' }, existing())).to.deep.equal([])
    expect(steps(run({ name: 'rmp-user', password_lock: true }, existing())[0]!)).to.deep.equal(['usermod -L -- rmp-user'])
    const locked = { ...existing(), hash: `!${HASH}` }
    expect(run({ name: 'rmp-user', password_lock: true, password: HASH }, locked)).to.deep.equal([])
    expect(steps(run({ name: 'rmp-user', password_lock: false }, locked)[0]!)).to.deep.equal(['usermod -U -- rmp-user'])
  })
  it('a group that does not exist: an error, or in check mode an uncertain change', () => {
    const st = parseUserState(ACCOUNTS.user.stdout, ACCOUNTS.userGroupQueries)
    expect(() => run({ name: 'rmp-user', group: 'nosuchgroup' }, st)).to.throw(ModuleFailure, 'user rmp-user: group nosuchgroup does not exist')
    expect(run({ name: 'rmp-user', group: 'nosuchgroup' }, st, check)).to.deep.equal([
      { summary: 'update user rmp-user (group nosuchgroup does not exist yet)', uncertain: true, steps: [] },
    ])
  })
  it('absent: userdel (-r with remove), then nothing', () => {
    const ch = run({ name: 'rmp-user', state: 'absent', remove: true, force: true }, existing())
    expect(steps(ch[0]!)).to.deep.equal(['userdel -r -f -- rmp-user'])
    expect(ch[0]!.diff!.after).to.equal('user rmp-user: (absent)\n')
    expect(run({ name: 'rmp-user', state: 'absent' }, nobody())).to.deep.equal([])
  })
  it('result: the new account read back after useradd; the password never', () => {
    const a = args(RECORDED)
    const st = nobody()
    const ch = settleNeeds(user.plan(a, { user: st }, real), real.check)
    const outputs = [{ step: ch[0]!.steps[0]!, code: 0, stdout: 'rmp-user:x:2345:2345:RMP test:/home/rmp-user:/bin/bash\n', stderr: '' }]
    expect(user.result!(a, { user: st }, outputs, real)).to.deep.include({
      name: 'rmp-user',
      uid: 2345,
      group: 2345,
      groups: 'rmp-extra',
      home: '/home/rmp-user',
      password: 'NOT_LOGGING_PASSWORD',
    })
  })
})

describe('modules/user: arguments', () => {
  it('rejects clear-text passwords, bad names, colons', () => {
    expect(user.validate!({ name: 'a', password: 'hunter2' } as never)).to.deep.equal([
      'password must be an already-hashed password (like $6$salt$hash, e.g. from the password_hash filter), not clear text',
    ])
    expect(user.validate!({ name: 'a b' } as never)).to.deep.equal(["'a b' is not a valid user name"])
    expect(user.validate!({ name: 'a', comment: 'x:y' } as never)).to.deep.equal(["comment cannot contain ':' or a newline"])
    expect(user.validate!({ name: 'a', password: '!' } as never)).to.deep.equal([])
  })
  it('the password is a secret option', () => {
    expect(user.args.options.password!.noLog).to.equal(true)
  })
})
