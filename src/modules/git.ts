/**
 * git — deploy a checkout of a git repository: clone it into `dest`, or bring an existing checkout
 * to `version`. Needs the `git` program on the host (install the git package first).
 *
 * `repo` is the URL (https://, ssh://, git://, file:// or a path on the host), `dest` the
 * directory of the checkout. `version` is a branch, a tag or a commit id; by default the branch
 * the remote's HEAD points to. The remote is asked with `git ls-remote` which commit that is, so
 * the task is ok when the checkout is already there — nothing is fetched then, and check mode
 * fetches nothing at all. A branch is checked out as a local branch reset to the remote's; a tag
 * or commit leaves HEAD detached.
 *
 * Modified tracked files in `dest` make the task fail (untracked files do not count) unless
 * `force: true`, which discards them. `depth` makes shallow clones and fetches; `clone: false`
 * leaves a missing checkout missing, `update: false` leaves an existing one as it is. `remote`
 * names the remote (origin); its URL is set to `repo` when it differs. `accept_hostkey` accepts
 * an ssh host key on first contact; `key_file` and `ssh_opts` are passed to ssh. `recursive`
 * (default true) clones and updates submodules too (their state is not compared). Bare
 * repositories are not supported.
 *
 * Returns `before` (the commit before, null when there was no checkout), `after` (the commit
 * now) and `remote_url_changed`. The diff is "commit <before> → commit <after>".
 *
 *   - git:
 *       repo: https://git.example.org/runmaster/backend.git
 *       dest: /srv/runmaster/app
 *       version: "{{ app_version | default('main') }}"
 *     register: checkout
 *     notify: restart app
 *
 *   - git: { repo: "{{ lab_git_url }}runmaster-backend.git", dest: /srv/app, depth: 1, force: true }
 */
import { quote } from '../connection/shell.js'
import { gitProbe, gitProbeId, looksLikeCommit, resolveVersion, type GitProbeOptions, type GitState, type Wanted } from '../probes/git.js'
import type { Schema } from './schema.js'
import { ModuleFailure, type Change, type HostModule, type PlanContext, type ProbeState, type StepOutput } from './types.js'

export interface GitArgs {
  repo: string
  dest: string
  version: string
  force: boolean
  depth?: number
  clone: boolean
  update: boolean
  remote: string
  bare: boolean
  accept_hostkey: boolean
  key_file?: string
  ssh_opts?: string
  recursive: boolean
  single_branch: boolean
  executable?: string
}

const schema: Schema = {
  options: {
    repo: { type: 'str', required: true, aliases: ['name'], doc: 'URL of the repository (https://, ssh://, git://, file://, user@host:path, or a path on the host).' },
    dest: { type: 'path', required: true, doc: 'Directory of the checkout; created (with its parents) by the clone.' },
    version: { type: 'str', default: 'HEAD', doc: "Branch, tag or commit id to check out. HEAD: the remote's default branch." },
    force: { type: 'bool', default: false, doc: 'Discard modified tracked files in dest; without it they make the task fail.' },
    depth: { type: 'int', doc: 'Shallow clone and fetches with this many commits of history.' },
    clone: { type: 'bool', default: true, doc: 'Clone when dest is not a checkout yet; false leaves it missing.' },
    update: { type: 'bool', default: true, doc: 'Bring an existing checkout to version; false leaves it as it is.' },
    remote: { type: 'str', default: 'origin', doc: 'Name of the remote.' },
    bare: { type: 'bool', default: false, doc: 'Bare repositories are not supported: must stay false.' },
    accept_hostkey: { type: 'bool', default: false, doc: "Accept the ssh host key of the git server on first contact (StrictHostKeyChecking=accept-new)." },
    key_file: { type: 'path', doc: 'Private key on the host for ssh repositories.' },
    ssh_opts: { type: 'str', doc: 'More ssh options, as written on an ssh command line.' },
    recursive: { type: 'bool', default: true, doc: 'Clone and update submodules too.' },
    single_branch: { type: 'bool', default: false, doc: 'Clone only the history of the one branch.' },
    executable: { type: 'path', doc: 'The git program to use (default: git from PATH).' },
  },
}

function sshCommand(a: GitArgs): Record<string, string> {
  if (!a.accept_hostkey && a.key_file === undefined && a.ssh_opts === undefined) return {}
  const parts = ['ssh']
  if (a.accept_hostkey) parts.push('-o StrictHostKeyChecking=accept-new')
  if (a.key_file !== undefined) parts.push(`-i ${quote(a.key_file)} -o IdentitiesOnly=yes`)
  if (a.ssh_opts !== undefined) parts.push(a.ssh_opts)
  return { GIT_SSH_COMMAND: parts.join(' ') }
}

function probeOptions(a: GitArgs): GitProbeOptions {
  return { repo: a.repo, dest: a.dest, version: a.version, remote: a.remote, executable: a.executable ?? 'git', askWhenRepo: a.update, askWhenMissing: a.clone, env: sshCommand(a) }
}

function stateOf(a: GitArgs, state: ProbeState): GitState {
  const s = state[gitProbeId(probeOptions(a))] as GitState | undefined
  if (!s) throw new Error('no git state')
  return s
}

const short = (c: string | undefined) => (c ? c.slice(0, 7) : '(none)')

/** The commit the remote names for version; fails when the remote cannot be asked or has no such thing. */
function wanted(a: GitArgs, st: GitState): Wanted {
  const r = st.remote
  if (!r) throw new Error('the remote was not asked')
  if ('error' in r) throw new ModuleFailure(`cannot read ${a.repo}: ${r.error}`)
  const w = resolveVersion(a.version, r, st.localCommit)
  if (!w) throw new ModuleFailure(a.version === 'HEAD' ? `${a.repo} has no HEAD (an empty repository?)` : `version '${a.version}' is neither a branch nor a tag of ${a.repo}, nor a commit id`)
  return w
}

const depthOpt = (a: GitArgs) => (a.depth !== undefined ? ` --depth ${a.depth}` : '')

/** Shell lines that check out `w` in "$dest" (after a clone or on an existing checkout). */
function checkoutLines(a: GitArgs, w: Wanted, fetch: boolean): string[] {
  const f = a.force ? ' -f' : ''
  const git = '"$g" -C "$dest"'
  switch (w.kind) {
    case 'branch': {
      const track = `refs/remotes/${a.remote}/${w.branch}`
      return [
        ...(fetch ? [`${git} fetch -q${depthOpt(a)} "$r" ${quote(`+refs/heads/${w.branch}:${track}`)}`] : []),
        `${git} checkout -q${f} -B ${quote(w.branch)} ${quote(track)}`,
      ]
    }
    case 'tag':
      return [
        ...(fetch ? [`${git} fetch -q${depthOpt(a)} "$r" ${quote(`+refs/tags/${w.tag}:refs/tags/${w.tag}`)}`] : []),
        `${git} checkout -q${f} --detach ${quote(`refs/tags/${w.tag}^{commit}`)}`,
      ]
    case 'detached-head':
      return fetch ? [`${git} fetch -q${depthOpt(a)} "$r" HEAD`, `${git} checkout -q${f} --detach FETCH_HEAD`] : []
    case 'commit': {
      const c = quote(`${a.version}^{commit}`)
      // A commit outside the fetched history: fetch everything, then (servers allowing it) the commit itself.
      const byId = looksLikeCommit(a.version) && (a.version.length === 40 || a.version.length === 64) ? ` || ${git} fetch -q${depthOpt(a)} "$r" ${quote(a.version)}` : ''
      return [`if ! ${git} cat-file -e ${c} 2>/dev/null; then ${git} fetch -q${depthOpt(a)} --tags "$r"${byId}; fi`, `${git} checkout -q${f} --detach ${quote(a.version)}`]
    }
  }
}

function header(a: GitArgs): string[] {
  return ['set -e', `g=${quote(a.executable ?? 'git')}; dest=${quote(a.dest)}; r=${quote(a.remote)}`]
}

const submodules = (a: GitArgs) => (a.recursive ? ['if [ -f "$dest/.gitmodules" ]; then "$g" -C "$dest" submodule -q update --init --recursive; fi'] : [])
const printAfter = 'printf \'after=%s\\n\' "$("$g" -C "$dest" rev-parse HEAD)"'

function cloneChange(a: GitArgs, st: GitState, ctx: PlanContext): Change {
  if (!st.git) {
    if (ctx.check) return { summary: `clone ${a.repo} into ${a.dest} (git is not installed yet: cannot tell which commit)`, uncertain: true, steps: [] }
    throw new ModuleFailure('git is not installed on the host (install the git package first)')
  }
  const w = wanted(a, st)
  const opts = [
    '-q',
    ...(a.depth !== undefined ? [`--depth ${a.depth}`] : []),
    ...(a.single_branch ? ['--single-branch'] : []),
    ...(a.recursive ? ['--recurse-submodules'] : []),
    `--origin ${quote(a.remote)}`,
    ...(w.kind === 'branch' && a.version !== 'HEAD' ? [`--branch ${quote(w.branch)}`] : w.kind === 'tag' ? [`--branch ${quote(w.tag)}`] : []),
  ]
  const lines = [...header(a), `"$g" clone ${opts.join(' ')} -- ${quote(a.repo)} "$dest"`, ...(w.kind === 'commit' ? checkoutLines(a, w, true) : []), ...(w.kind === 'commit' ? submodules(a) : []), printAfter]
  const after = w.commit ?? a.version
  return {
    summary: `clone ${a.repo} (${a.version === 'HEAD' ? 'HEAD' : a.version}) into ${a.dest}: commit ${short(after)}`,
    steps: [{ kind: 'exec', script: lines.join('\n'), env: sshCommand(a) }],
    diff: { path: a.dest, before: 'commit (none)\n', after: `commit ${after}\n` },
  }
}

function updateChanges(a: GitArgs, st: GitState): Change[] {
  if (st.statusError) throw new ModuleFailure(`cannot read the state of ${a.dest}: ${st.statusError}`)
  // As Ansible: modifications fail the task whether or not the commit would change.
  if (st.modified.length && !a.force) throw new ModuleFailure(`Local modifications exist in the destination: ${a.dest} (force=no).`, { before: st.head ?? null })
  const w = wanted(a, st)
  const head = st.head ?? ''
  const moved = w.commit !== undefined ? head !== w.commit : !head.startsWith(a.version.toLowerCase())
  const switched = w.kind === 'branch' && st.branch !== w.branch
  const urlChanged = st.url !== a.repo
  const reset = st.modified.length > 0
  if (!moved && !switched && !urlChanged && !reset) return []
  const lines = header(a)
  const what: string[] = []
  if (urlChanged) {
    lines.push(`if "$g" -C "$dest" config --get "remote.$r.url" >/dev/null; then "$g" -C "$dest" remote set-url "$r" ${quote(a.repo)}; else "$g" -C "$dest" remote add "$r" ${quote(a.repo)}; fi`)
    what.push(st.url ? `remote ${a.remote} ${st.url} → ${a.repo}` : `add remote ${a.remote} ${a.repo}`)
  }
  if (reset) {
    lines.push('"$g" -C "$dest" reset -q --hard')
    what.push(`discard changes to ${st.modified.length} file${st.modified.length === 1 ? '' : 's'}`)
  }
  if (moved || switched) {
    lines.push(...checkoutLines(a, w, true), ...submodules(a))
    const to = w.commit ?? a.version
    what.push(moved ? `commit ${short(head)} → ${short(to)}` : `switch to branch ${a.version === 'HEAD' && w.kind === 'branch' ? w.branch : a.version}`)
  }
  lines.push(printAfter)
  const before = [`commit ${head || '(none)'}`, ...(st.branch ? [`branch ${st.branch}`] : []), ...(urlChanged ? [`remote ${a.remote} ${st.url || '(none)'}`] : []), ...st.modified.map((m) => `modified: ${m.slice(3)}`)]
  const after = [`commit ${moved || switched ? (w.commit ?? a.version) : head}`, ...(w.kind === 'branch' ? [`branch ${w.branch}`] : st.branch && !moved ? [`branch ${st.branch}`] : []), ...(urlChanged ? [`remote ${a.remote} ${a.repo}`] : [])]
  return [{ summary: `update ${a.dest}: ${what.join(', ')}`, steps: [{ kind: 'exec', script: lines.join('\n'), env: sshCommand(a) }], diff: { path: a.dest, before: before.join('\n') + '\n', after: after.join('\n') + '\n' } }]
}

function plan(a: GitArgs, state: ProbeState, ctx: PlanContext): Change[] {
  const st = stateOf(a, state)
  switch (st.dest) {
    case 'file':
      throw new ModuleFailure(`${a.dest} exists and is not a directory`)
    case 'nonempty':
      if (!a.clone) return []
      throw new ModuleFailure(`destination path '${a.dest}' already exists and is not an empty directory (nor a git checkout)`)
    case 'absent':
    case 'empty':
      return a.clone ? [cloneChange(a, st, ctx)] : []
    case 'repo':
      if (!a.update) return []
      if (!st.git) throw new ModuleFailure('git is not installed on the host (install the git package first)')
      return updateChanges(a, st)
  }
}

export const git: HostModule<GitArgs> = {
  kind: 'host',
  name: 'git',
  doc: 'Deploy a checkout of a git repository (clone, or update to a branch, tag or commit).',
  args: schema,
  returns: { before: 'commit checked out before the task (null when there was no checkout)', after: 'commit checked out after the task', remote_url_changed: 'the URL of the remote was changed to repo' },
  validate(a) {
    const errs: string[] = []
    if (a.bare === true) errs.push('bare repositories are not supported (bare must be false)')
    if (a.depth !== undefined && a.depth < 1) errs.push(`depth must be at least 1, got ${a.depth}`)
    if (typeof a.version === 'string' && a.version.trim() === '') errs.push('version must not be empty')
    if (typeof a.remote === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(a.remote)) errs.push(`remote '${a.remote}' is not a valid remote name`)
    return errs
  },
  probes: (a) => [gitProbe(probeOptions(a))],
  plan,
  result(a, state, outputs: StepOutput[]) {
    const st = stateOf(a, state)
    const before = st.dest === 'repo' ? st.head || null : null
    let after: string | null = before
    for (const o of outputs) {
      const m = /^after=([0-9a-f]+)$/m.exec(o.stdout)
      if (m) after = m[1]!
    }
    const remote_url_changed = outputs.length > 0 && st.dest === 'repo' && st.url !== a.repo
    return { before, after, remote_url_changed }
  },
}
