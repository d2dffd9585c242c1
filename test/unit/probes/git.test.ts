// The git probe's parser on outputs recorded from real checkouts, and version resolution.
import { expect } from 'chai'
import { gitProbe, looksLikeCommit, parseGitState, resolveVersion, type RemoteRefs } from '../../../src/probes/git.js'

const C1 = '17d77dd12cb8de5f8ab046647c123a412284f02e'
const C2 = '9a923af9063c20ab107fba8dd8d8566ced58fddd'
const TAG = '05c92be32f7a263b6486fc880cac43682d4ee933'

// Recorded with gitProbe(...) against a local repository (see the cases' names).
const RECORDED = {
  detachedWithHead: `git=present\ndest=repo\nhead=${C1}\nbranch=\nurl=/tmp/rmapp/gl/src\nls=ref: refs/heads/main\tHEAD\nls=${C2}\tHEAD\nls-ok\n`,
  withTag: `git=present\ndest=repo\nhead=${C1}\nbranch=\nurl=/tmp/rmapp/gl/src\nls=ref: refs/heads/main\tHEAD\nls=${C2}\tHEAD\nls=${TAG}\trefs/tags/v1\nls=${C1}\trefs/tags/v1^{}\nls-ok\n`,
  absent: `git=present\ndest=absent\nls=ref: refs/heads/main\tHEAD\nls=${C2}\tHEAD\nls-ok\n`,
  noRepo:
    "git=present\ndest=absent\nlserr=fatal: '/tmp/rmapp/gl/none' does not appear to be a git repository\nlserr=fatal: Could not read from remote repository.\nlserr=\nlserr=Please make sure you have the correct access rights\nlserr=and the repository exists.\n",
  modifiedWithLocal: `git=present\ndest=repo\nhead=${C1}\nbranch=\nurl=/tmp/rmapp/gl/src\nmod= M a.txt\nlocal=${C1}\nls=ref: refs/heads/main\tHEAD\nls=${C2}\tHEAD\nls-ok\n`,
  missing: 'git=missing\n',
  onBranchNoRemote: `git=present\ndest=repo\nhead=${C2}\nbranch=main\nurl=\nls=ref: refs/heads/main\tHEAD\nls=${C2}\tHEAD\nls-ok\n`,
  statusFails: `git=present\ndest=repo\nhead=\nbranch=\nurl=\nstaterr=fatal: detected dubious ownership in repository at '/srv/app'\nls-ok\n`,
}

describe('probes/git: parseGitState', () => {
  it('a detached checkout and the remote HEAD (symref)', () => {
    const s = parseGitState({ stdout: RECORDED.detachedWithHead, code: 0 })
    expect(s).to.deep.equal({
      git: true,
      dest: 'repo',
      head: C1,
      branch: '',
      url: '/tmp/rmapp/gl/src',
      modified: [],
      remote: { refs: { HEAD: C2 }, headBranch: 'main' },
    })
  })
  it('annotated tags: the tag object and its peeled commit', () => {
    const s = parseGitState({ stdout: RECORDED.withTag, code: 0 })
    expect(s.remote).to.deep.equal({ refs: { HEAD: C2, 'refs/tags/v1': TAG, 'refs/tags/v1^{}': C1 }, headBranch: 'main' })
  })
  it('no checkout yet', () => {
    const s = parseGitState({ stdout: RECORDED.absent, code: 0 })
    expect(s.dest).to.equal('absent')
    expect(s.head).to.equal(undefined)
  })
  it("a remote that cannot be read keeps git's message", () => {
    const s = parseGitState({ stdout: RECORDED.noRepo, code: 0 })
    expect(s.remote)
      .to.have.property('error')
      .that.matches(/does not appear to be a git repository[\s\S]*repository exists/)
  })
  it('modified tracked files and the version found locally', () => {
    const s = parseGitState({ stdout: RECORDED.modifiedWithLocal, code: 0 })
    expect(s.modified).to.deep.equal([' M a.txt'])
    expect(s.localCommit).to.equal(C1)
  })
  it('git missing', () => {
    expect(parseGitState({ stdout: RECORDED.missing, code: 0 })).to.deep.equal({ git: false, dest: 'absent', modified: [] })
  })
  it('a status that fails is an error, not a modification', () => {
    const s = parseGitState({ stdout: RECORDED.statusFails, code: 0 })
    expect(s.modified).to.deep.equal([])
    expect(s.statusError).to.match(/dubious ownership/)
  })
  it('garbage is rejected', () => {
    expect(() => parseGitState({ stdout: 'sh: 1: syntax error\n', code: 2 })).to.throw(/unexpected output/)
  })
})

describe('probes/git: resolveVersion', () => {
  const refs: RemoteRefs = {
    refs: { HEAD: C2, 'refs/heads/main': C2, 'refs/heads/dev': C1, 'refs/tags/v1': TAG, 'refs/tags/v1^{}': C1, 'refs/tags/light': C2 },
    headBranch: 'main',
  }
  const cases: [string, RemoteRefs, string | undefined, unknown][] = [
    ['HEAD', refs, undefined, { kind: 'branch', branch: 'main', commit: C2 }],
    ['HEAD', { refs: { HEAD: C1 } }, undefined, { kind: 'detached-head', commit: C1 }],
    ['dev', refs, undefined, { kind: 'branch', branch: 'dev', commit: C1 }],
    ['v1', refs, undefined, { kind: 'tag', tag: 'v1', commit: C1 }],
    ['light', refs, undefined, { kind: 'tag', tag: 'light', commit: C2 }],
    [C1, refs, undefined, { kind: 'commit', commit: C1 }],
    ['17d77dd', refs, C1, { kind: 'commit', commit: C1 }],
    ['17d77dd', refs, undefined, { kind: 'commit', commit: undefined }],
    ['nosuch', refs, undefined, undefined],
    ['HEAD', { refs: {} }, undefined, undefined],
  ]
  for (const [v, r, local, want] of cases) {
    it(`${v}${local ? ' (known locally)' : ''} → ${want ? JSON.stringify(want) : 'nothing'}`, () => {
      expect(resolveVersion(v, r, local)).to.deep.equal(want)
    })
  }
  it('commit ids look like hex', () => {
    expect(looksLikeCommit('abc1234')).to.equal(true)
    expect(looksLikeCommit('main')).to.equal(false)
    expect(looksLikeCommit('v1.0')).to.equal(false)
  })
})

describe('probes/git: script', () => {
  it('quotes every value and asks for branch, tag and peeled tag', () => {
    const p = gitProbe({
      repo: "https://h/x'y.git",
      dest: '/srv/my app',
      version: 'rel-1',
      remote: 'origin',
      executable: 'git',
      askWhenRepo: true,
      askWhenMissing: true,
      env: {},
    })
    expect(p.script.text).to.include("repo='https://h/x'\\''y.git'")
    expect(p.script.text).to.include("dest='/srv/my app'")
    expect(p.script.text).to.include('ls-remote --symref -- "$repo" HEAD refs/heads/rel-1 refs/tags/rel-1 \'refs/tags/rel-1^{}\'')
  })
  it('an update: false checkout does not ask the remote', () => {
    const p = gitProbe({ repo: 'r', dest: '/d', version: 'HEAD', remote: 'origin', executable: 'git', askWhenRepo: false, askWhenMissing: true, env: {} })
    expect(p.script.text).to.match(/echo dest=repo[\s\S]*ask=no\nelif/)
  })
  it('the id captures every option', () => {
    const base = { repo: 'r', dest: '/d', version: 'HEAD', remote: 'origin', executable: 'git', askWhenRepo: true, askWhenMissing: true, env: {} }
    expect(gitProbe(base).id).to.not.equal(gitProbe({ ...base, version: 'v1' }).id)
    expect(gitProbe(base).id).to.not.equal(gitProbe({ ...base, env: { GIT_SSH_COMMAND: 'ssh -o X' } }).id)
  })
})
