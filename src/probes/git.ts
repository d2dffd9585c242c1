// Git: one probe reads the checkout (HEAD, branch, remote URL, modified tracked files) and asks
// the remote which commit the wanted version is (`git ls-remote`), so a plan knows both sides
// without fetching anything into the repository (check mode must leave it as it is).
import { createHash } from 'node:crypto'
import { askpassLines } from './url-credentials.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
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
  /** The repository URL without a password (see url-credentials.ts). */
  repo: string
  /** The password of an https URL: given to git through GIT_ASKPASS, never on a command line. */
  password?: string
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
  // The id may be shown in an error: a digest stands for the password.
  const pw = o.password === undefined ? undefined : createHash('sha256').update(o.password).digest('hex').slice(0, 12)
  return `git:${JSON.stringify({ ...o, password: pw })}`
}

export function gitProbe(o: GitProbeOptions): Probe<GitState> {
  const v = o.version
  const patterns = v === 'HEAD' ? ['HEAD'] : ['HEAD', `refs/heads/${v}`, `refs/tags/${v}`, `refs/tags/${v}^{}`]
  const yesNo = (b: boolean) => (b ? 'yes' : 'no')
  const env: Script[] = Object.entries(o.env).map(([k, val]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`)
    return sh`export ${`${k}=${val}`}`
  })
  // --no-optional-locks: a plain `git status` refreshes and rewrites the index, and a probe must
  // leave the checkout exactly as it found it. `--` before every operand: a repo or path that
  // begins with '-' is never read as an option.
  const script = joinScripts([
    sh`g=${o.executable}; dest=${o.dest}; repo=${o.repo}; remote=${o.remote}`,
    code(`command -v -- "$g" >/dev/null 2>&1 || { echo git=missing; exit 0; }`),
    code('echo git=present'),
    code('ask=no'),
    code('if [ -e "$dest/.git" ]; then'),
    code('  echo dest=repo'),
    code('  printf \'head=%s\\n\' "$("$g" -C "$dest" rev-parse -q --verify HEAD 2>/dev/null)"'),
    code('  printf \'branch=%s\\n\' "$("$g" -C "$dest" symbolic-ref -q --short HEAD 2>/dev/null)"'),
    code('  printf \'url=%s\\n\' "$("$g" -C "$dest" config --get "remote.$remote.url" 2>/dev/null)"'),
    code(
      '  if st=$("$g" --no-optional-locks -C "$dest" status --porcelain --untracked-files=no 2>&1); then printf \'%s\\n\' "$st" | sed -n \'/./s/^/mod=/p\'; else printf \'%s\\n\' "$st" | sed \'s/^/staterr=/\'; fi',
    ),
    ...(looksLikeCommit(v) ? [sh`  printf 'local=%s\\n' "$("$g" -C "$dest" rev-parse -q --verify ${`${v}^{commit}`} 2>/dev/null)"`] : []),
    sh`  ask=${yesNo(o.askWhenRepo)}`,
    code('elif [ -d "$dest" ]; then'),
    sh`  if [ -z "$(ls -A -- "$dest" 2>/dev/null)" ]; then echo dest=empty; else echo dest=nonempty; fi; ask=${yesNo(o.askWhenMissing)}`,
    code('elif [ -e "$dest" ]; then echo dest=file'),
    sh`else echo dest=absent; ask=${yesNo(o.askWhenMissing)}; fi`,
    code('if [ $ask = yes ]; then'),
    ...env,
    ...(o.password !== undefined ? [askpassLines(o.password)] : []),
    sh`  if out=$(GIT_TERMINAL_PROMPT=0 "$g" ls-remote --symref -- "$repo" ${patterns} 2>&1); then printf '%s\\n' "$out" | sed -n '/./s/^/ls=/p'; echo ls-ok; else printf '%s\\n' "$out" | sed 's/^/lserr=/'; fi`,
    code('fi'),
  ])
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
