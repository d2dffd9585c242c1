// Owner, group and mode, shared by the file modules: the wanted mode is always computed on the
// controller (symbolic modes included, as Ansible computes them) and applied as a number, so that
// check mode can predict it, a put step can set it on the temp file before the rename, and a second
// run compares numbers with numbers.
//
// Owner, group and mode of an existing path are set without following a symlink: a path that was a
// file or directory when probed and is a symlink when the change is applied (swapped in by another
// user) is refused, and what the link points to is left untouched. chown and chmod would follow it
// (and Linux has no lchmod), so a small perl program (perl-base is Essential on Debian) opens the
// path with O_PATH|O_NOFOLLOW, refuses a symlink, and changes the opened file through
// /proc/self/fd/N. A symlink itself (state=link) is changed with `chown -h`.
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { octal, type FileStat } from '../probes/files.js'
import type { ArgSpec } from './schema.js'
import type { Change } from './types.js'

export interface AttrArgs {
  owner?: string
  group?: string
  mode?: string
}

export const attrOptions = {
  owner: { type: 'str', doc: 'User that should own the file (name or uid). Unset: left as it is (new files: the connecting user).' },
  group: { type: 'str', doc: 'Group that should own the file (name or gid).' },
  mode: { type: 'mode', doc: "Permissions: octal ('0644'; quote it, or YAML may read it as a decimal) or symbolic ('u=rw,g=r,o=', 'u+x')." },
} as const satisfies Record<string, ArgSpec>

const PERM = 0o7777
const CLAUSE = /^([ugoa]*)([-+=])([rwxXst]*|[ugo])$/

/** Is this a symbolic mode ('u+x', 'u=rw,g=r') rather than an octal one? */
export function isSymbolic(mode: string): boolean {
  return !/^[0-7]+$/.test(mode)
}

function permBits(who: 'u' | 'g' | 'o', perms: string, prev: number, isDir: boolean, umask: number): number {
  const shift = { u: 6, g: 3, o: 0 }[who]
  const keep = ~umask & PERM
  // Copying another class's bits: `g=u`.
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    const from = { u: 6, g: 3, o: 0 }[perms]
    return (((prev >> from) & 7) << shift) & keep
  }
  let bits = 0
  for (const p of perms) {
    if (p === 'r') bits |= (4 << shift) & keep
    else if (p === 'w') bits |= (2 << shift) & keep
    else if (p === 'x') bits |= (1 << shift) & keep
    else if (p === 'X') {
      if (isDir || (prev & 0o111) !== 0) bits |= (1 << shift) & keep
    } else if (p === 's') bits |= who === 'u' ? 0o4000 : who === 'g' ? 0o2000 : 0
    else if (p === 't') bits |= who === 'o' ? 0o1000 : 0
  }
  return bits
}

/**
 * Applies a symbolic mode to a current mode, clause by clause, as chmod and Ansible do: no "who"
 * means all, minus the bits set in the umask; X adds execute for directories and for files that
 * already have an execute bit.
 */
export function applySymbolic(spec: string, current: number, isDir: boolean, umask = 0o022): number {
  let mode = current & PERM
  for (const clause of spec.split(',')) {
    const m = CLAUSE.exec(clause)
    if (!m) throw new Error(`bad symbolic mode '${clause}' in '${spec}'`)
    const whoText = m[1]!
    const op = m[2]!
    const perms = m[3]!
    const useUmask = whoText === ''
    const who = (whoText === '' || whoText.includes('a') ? 'ugo' : whoText).split('').filter((c, i, a) => a.indexOf(c) === i) as ('u' | 'g' | 'o')[]
    for (const w of who) {
      const bits = permBits(w, perms, mode, isDir, useUmask ? umask : 0)
      if (op === '+') mode |= bits
      else if (op === '-') mode &= ~bits & PERM
      else {
        const mask = { u: 0o4700, g: 0o2070, o: 0o1007 }[w]
        mode = (mode & ~mask & PERM) | bits
      }
    }
  }
  return mode
}

export { octal }

/** The mode a new file or directory gets without an explicit mode (0666/0777 minus the umask). */
export function defaultMode(isDir: boolean, umask: number): number {
  return (isDir ? 0o777 : 0o666) & ~umask
}

/**
 * The wanted mode as four octal digits, or undefined when no mode is asked for.
 * `current` is the existing mode (or undefined for a thing that will be created).
 */
export function wantedMode(mode: string | undefined, current: string | undefined, isDir: boolean, umask: number): string | undefined {
  if (mode === undefined || mode === 'preserve') return undefined
  if (!isSymbolic(mode)) return octal(parseInt(mode, 8))
  const base = current !== undefined ? parseInt(current, 8) : defaultMode(isDir, umask)
  return octal(applySymbolic(mode, base, isDir, umask))
}

/** Does a user or group given as a name or number designate this owner? */
export function sameId(want: string, name: string, id: number): boolean {
  return want === name || want === String(id)
}

/** chown's argument: 'owner', ':group' or 'owner:group'. */
export function chownArg(owner: string | undefined, group: string | undefined): string {
  return `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`
}

// Arguments: OWNER GROUP MODE PATH... ('' = leave as it is). Owner before mode: chown clears
// setuid/setgid. O_PATH (010000000 on Linux, not exported by Fcntl) opens without reading, so a
// file its owner cannot read is changed too. Exit 1 after trying every path if one failed.
const SET_ATTRS_PERL = [
  'use strict; use Fcntl qw(O_NOFOLLOW S_IFMT S_IFLNK);',
  'my ($u, $g, $m) = splice(@ARGV, 0, 3);',
  'my $uid = $u eq "" ? -1 : $u =~ /^[0-9]+$/ ? $u : getpwnam($u); defined $uid or die "unknown user: $u\\n";',
  'my $gid = $g eq "" ? -1 : $g =~ /^[0-9]+$/ ? $g : getgrnam($g); defined $gid or die "unknown group: $g\\n";',
  'my $rc = 0;',
  'for my $p (@ARGV) {',
  '  my $fh; my @s;',
  '  unless (sysopen($fh, $p, 010000000 | O_NOFOLLOW) and @s = stat($fh)) { warn "$p: $!\\n"; $rc = 1; next }',
  '  if (($s[2] & S_IFMT) == S_IFLNK) { warn "$p is a symlink now (it was not when read): not following it\\n"; $rc = 1; next }',
  '  my $fd = "/proc/self/fd/" . fileno($fh);',
  '  if (($uid != -1 || $gid != -1) and not chown($uid, $gid, $fd)) { warn "chown $p: $!\\n"; $rc = 1; next }',
  '  if ($m ne "" and not chmod(oct($m), $fd)) { warn "chmod $p: $!\\n"; $rc = 1 }',
  '}',
  'exit $rc;',
].join(' ')

/** The command prefix that sets owner/group/mode without following symlinks; the paths follow. */
export function setAttrsPrefix(owner: string | undefined, group: string | undefined, mode: string | undefined): Script {
  return sh`perl -e ${SET_ATTRS_PERL} -- ${owner ?? ''} ${group ?? ''} ${mode !== undefined ? `0${mode}` : ''}`
}

/** Sets owner, group and mode (each optional) of existing paths, never through a symlink. */
export function setAttrs(paths: string | string[], owner: string | undefined, group: string | undefined, mode: string | undefined): Script {
  return sh`${setAttrsPrefix(owner, group, mode)} ${paths}`
}

/** Commands that make each directory in turn and give it the wanted owner, group and mode (each new one, as Ansible does). */
export function newDirCmds(dirs: string[], a: AttrArgs, mode: string | undefined, mkdir: 'mkdir' | 'mkdir -p' = 'mkdir'): Script[] {
  const cmds: Script[] = []
  for (const d of dirs) {
    cmds.push(sh`${code(mkdir === 'mkdir -p' ? 'mkdir -p' : 'mkdir')} -- ${d}`)
    if (a.owner !== undefined || a.group !== undefined || mode !== undefined) cmds.push(setAttrs(d, a.owner, a.group, mode))
  }
  return cmds
}

export interface AttrPlan {
  /** Shell commands that set what differs (empty: nothing to do). */
  cmds: Script[]
  /** "owner root → app", "mode 0644 → 0600", for summaries. */
  parts: string[]
  before: string
  after: string
}

/**
 * What it takes to give an existing path the wanted owner, group and mode. `link`: change the
 * symlink itself (chown -h; Linux has no mode on links, so mode is not touched).
 */
export function planAttrs(path: string, st: FileStat, a: AttrArgs, o: { umask: number; link?: boolean }): AttrPlan {
  const plan: AttrPlan = { cmds: [], parts: [], before: '', after: '' }
  const isDir = st.type === 'directory'
  const owner = a.owner !== undefined && !sameId(a.owner, st.owner, st.uid) ? a.owner : undefined
  const group = a.group !== undefined && !sameId(a.group, st.group, st.gid) ? a.group : undefined
  // A symlink itself: chown -h (it has no mode); anything else through the no-follow setter below.
  if (o.link && (owner !== undefined || group !== undefined)) plan.cmds.push(sh`chown -h -- ${chownArg(owner, group)} ${path}`)
  if (owner !== undefined) {
    plan.parts.push(`owner ${st.owner} → ${owner}`)
    plan.before += `owner: ${st.owner}\n`
    plan.after += `owner: ${owner}\n`
  }
  if (group !== undefined) {
    plan.parts.push(`group ${st.group} → ${group}`)
    plan.before += `group: ${st.group}\n`
    plan.after += `group: ${group}\n`
  }
  if (!o.link) {
    const want = wantedMode(a.mode, st.mode, isDir, o.umask)
    const mode = want !== undefined && want !== st.mode ? want : undefined
    if (mode !== undefined) {
      plan.parts.push(`mode ${st.mode} → ${mode}`)
      plan.before += `mode: ${st.mode}\n`
      plan.after += `mode: ${mode}\n`
    }
    if (owner !== undefined || group !== undefined || mode !== undefined) plan.cmds.push(setAttrs(path, owner, group, mode))
  }
  return plan
}

/**
 * The change that gives an existing path what the plan says (the plan may carry other settings of
 * the same path, such as file's times); `tail` runs after, once all of them succeeded.
 */
export function attrChange(path: string, plan: AttrPlan, tail: Script[] = []): Change | undefined {
  if (!plan.cmds.length) return undefined
  return {
    summary: `set ${plan.parts.join(', ')} on ${path}`,
    steps: [{ kind: 'exec', script: joinScripts([code('set -e'), ...plan.cmds, ...tail]) }],
    diff: { path, before: plan.before, after: plan.after },
  }
}

/** A thing the module acts on is missing: an earlier task may create it (see Change.needs). */
export function missing(msg: string, summary: string, path: string): Change[] {
  return [{ summary: `${summary} (${msg}; an earlier task may create it)`, steps: [], needs: { msg, data: { path } } }]
}

/** Attribute text of a thing about to be created, for a diff's "after" side. */
export function newAttrsText(a: AttrArgs, mode: string | undefined): string {
  return `${a.owner !== undefined ? `owner: ${a.owner}\n` : ''}${a.group !== undefined ? `group: ${a.group}\n` : ''}${mode !== undefined ? `mode: ${mode}\n` : ''}`
}

/** Load-time check of a symbolic mode (the schema only checks its shape). */
export function modeProblems(mode: unknown): string[] {
  if (typeof mode !== 'string' || mode === 'preserve' || !isSymbolic(mode)) return []
  try {
    applySymbolic(mode, 0o644, false)
    return []
  } catch (e) {
    return [(e as Error).message]
  }
}
