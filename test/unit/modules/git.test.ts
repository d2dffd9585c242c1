// git's plan: (arguments, recorded state) → changes, then the state after the change → no change.
// Also argument errors at load time.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { git, type GitArgs } from '../../../src/modules/git.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import type { GitState } from '../../../src/probes/git.js'
import { code } from '../../../src/shell/index.js'

const C1 = '17d77dd12cb8de5f8ab046647c123a412284f02e'
const C2 = '9a923af9063c20ab107fba8dd8d8566ced58fddd'
const C3 = '05c92be32f7a263b6486fc880cac43682d4ee933'
const REPO = 'git://10.0.0.1/app.git'
const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

function args(input: Record<string, unknown>): GitArgs {
  const { args, problems } = checkArgs(git.args, { repo: REPO, dest: '/srv/app', ...input }, false)
  expect(problems).to.deep.equal([])
  return args as GitArgs
}

function planOf(a: GitArgs, st: GitState, c: ProbeContext = ctx): Change[] {
  const probes = git.probes(a, c)
  expect(Object.keys(probes)).to.have.length(1)
  return settleNeeds(git.plan(a, { git: st }, c), c.check)
}

const script = (ch: Change) => (ch.steps[0] as ExecStep).script.text
const remote = { refs: { HEAD: C2, 'refs/heads/main': C2, 'refs/heads/dev': C1, 'refs/tags/v1': C3, 'refs/tags/v1^{}': C1 }, headBranch: 'main' }
const checkout = (over: Partial<GitState> = {}): GitState => ({ git: true, dest: 'repo', head: C2, branch: 'main', url: REPO, modified: [], remote, ...over })

describe('modules/git: plan', () => {
  it('clones when dest is missing, at the default branch, and reports the commit', () => {
    const ch = planOf(args({}), { git: true, dest: 'absent', modified: [], remote })
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal(`clone ${REPO} (HEAD) into /srv/app: commit 9a923af`)
    expect(script(ch[0]!)).to.include(`"$g" clone -q --recurse-submodules --origin origin -- "$repo" "$dest"`)
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/app', before: 'commit (none)\n', after: `commit ${C2}\n` })
    // After the clone: on main at C2 → nothing to do.
    expect(planOf(args({}), checkout())).to.deep.equal([])
  })

  it('clones a tag with --branch and a depth', () => {
    const ch = planOf(args({ version: 'v1', depth: 1 }), { git: true, dest: 'empty', modified: [], remote })
    expect(script(ch[0]!)).to.include(`clone -q --depth 1 --recurse-submodules --origin origin --branch v1 -- "$repo"`)
    expect(ch[0]!.diff!.after).to.equal(`commit ${C1}\n`)
    expect(planOf(args({ version: 'v1', depth: 1 }), checkout({ head: C1, branch: '' }))).to.deep.equal([])
  })

  it('a new commit upstream: fetch the branch and reset the local branch to it', () => {
    const ch = planOf(args({ version: 'main' }), checkout({ head: C1 }))
    expect(ch[0]!.summary).to.equal('update /srv/app: commit 17d77dd → 9a923af')
    const s = script(ch[0]!)
    expect(s).to.include(`"$g" -C "$dest" fetch -q -- "$r" +refs/heads/main:refs/remotes/origin/main`)
    expect(s).to.include(`"$g" -C "$dest" checkout -q -B main refs/remotes/origin/main`)
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/app', before: `commit ${C1}\nbranch main\n`, after: `commit ${C2}\nbranch main\n` })
  })

  it('a tag leaves HEAD detached at the peeled commit', () => {
    const ch = planOf(args({ version: 'v1' }), checkout())
    expect(script(ch[0]!)).to.include(`checkout -q --detach 'refs/tags/v1^{commit}'`)
    expect(planOf(args({ version: 'v1' }), checkout({ head: C1, branch: '' }))).to.deep.equal([])
  })

  it('a commit id: ok when HEAD starts with it; otherwise fetch unless it is there, then detach', () => {
    expect(planOf(args({ version: '17d77dd' }), checkout({ head: C1, branch: '', localCommit: C1 }))).to.deep.equal([])
    const ch = planOf(args({ version: C1 }), checkout())
    const s = script(ch[0]!)
    expect(s).to.include(
      `if ! "$g" -C "$dest" cat-file -e '${C1}^{commit}' 2>/dev/null; then "$g" -C "$dest" fetch -q --tags -- "$r" || "$g" -C "$dest" fetch -q -- "$r" ${C1}; fi`,
    )
    expect(s).to.include(`checkout -q --detach ${C1}`)
  })

  it('same commit but another branch: switch', () => {
    const ch = planOf(args({ version: 'dev' }), checkout({ head: C1, branch: 'main' }))
    expect(ch[0]!.summary).to.equal('update /srv/app: switch to branch dev')
    expect(planOf(args({ version: 'dev' }), checkout({ head: C1, branch: 'dev' }))).to.deep.equal([])
  })

  it('local modifications without force fail, as in Ansible, even when nothing else would change', () => {
    expect(() => planOf(args({}), checkout({ modified: [' M app.py'] }))).to.throw(
      ModuleFailure,
      'Local modifications exist in the destination: /srv/app (force=no).',
    )
  })

  it('with force they are discarded (reset --hard), and that is a change', () => {
    const ch = planOf(args({ force: true }), checkout({ modified: [' M app.py', 'D  old.py'] }))
    expect(ch[0]!.summary).to.equal('update /srv/app: discard changes to 2 files')
    expect(script(ch[0]!)).to.include('"$g" -C "$dest" reset -q --hard')
    expect(ch[0]!.diff!.before).to.equal(`commit ${C2}\nbranch main\nmodified: app.py\nmodified: old.py\n`)
    expect(planOf(args({ force: true }), checkout())).to.deep.equal([])
  })

  it('force with a new commit checks out with -f', () => {
    const ch = planOf(args({ force: true }), checkout({ head: C1, modified: [' M a'] }))
    expect(script(ch[0]!)).to.include('checkout -q -f -B main')
  })

  it('a different remote URL is set', () => {
    const ch = planOf(args({}), checkout({ url: 'git://old/app.git' }))
    expect(ch[0]!.summary).to.equal(`update /srv/app: remote origin git://old/app.git → ${REPO}`)
    expect(script(ch[0]!)).to.include('remote set-url -- "$r" "$repo"')
    expect(script(ch[0]!)).to.include(`repo=${REPO}`)
  })

  it('update: false leaves a checkout as it is; clone: false leaves a missing one missing, changed with the remote commit (as Ansible)', () => {
    expect(planOf(args({ update: false }), checkout({ head: C1 }))).to.deep.equal([])
    const missing: GitState = { git: true, dest: 'absent', modified: [], remote }
    const ch = planOf(args({ clone: false }), missing)
    expect(ch).to.have.length(1)
    expect(ch[0]!.steps).to.deep.equal([])
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/app', before: 'commit (none)\n', after: `commit ${C2}\n` })
    expect(git.result!(args({ clone: false }), { git: missing }, [], ctx)).to.deep.equal({ before: null, after: C2 })
    expect(planOf(args({ clone: false, version: 'v1' }), { ...missing, dest: 'nonempty' })[0]!.diff!.after).to.equal(`commit ${C1}\n`)
  })

  it('failures: unreadable remote, unknown version, non-empty dest, a file, git missing', () => {
    expect(() => planOf(args({}), { git: true, dest: 'absent', modified: [], remote: { error: 'fatal: unable to connect' } })).to.throw(
      ModuleFailure,
      `cannot read ${REPO}: fatal: unable to connect`,
    )
    expect(() => planOf(args({ version: 'nope' }), checkout())).to.throw(ModuleFailure, "version 'nope' is neither a branch nor a tag")
    expect(() => planOf(args({}), { git: true, dest: 'nonempty', modified: [], remote })).to.throw(
      ModuleFailure,
      'already exists and is not an empty directory',
    )
    expect(() => planOf(args({}), { git: true, dest: 'file', modified: [] })).to.throw(ModuleFailure, 'is not a directory')
    expect(() => planOf(args({}), { git: false, dest: 'absent', modified: [] })).to.throw(ModuleFailure, 'git is not installed')
  })

  it('in check mode a missing git (an earlier task installs it) is an uncertain change, not a failure', () => {
    const ch = planOf(args({}), { git: false, dest: 'absent', modified: [] }, { ...ctx, check: true })
    expect(ch[0]!.uncertain).to.equal(true)
    expect(ch[0]!.summary).to.match(/git is not installed yet/)
  })

  it('values reach the shell quoted', () => {
    const ch = planOf(args({ dest: "/srv/it's here", version: 'feat/x y' }), {
      git: true,
      dest: 'absent',
      modified: [],
      remote: { refs: { HEAD: C2, 'refs/heads/feat/x y': C1 } },
    })
    expect(script(ch[0]!)).to.include(`dest='/srv/it'\\''s here'`)
    expect(script(ch[0]!)).to.include(`--branch 'feat/x y'`)
  })

  it('accept_hostkey and key_file go into GIT_SSH_COMMAND of the probe and the step', () => {
    const a = args({ accept_hostkey: true, key_file: '/root/.ssh/deploy key' })
    const ch = planOf(a, { git: true, dest: 'absent', modified: [], remote })
    const env = (ch[0]!.steps[0] as ExecStep).env
    expect(env).to.deep.equal({ GIT_SSH_COMMAND: "ssh -o StrictHostKeyChecking=accept-new -i '/root/.ssh/deploy key' -o IdentitiesOnly=yes" })
    expect(git.probes(a, ctx).git.script.text).to.include('GIT_SSH_COMMAND=')
  })
})

describe('modules/git: result', () => {
  it('before and after from the state and the step output', () => {
    const a = args({})
    const r = git.result!(a, { git: checkout({ head: C1 }) }, [{ step: { kind: 'exec', script: code('') }, code: 0, stdout: `after=${C2}\n`, stderr: '' }], ctx)
    expect(r).to.deep.equal({ before: C1, after: C2, remote_url_changed: false })
    expect(git.result!(a, { git: checkout() }, [], ctx)).to.deep.equal({ before: C2, after: C2, remote_url_changed: false })
  })
})

describe('modules/git: arguments', () => {
  const problems = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(git.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : git.validate!(args as GitArgs))]
  }
  it('repo and dest are required', () => {
    expect(problems({ dest: '/x' })).to.deep.equal(["missing required argument 'repo'"])
    expect(problems({ repo: 'r' })).to.deep.equal(["missing required argument 'dest'"])
  })
  it('bare, depth 0 and bad remote names are refused', () => {
    expect(problems({ repo: 'r', dest: '/d', bare: true })).to.deep.equal(['bare repositories are not supported (bare must be false)'])
    expect(problems({ repo: 'r', dest: '/d', depth: 0 })).to.deep.equal(['depth must be at least 1, got 0'])
    expect(problems({ repo: 'r', dest: '/d', remote: '-x' })).to.deep.equal(["remote '-x' is not a valid remote name"])
  })
  it('name is an alias of repo', () => {
    expect(problems({ name: 'r', dest: '/d' })).to.deep.equal([])
  })
})
