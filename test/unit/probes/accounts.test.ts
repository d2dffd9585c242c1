// The user and group probes' parsers on outputs recorded on a lab host.
import { expect } from 'chai'
import { groupProbe, parseGroupLine, parsePasswdLine, parseUserState, userProbe } from '../../../src/probes/accounts.js'
import { ACCOUNTS, HASH } from './system-recorded.js'

describe('probes/accounts', () => {
  it('an existing user: passwd entry, hash, memberships, the groups asked about, primary group, home', () => {
    const s = parseUserState(ACCOUNTS.user.stdout, ACCOUNTS.userGroupQueries)
    expect(s).to.deep.equal({
      user: { name: 'rmp-user', uid: 2345, gid: 2345, comment: 'RMP test', home: '/home/rmp-user', shell: '/bin/bash' },
      hash: HASH,
      memberOf: ['rmp-extra'],
      groups: {
        'rmp-app': { name: 'rmp-app', gid: 2345, members: [] },
        'rmp-extra': { name: 'rmp-extra', gid: 999, members: ['rmp-user'] },
        nosuchgroup: null,
        'rmp-user': null,
      },
      primary: { name: 'rmp-app', gid: 2345, members: [] },
      homeExists: true,
    })
  })
  it('a user that does not exist', () => {
    const s = parseUserState(ACCOUNTS.noUser.stdout, ACCOUNTS.noUserGroupQueries)
    expect(s.user).to.equal(undefined)
    expect(s.hash).to.equal(undefined)
    expect(s.groups).to.deep.equal({ users: { name: 'users', gid: 100, members: [] }, nosuchuser: null })
    expect(s.homeExists).to.equal(false)
  })
  it('a group, and no group', () => {
    const p = groupProbe('rmp-app')
    expect(p.parse(ACCOUNTS.group)).to.deep.equal({ name: 'rmp-app', gid: 2345, members: [] })
    expect(p.parse(ACCOUNTS.noGroup)).to.equal(null)
    expect(() => p.parse({ stdout: 'garbage\n', code: 0 })).to.throw(/unexpected getent output/)
  })
  it('line parsers keep a shell with colons whole and reject short lines', () => {
    expect(parsePasswdLine('a:x:1:2:c:/h:/bin/sh')?.shell).to.equal('/bin/sh')
    expect(parsePasswdLine('a:x:1')).to.equal(undefined)
    expect(parseGroupLine('g:x:10:a,b')).to.deep.equal({ name: 'g', gid: 10, members: ['a', 'b'] })
  })
  it('reads the shadow hash only when asked, and quotes names', () => {
    expect(userProbe('a', [], false).script.text).to.not.include('shadow')
    expect(userProbe('a', [], true).script.text).to.include('getent shadow -- "$n"')
    expect(userProbe('a', ["o'k"], false).script.text).to.include(`getent group -- 'o'\\''k'`)
  })
})
