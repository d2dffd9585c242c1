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
 * leaves a missing checkout missing (the task is changed and `after` is the commit the remote
 * names for `version`, as in Ansible), `update: false` leaves an existing one as it is. `remote`
 * names the remote (origin); its URL is set to `repo` when it differs. `accept_hostkey` accepts
 * an ssh host key on first contact; `key_file` and `ssh_opts` are passed to ssh. `recursive`
 * (default true) clones and updates submodules too (their state is not compared). Bare
 * repositories are not supported.
 *
 * A password in an http(s) URL (`https://user:PASSWORD@host/repo.git`) never reaches a command
 * line: git gets the URL without it and asks for it through GIT_ASKPASS, answered from a 0600 file
 * in a private mktemp directory that is removed when the step ends. The checkout's remote URL
 * (.git/config) is stored without the password (Ansible stores it there in clear), and every
 * summary, diff and error shows the URL as `https://user:********@host/...`. A `repo`, `dest` or
 * `version` that begins with `-` is refused (`--upload-pack=CMD` as a repo runs CMD in Ansible
 * 2.14); write a relative path as `./-dir`.
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
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { gitProbe, looksLikeCommit, resolveVersion, type GitProbeOptions, type GitState, type Wanted } from '../probes/git.js'
import type { ArgsOf, Schema } from './schema.js'
import { shlexSplit } from '../shell/shlex.js'
import { askpassLines, maskUrl, splitUrlCredentials } from '../probes/url-credentials.js'
import { ModuleFailure, type Change, type HostModule, type PlanContext, type StateOf } from './types.js'

const schema = {
  options: {
    repo: {
      type: 'str',
      required: true,
      aliases: ['name'],
      doc: 'URL of the repository (https://, ssh://, git://, file://, user@host:path, or a path on the host).',
    },
    dest: { type: 'path', required: true, doc: 'Directory of the checkout; created (with its parents) by the clone.' },
    version: { type: 'str', default: 'HEAD', doc: "Branch, tag or commit id to check out. HEAD: the remote's default branch." },
    force: { type: 'bool', default: false, doc: 'Discard modified tracked files in dest; without it they make the task fail.' },
    depth: { type: 'int', doc: 'Shallow clone and fetches with this many commits of history.' },
    clone: { type: 'bool', default: true, doc: 'Clone when dest is not a checkout yet; false leaves it missing.' },
    update: { type: 'bool', default: true, doc: 'Bring an existing checkout to version; false leaves it as it is.' },
    remote: { type: 'str', default: 'origin', doc: 'Name of the remote.' },
    bare: { type: 'bool', default: false, doc: 'Bare repositories are not supported: must stay false.' },
    accept_hostkey: { type: 'bool', default: false, doc: 'Accept the ssh host key of the git server on first contact (StrictHostKeyChecking=accept-new).' },
    key_file: { type: 'path', doc: 'Private key on the host for ssh repositories.' },
    ssh_opts: { type: 'str', doc: 'More ssh options, as written on an ssh command line.' },
    recursive: { type: 'bool', default: true, doc: 'Clone and update submodules too.' },
    single_branch: { type: 'bool', default: false, doc: 'Clone only the history of the one branch.' },
    executable: { type: 'path', doc: 'The git program to use (default: git from PATH).' },
  },
} as const satisfies Schema
export type GitArgs = ArgsOf<typeof schema>

/** GIT_SSH_COMMAND (git runs it with sh -c): every word quoted, ssh_opts split as a shell would. */
function sshCommand(a: GitArgs): Record<string, string> {
  if (!a.accept_hostkey && a.key_file === undefined && a.ssh_opts === undefined) return {}
  const words = ['ssh']
  if (a.accept_hostkey) words.push('-o', 'StrictHostKeyChecking=accept-new')
  if (a.key_file !== undefined) words.push('-i', a.key_file, '-o', 'IdentitiesOnly=yes')
  if (a.ssh_opts !== undefined) words.push(...shlexSplit(a.ssh_opts))
  return { GIT_SSH_COMMAND: sh`${words}`.text }
}

/** The repository URL without its password (what git and .git/config see), and the password. */
const repoOf = (a: GitArgs) => splitUrlCredentials(a.repo)

function probeOptions(a: GitArgs): GitProbeOptions {
  const r = repoOf(a)
  return {
    repo: r.url,
    ...(r.password !== undefined ? { password: r.password } : {}),
    dest: a.dest,
    version: a.version,
    remote: a.remote,
    executable: a.executable ?? 'git',
    askWhenRepo: a.update,
    // clone: false asks too: Ansible reports the remote's commit then
    askWhenMissing: true,
    env: sshCommand(a),
  }
}

const probes = (a: GitArgs) => ({ git: gitProbe(probeOptions(a)) })

const short = (c: string | undefined) => (c ? c.slice(0, 7) : '(none)')

/** The commit the remote names for version; fails when the remote cannot be asked or has no such thing. */
function wanted(a: GitArgs, st: GitState): Wanted {
  const r = st.remote
  if (!r) throw new Error('the remote was not asked')
  if ('error' in r) throw new ModuleFailure(`cannot read ${repoOf(a).shown}: ${r.error}`)
  const w = resolveVersion(a.version, r, st.localCommit)
  if (!w)
    throw new ModuleFailure(
      a.version === 'HEAD'
        ? `${repoOf(a).shown} has no HEAD (an empty repository?)`
        : `version '${a.version}' is neither a branch nor a tag of ${repoOf(a).shown}, nor a commit id`,
    )
  return w
}

const depthOpt = (a: GitArgs): Script => (a.depth !== undefined ? sh` --depth ${a.depth}` : code(''))

/** Shell lines that check out `w` in "$dest" (after a clone or on an existing checkout). */
function checkoutLines(a: GitArgs, w: Wanted, fetch: boolean): Script[] {
  const f = code(a.force ? ' -f' : '')
  const git = code('"$g" -C "$dest"')
  const d = depthOpt(a)
  switch (w.kind) {
    case 'branch': {
      const track = `refs/remotes/${a.remote}/${w.branch}`
      return [...(fetch ? [sh`${git} fetch -q${d} -- "$r" ${`+refs/heads/${w.branch}:${track}`}`] : []), sh`${git} checkout -q${f} -B ${w.branch} ${track} --`]
    }
    case 'tag':
      return [
        ...(fetch ? [sh`${git} fetch -q${d} -- "$r" ${`+refs/tags/${w.tag}:refs/tags/${w.tag}`}`] : []),
        sh`${git} checkout -q${f} --detach ${`refs/tags/${w.tag}^{commit}`} --`,
      ]
    case 'detached-head':
      return fetch ? [sh`${git} fetch -q${d} -- "$r" HEAD`, sh`${git} checkout -q${f} --detach FETCH_HEAD --`] : []
    case 'commit': {
      const c = `${a.version}^{commit}`
      // A commit outside the fetched history: fetch everything, then (servers allowing it) the commit itself.
      const byId =
        looksLikeCommit(a.version) && (a.version.length === 40 || a.version.length === 64) ? sh` || ${git} fetch -q${d} -- "$r" ${a.version}` : code('')
      return [
        sh`if ! ${git} cat-file -e ${c} 2>/dev/null; then ${git} fetch -q${d} --tags -- "$r"${byId}; fi`,
        sh`${git} checkout -q${f} --detach ${a.version} --`,
      ]
    }
  }
}

/** The start of every step script: the values as variables, and the password for git to ask. */
function header(a: GitArgs): Script[] {
  const r = repoOf(a)
  return [
    code('set -e'),
    sh`g=${a.executable ?? 'git'}; dest=${a.dest}; r=${a.remote}; repo=${r.url}`,
    ...(r.password !== undefined ? [askpassLines(r.password)] : []),
  ]
}

const submodules = (a: GitArgs): Script[] =>
  a.recursive ? [code('if [ -f "$dest/.gitmodules" ]; then "$g" -C "$dest" submodule -q update --init --recursive; fi')] : []
const printAfter = code('printf \'after=%s\\n\' "$("$g" -C "$dest" rev-parse HEAD)"')

function cloneChange(a: GitArgs, st: GitState, ctx: PlanContext): Change {
  if (!st.git) {
    return {
      summary: `clone ${repoOf(a).shown} into ${a.dest} (git is not installed yet: cannot tell which commit)`,
      steps: [],
      needs: { msg: 'git is not installed on the host (install the git package first)' },
    }
  }
  const w = wanted(a, st)
  const opts = [
    '-q',
    ...(a.depth !== undefined ? ['--depth', String(a.depth)] : []),
    ...(a.single_branch ? ['--single-branch'] : []),
    ...(a.recursive ? ['--recurse-submodules'] : []),
    '--origin',
    a.remote,
    ...(w.kind === 'branch' && a.version !== 'HEAD' ? ['--branch', w.branch] : w.kind === 'tag' ? ['--branch', w.tag] : []),
  ]
  const lines = [
    ...header(a),
    sh`"$g" clone ${opts} -- "$repo" "$dest"`,
    ...(w.kind === 'commit' ? checkoutLines(a, w, true) : []),
    ...(w.kind === 'commit' ? submodules(a) : []),
    printAfter,
  ]
  const after = w.commit ?? a.version
  return {
    summary: `clone ${repoOf(a).shown} (${a.version === 'HEAD' ? 'HEAD' : a.version}) into ${a.dest}: commit ${short(after)}`,
    steps: [{ kind: 'exec', script: joinScripts(lines), env: sshCommand(a) }],
    diff: { path: a.dest, before: 'commit (none)\n', after: `commit ${after}\n` },
  }
}

/**
 * clone: false on a dest that is not a checkout: as Ansible, a change with nothing to run that
 * reports the commit the remote names for version (Ansible's "info only" ls-remote).
 */
function remoteHeadChange(a: GitArgs, st: GitState): Change {
  if (!st.git)
    return { summary: `read the commit of ${repoOf(a).shown}`, steps: [], needs: { msg: 'git is not installed on the host (install the git package first)' } }
  const after = wanted(a, st).commit ?? a.version
  return {
    summary: `${a.dest} is not a checkout (clone: false): ${repoOf(a).shown} (${a.version}) is at commit ${short(after)}`,
    steps: [],
    diff: { path: a.dest, before: 'commit (none)\n', after: `commit ${after}\n` },
  }
}

function updateChanges(a: GitArgs, st: GitState): Change[] {
  if (st.statusError) throw new ModuleFailure(`cannot read the state of ${a.dest}: ${st.statusError}`)
  // As Ansible: modifications fail the task whether or not the commit would change.
  if (st.modified.length && !a.force)
    throw new ModuleFailure(`Local modifications exist in the destination: ${a.dest} (force=no).`, { before: st.head ?? null })
  const w = wanted(a, st)
  const head = st.head ?? ''
  const moved = w.commit !== undefined ? head !== w.commit : !head.startsWith(a.version.toLowerCase())
  const switched = w.kind === 'branch' && st.branch !== w.branch
  const repo = repoOf(a)
  const urlChanged = st.url !== repo.url
  const reset = st.modified.length > 0
  if (!moved && !switched && !urlChanged && !reset) return []
  const lines = header(a)
  const what: string[] = []
  if (urlChanged) {
    lines.push(
      code(
        'if "$g" -C "$dest" config --get "remote.$r.url" >/dev/null; then "$g" -C "$dest" remote set-url -- "$r" "$repo"; else "$g" -C "$dest" remote add -- "$r" "$repo"; fi',
      ),
    )
    what.push(st.url ? `remote ${a.remote} ${maskUrl(st.url)} → ${repo.shown}` : `add remote ${a.remote} ${repo.shown}`)
  }
  if (reset) {
    lines.push(code('"$g" -C "$dest" reset -q --hard'))
    what.push(`discard changes to ${st.modified.length} file${st.modified.length === 1 ? '' : 's'}`)
  }
  if (moved || switched) {
    lines.push(...checkoutLines(a, w, true), ...submodules(a))
    const to = w.commit ?? a.version
    what.push(moved ? `commit ${short(head)} → ${short(to)}` : `switch to branch ${a.version === 'HEAD' && w.kind === 'branch' ? w.branch : a.version}`)
  }
  lines.push(printAfter)
  const before = [
    `commit ${head || '(none)'}`,
    ...(st.branch ? [`branch ${st.branch}`] : []),
    ...(urlChanged ? [`remote ${a.remote} ${st.url ? maskUrl(st.url) : '(none)'}`] : []),
    ...st.modified.map((m) => `modified: ${m.slice(3)}`),
  ]
  const after = [
    `commit ${moved || switched ? (w.commit ?? a.version) : head}`,
    ...(w.kind === 'branch' ? [`branch ${w.branch}`] : st.branch && !moved ? [`branch ${st.branch}`] : []),
    ...(urlChanged ? [`remote ${a.remote} ${repo.shown}`] : []),
  ]
  return [
    {
      summary: `update ${a.dest}: ${what.join(', ')}`,
      steps: [{ kind: 'exec', script: joinScripts(lines), env: sshCommand(a) }],
      diff: { path: a.dest, before: before.join('\n') + '\n', after: after.join('\n') + '\n' },
    },
  ]
}

function plan(a: GitArgs, { git: st }: StateOf<ReturnType<typeof probes>>, ctx: PlanContext): Change[] {
  switch (st.dest) {
    case 'file':
      if (!a.clone) return [remoteHeadChange(a, st)]
      throw new ModuleFailure(`${a.dest} exists and is not a directory`)
    case 'nonempty':
      if (!a.clone) return [remoteHeadChange(a, st)]
      throw new ModuleFailure(`destination path '${a.dest}' already exists and is not an empty directory (nor a git checkout)`)
    case 'absent':
    case 'empty':
      return [a.clone ? cloneChange(a, st, ctx) : remoteHeadChange(a, st)]
    case 'repo':
      if (!a.update) return []
      if (!st.git) throw new ModuleFailure('git is not installed on the host (install the git package first)')
      return updateChanges(a, st)
  }
}

export const git: HostModule<GitArgs, GitArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'git',
  doc: 'Deploy a checkout of a git repository (clone, or update to a branch, tag or commit).',
  args: schema,
  returns: {
    before: 'commit checked out before the task (null when there was no checkout)',
    after: 'commit checked out after the task',
    remote_url_changed: 'the URL of the remote was changed to repo',
  },
  validate(a) {
    const errs: string[] = []
    if (a.bare === true) errs.push('bare repositories are not supported (bare must be false)')
    if (a.depth !== undefined && a.depth < 1) errs.push(`depth must be at least 1, got ${a.depth}`)
    if (typeof a.version === 'string' && a.version.trim() === '') errs.push('version must not be empty')
    if (typeof a.remote === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(a.remote)) errs.push(`remote '${a.remote}' is not a valid remote name`)
    // git reads an argument that begins with '-' as an option (--upload-pack=CMD runs CMD), even
    // where rm-play puts '--' (git ls-remote/clone of older versions): no URL or path begins so.
    if (typeof a.repo === 'string' && a.repo.startsWith('-'))
      errs.push(`repo '${maskUrl(a.repo)}' begins with '-': not a URL or a path (a path can be written ./${maskUrl(a.repo)})`)
    if (typeof a.dest === 'string' && a.dest.startsWith('-')) errs.push(`dest '${a.dest}' begins with '-' (write ./${a.dest})`)
    if (typeof a.version === 'string' && a.version.startsWith('-')) errs.push(`version '${a.version}' begins with '-': not a branch, tag or commit`)
    return errs
  },
  probes,
  plan,
  result(a, { git: st }, outputs) {
    // clone: false on what is not a checkout: Ansible returns before and the remote's commit only
    if (st.dest !== 'repo' && !a.clone) return { before: null, after: wanted(a, st).commit ?? a.version }
    const before = st.dest === 'repo' ? st.head || null : null
    let after: string | null = before
    for (const o of outputs) {
      const m = /^after=([0-9a-f]+)$/m.exec(o.stdout)
      if (m) after = m[1]!
    }
    const remote_url_changed = outputs.length > 0 && st.dest === 'repo' && st.url !== repoOf(a).url
    return { before, after, remote_url_changed }
  },
}
