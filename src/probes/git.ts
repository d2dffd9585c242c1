// Git: one probe reads the checkout (HEAD, branch, remote URL, modified tracked files) and asks
// the remote which commit the wanted version is (`git ls-remote`), so a plan knows both sides
// without fetching anything into the repository (check mode must leave it as it is).
import { quote } from '../connection/shell.js'
import type { Probe, ProbeOutput } from '../modules/types.js'
import { pairs } from './output.js'

export type DestKind = 'absent' | 'empty' | 'repo' | 'nonempty' | 'file'

export interface RemoteRefs {
  /** Ref name → commit id, as ls-remote lists them (peeled tags end in ^{}). */
  refs: Record<string, string>
  /** The branch the remote's HEAD points to ('main'), when the remote says. */
  headBranch?: string
}

export interface GitState {
  /** The git program is on the host. */
  git: boolean
  dest: DestKind
  /** Commit checked out in dest ('' for a repository without commits). */
  head?: string
  /** Branch checked out ('' when HEAD is detached). */
  branch?: string
  /** URL of the remote in dest's config ('' when there is no such remote). */
  url?: string
  /** `git status --porcelain` lines of modified tracked files (untracked files do not count). */
  modified: string[]
  /** git status failed (not a repository after all, unsafe ownership ...). */
  statusError?: string
  /** The version resolved to a commit in the local repository (commit ids only). */
  localCommit?: string
  /** The remote was asked: its refs, or why asking failed. */
  remote?: RemoteRefs | { error: string }
}

export interface GitProbeOptions {
  repo: string
  dest: string
  version: string
  remote: string
  executable: string
  /** Ask the remote when dest is a repository (update) / when it is not (clone). */
  askWhenRepo: boolean
  askWhenMissing: boolean
  /** Environment for talking to the remote (GIT_SSH_COMMAND for accept_hostkey). */
  env: Record<string, string>
}

/** A version that may be a (possibly abbreviated) commit id. */
export function looksLikeCommit(version: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(version)
}

export function gitProbeId(o: GitProbeOptions): string {
  return `git:${JSON.stringify(o)}`
}

export function gitProbe(o: GitProbeOptions): Probe<GitState> {
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${quote(v)} `).join('')
  const v = o.version
  const patterns = v === 'HEAD' ? 'HEAD' : `HEAD ${quote(`refs/heads/${v}`)} ${quote(`refs/tags/${v}`)} ${quote(`refs/tags/${v}^{}`)}`
  // --no-optional-locks: a plain `git status` refreshes and rewrites the index, and a probe must
  // leave the checkout exactly as it found it.
  const script = [
    `g=${quote(o.executable)}; dest=${quote(o.dest)}; repo=${quote(o.repo)}; remote=${quote(o.remote)}`,
    `command -v "$g" >/dev/null 2>&1 || { echo git=missing; exit 0; }`,
    'echo git=present',
    'ask=no',
    'if [ -e "$dest/.git" ]; then',
    '  echo dest=repo',
    '  printf \'head=%s\\n\' "$("$g" -C "$dest" rev-parse -q --verify HEAD 2>/dev/null)"',
    '  printf \'branch=%s\\n\' "$("$g" -C "$dest" symbolic-ref -q --short HEAD 2>/dev/null)"',
    '  printf \'url=%s\\n\' "$("$g" -C "$dest" config --get "remote.$remote.url" 2>/dev/null)"',
    '  if st=$("$g" --no-optional-locks -C "$dest" status --porcelain --untracked-files=no 2>&1); then printf \'%s\\n\' "$st" | sed -n \'/./s/^/mod=/p\'; else printf \'%s\\n\' "$st" | sed \'s/^/staterr=/\'; fi',
    ...(looksLikeCommit(v) ? [`  printf 'local=%s\\n' "$("$g" -C "$dest" rev-parse -q --verify ${quote(`${v}^{commit}`)} 2>/dev/null)"`] : []),
    `  ask=${o.askWhenRepo ? 'yes' : 'no'}`,
    'elif [ -d "$dest" ]; then',
    `  if [ -z "$(ls -A -- "$dest" 2>/dev/null)" ]; then echo dest=empty; else echo dest=nonempty; fi; ask=${o.askWhenMissing ? 'yes' : 'no'}`,
    'elif [ -e "$dest" ]; then echo dest=file',
    `else echo dest=absent; ask=${o.askWhenMissing ? 'yes' : 'no'}; fi`,
    'if [ $ask = yes ]; then',
    `  if out=$(GIT_TERMINAL_PROMPT=0 ${env}"$g" ls-remote --symref "$repo" ${patterns} 2>&1); then printf '%s\\n' "$out" | sed -n '/./s/^/ls=/p'; echo ls-ok; else printf '%s\\n' "$out" | sed 's/^/lserr=/'; fi`,
    'fi',
  ].join('\n')
  return { id: gitProbeId(o), script, parse: parseGitState }
}

/** Parses the git probe's `key=value` lines. */
export function parseGitState(out: ProbeOutput): GitState {
  const st: GitState = { git: false, dest: 'absent', modified: [] }
  const refs: Record<string, string> = {}
  let headBranch: string | undefined
  const lsOk = out.stdout.split('\n').includes('ls-ok')
  const lsErr: string[] = []
  const statusErr: string[] = []
  let seen = false
  for (const [k, v] of pairs(out.stdout)) {
    switch (k) {
      case 'git':
        st.git = v === 'present'
        seen = true
        break
      case 'dest':
        if (!['absent', 'empty', 'repo', 'nonempty', 'file'].includes(v)) throw new Error(`unexpected dest state '${v}'`)
        st.dest = v as DestKind
        break
      case 'head':
        st.head = v
        break
      case 'branch':
        st.branch = v
        break
      case 'url':
        st.url = v
        break
      case 'mod':
        st.modified.push(v)
        break
      case 'staterr':
        statusErr.push(v)
        break
      case 'local':
        if (v) st.localCommit = v
        break
      case 'ls': {
        // "ref: refs/heads/main<TAB>HEAD" or "<sha><TAB><ref>"
        const [left, name] = v.split('\t')
        if (name === undefined) break
        if (left!.startsWith('ref: ')) {
          if (name === 'HEAD' && left!.startsWith('ref: refs/heads/')) headBranch = left!.slice('ref: refs/heads/'.length)
        } else refs[name] = left!
        break
      }
      case 'lserr':
        lsErr.push(v)
        break
    }
  }
  if (!seen) throw new Error(`unexpected output: ${out.stdout.slice(0, 200)}`)
  if (statusErr.length) st.statusError = statusErr.join('\n').trim()
  if (lsOk) st.remote = headBranch !== undefined ? { refs, headBranch } : { refs }
  else if (lsErr.length) st.remote = { error: lsErr.join('\n').trim() || 'git ls-remote failed' }
  return st
}

export type Wanted =
  | { kind: 'branch'; branch: string; commit: string }
  | { kind: 'tag'; tag: string; commit: string }
  | { kind: 'commit'; commit?: string }
  | { kind: 'detached-head'; commit: string }

/**
 * What `version` designates on the remote: HEAD (the default branch), a branch, a tag (peeled to
 * its commit), or a commit id (resolved through the local repository when it has it); undefined
 * when it is none of these.
 */
export function resolveVersion(version: string, refs: RemoteRefs, localCommit?: string): Wanted | undefined {
  const r = refs.refs
  if (version === 'HEAD') {
    const head = r.HEAD
    if (!head) return undefined
    if (refs.headBranch) return { kind: 'branch', branch: refs.headBranch, commit: r[`refs/heads/${refs.headBranch}`] ?? head }
    return { kind: 'detached-head', commit: head }
  }
  const branch = r[`refs/heads/${version}`]
  if (branch) return { kind: 'branch', branch: version, commit: branch }
  const tag = r[`refs/tags/${version}^{}`] ?? r[`refs/tags/${version}`]
  if (tag) return { kind: 'tag', tag: version, commit: tag }
  if (looksLikeCommit(version)) {
    if (localCommit) return { kind: 'commit', commit: localCommit }
    return { kind: 'commit', commit: version.length === 40 || version.length === 64 ? version.toLowerCase() : undefined }
  }
  return undefined
}
