// Files: one probe reads everything the file modules need about a path in one go — type, mode,
// owner, times and link target (lstat, and stat through a link), the checksum, the content
// (base64, for diffs and for lineinfile/blockinfile edits computed on the controller), the parent
// directory and the deepest existing ancestor (for mkdir -p planning), and the umask (symbolic
// modes without a "who" honour it, as chmod does).
import { createHash } from 'node:crypto'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
import { sharedStatVars, STAT_FORMAT } from './shared-stat.js'

export type FileType = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown'

export interface FileStat {
  type: FileType
  /** Four octal digits, special bits included: '0644', '4755'. */
  mode: string
  uid: number
  gid: number
  /** User and group names; the number when the id has no name on the host. */
  owner: string
  group: string
  size: number
  /** Seconds since the epoch, with fractions. */
  mtime: number
  atime: number
  ctime: number
  inode: number
  dev: number
  nlink: number
}

export interface PathState {
  path: string
  /** The path exists (a dangling symlink exists too). */
  exists: boolean
  /** lstat: the path itself. */
  stat?: FileStat
  /** What a symlink points to, as written. */
  linkTarget?: string
  /** stat through a symlink whose target exists. */
  target?: FileStat
  /** For a symlink, the canonical path (readlink -f): where writes through it land. */
  real?: string
  /** Checksum of the regular file the path resolves to. */
  checksum?: string
  /** Content of the regular file the path resolves to, when asked and not larger than the limit. */
  content?: Buffer
  /** The regular file is larger than the content limit (content not read). */
  tooLarge?: boolean
  /** The file exists but could not be read (permissions). */
  unreadable?: boolean
  parent: 'directory' | 'missing' | 'other'
  /** The deepest ancestor of the path that exists (the path itself when it exists). */
  ancestor: string
  /** That ancestor is a directory (or a link to one). */
  ancestorIsDir: boolean
  /** The shell's umask, as a number. */
  umask: number
  /** Access checks as the probing user (test -r/-w/-x). */
  access?: { readable: boolean; writeable: boolean; executable: boolean }
  /** `file --mime` output, when the file command exists: 'text/plain; charset=us-ascii'. */
  mime?: string
  /** lsattr flags ('e', 'ie'), when the filesystem has them. */
  attrFlags?: string
}

export type ChecksumAlgorithm = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5'

export interface PathProbeOptions {
  /** Read the content of a regular file up to this many bytes (0: never). */
  contentLimit?: number
  /** Compute this checksum of a regular file. */
  checksum?: ChecksumAlgorithm
  /** Report readable/writeable/executable for the probing user. */
  access?: boolean
  /** Report the mime type (and chattr flags) of the path itself (P) or of what it resolves to (L). */
  mime?: 'L' | 'P'
}

/** The default size up to which file content is read for diffs (1 MiB). */
export const DIFF_LIMIT = 1024 * 1024

export { STAT_FORMAT }

/** Permission bits as four octal digits ('0644'). */
export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

function typeOf(rawMode: number): FileType {
  switch (rawMode & 0o170000) {
    case 0o100000:
      return 'file'
    case 0o040000:
      return 'directory'
    case 0o120000:
      return 'link'
    case 0o010000:
      return 'fifo'
    case 0o140000:
      return 'socket'
    case 0o020000:
      return 'char'
    case 0o060000:
      return 'block'
    default:
      return 'unknown'
  }
}

/** Parses one line of `stat -c STAT_FORMAT`. */
export function parseStatLine(line: string): FileStat {
  const f = line.trim().split(' ')
  if (f.length < 13) throw new Error(`unexpected stat output: ${line}`)
  const raw = parseInt(f[0]!, 16)
  if (isNaN(raw)) throw new Error(`unexpected stat output: ${line}`)
  const uid = Number(f[2])
  const gid = Number(f[3])
  const name = (s: string, id: number) => (s === 'UNKNOWN' ? String(id) : s)
  return {
    type: typeOf(raw),
    mode: octal(raw),
    uid,
    gid,
    owner: name(f[11]!, uid),
    group: name(f.slice(12).join(' '), gid),
    size: Number(f[4]),
    mtime: Number(f[5]),
    atime: Number(f[6]),
    ctime: Number(f[7]),
    inode: Number(f[8]),
    dev: Number(f[9]),
    nlink: Number(f[10]),
  }
}

const b64 = (s: string) => Buffer.from(s, 'base64')

/** Parses the output of pathProbe's script. */
export function parsePathState(path: string, out: ProbeOutput, algorithm?: ChecksumAlgorithm): PathState {
  const st: PathState = { path, exists: false, parent: 'missing', ancestor: '/', ancestorIsDir: true, umask: 0o022 }
  let seen = false
  for (const line of out.stdout.split('\n')) {
    const sp = line.indexOf(' ')
    const key = sp < 0 ? line : line.slice(0, sp)
    const val = sp < 0 ? '' : line.slice(sp + 1)
    switch (key) {
      case 'umask':
        st.umask = parseInt(val, 8) || 0
        seen = true
        break
      case 'lstat':
        st.exists = true
        st.stat = parseStatLine(val)
        break
      case 'target':
        st.target = parseStatLine(val)
        break
      case 'link':
        st.linkTarget = b64(val).toString('utf8').replace(/\n$/, '')
        break
      case 'real':
        if (val) st.real = b64(val).toString('utf8').replace(/\n$/, '')
        break
      case 'sum': {
        // "<hex>  -" from sha1sum reading stdin
        const sum = val.split(' ')[0]
        if (sum) st.checksum = sum
        else st.unreadable = true
        break
      }
      case 'content':
        st.content = b64(val)
        break
      case 'toolarge':
        st.tooLarge = true
        break
      case 'unreadable':
        st.unreadable = true
        break
      case 'parent':
        if (val === 'directory' || val === 'missing' || val === 'other') st.parent = val
        break
      case 'ancestor':
        st.ancestor = val || '/'
        break
      case 'ancestordir':
        st.ancestorIsDir = val === '1'
        break
      case 'mime':
        if (val) st.mime = val
        break
      case 'attrs': {
        const flags = val.split(' ')[0] ?? ''
        st.attrFlags = flags.replace(/-/g, '')
        break
      }
      case 'access': {
        const [r, w, x] = val.split(' ')
        st.access = { readable: r === '1', writeable: w === '1', executable: x === '1' }
        break
      }
    }
  }
  if (!seen) throw new Error(`no output for ${path}`)
  if (algorithm && st.content && st.checksum === undefined) st.checksum = createHash(algorithm).update(st.content).digest('hex')
  return st
}

/** The probe id for a path with options: everything the script depends on. */
export function pathProbeId(path: string, o: PathProbeOptions = {}): string {
  return `path:${path}:${o.contentLimit ?? 0}:${o.checksum ?? ''}:${o.access ? 'a' : ''}${o.mime ?? ''}`
}

/** The variables pathProbe's script sets: the batch unsets them after it (see pathProbe). */
const PATH_VARS = ['rmp_path', 'rmp_line', 'rmp_size', 'rmp_r', 'rmp_w', 'rmp_x', 'rmp_attrs', 'rmp_trim', 'rmp_dir', 'rmp_anc'] as const

/**
 * Reads a path's state in one go (see PathState). Forks are what a probe costs on a busy host, so
 * only stat, the checksum and base64 run as programs; parent and ancestors are found with shell
 * builtins, and the size test uses the stat line already read. The lstat line and the sha1 of a
 * file whose content is not read come from the batch's shared stat when it has them.
 *
 * The script sets only its own rmp_ variables (no function, option, positional parameter, IFS or
 * directory change, no exit): the batch runs it in its own shell, not in a subshell (a fork per
 * path probe), and unsets those variables after it.
 */
export function pathProbe(path: string, o: PathProbeOptions = {}): Probe<PathState> {
  const limit = o.contentLimit ?? 0
  const fmt = STAT_FORMAT
  const shared = { path, sha1: o.checksum === 'sha1' && limit === 0, reads: o.checksum !== undefined || limit > 0, attrs: o.mime !== undefined }
  const vars = sharedStatVars(path)
  const st = vars.stat
  const lines: Script[] = [
    sh`rmp_path=${path}`,
    code("printf 'umask '; umask"),
    code('if [ -e "$rmp_path" ] || [ -L "$rmp_path" ]; then'),
    sh`  if [ -n "\${${st}-}" ]; then rmp_line=\$${st}; else rmp_line=$(stat -c ${fmt} -- "$rmp_path"); fi && echo "lstat $rmp_line"`,
    code('  if [ -L "$rmp_path" ]; then'),
    code('    echo "link $(readlink -- "$rmp_path" | base64 -w0)"'),
    code('    echo "real $(readlink -f -- "$rmp_path" | base64 -w0)"'),
    sh`    if [ -e "$rmp_path" ]; then rmp_line=$(stat -L -c ${fmt} -- "$rmp_path") && echo "target $rmp_line"; fi`,
    code('  fi'),
    code('  if [ -f "$rmp_path" ]; then'),
    code('    if [ ! -r "$rmp_path" ]; then echo unreadable; else :'),
  ]
  // The checksum of content that comes back whole is computed on the controller: one process less.
  const own = o.checksum ? sh`printf 'sum '; ${`${o.checksum}sum`} < "$rmp_path"` : code(':')
  const sha1 = vars.sha1
  const sum = shared.sha1 ? sh`if [ -n "\${${sha1}-}" ]; then echo "sum \$${sha1}"; else ${own}; fi` : own
  // The fifth field of the stat line (of the target, for a link) is the size: the line's fields
  // are single-space separated and the first five are never empty.
  if (limit > 0)
    lines.push(
      code('    rmp_size=${rmp_line#* * * * }; rmp_size=${rmp_size%% *}'),
      sh`    if [ "$rmp_size" -le ${limit} ]; then printf 'content '; base64 -w0 < "$rmp_path"; echo; else echo toolarge; ${sum}; fi`,
    )
  else lines.push(sh`    ${sum}`)
  lines.push(code('    fi'), code('  fi'))
  if (o.access)
    lines.push(
      code(
        '  rmp_r=0; rmp_w=0; rmp_x=0; [ -r "$rmp_path" ] && rmp_r=1; [ -w "$rmp_path" ] && rmp_w=1; [ -x "$rmp_path" ] && rmp_x=1; echo "access $rmp_r $rmp_w $rmp_x"',
      ),
    )
  if (o.mime) {
    lines.push(
      code(
        o.mime === 'L'
          ? '  if command -v file >/dev/null 2>&1; then echo "mime $(file -b --mime -L -- "$rmp_path" 2>/dev/null)"; fi'
          : '  if command -v file >/dev/null 2>&1; then echo "mime $(file -b --mime -- "$rmp_path" 2>/dev/null)"; fi',
      ),
    )
    // The batch's shared lsattr line, when it has one (an existing path, not a link: both tests below hold).
    const at = vars.attrs
    lines.push(
      sh`  if [ -n "\${${at}-}" ]; then echo "attrs \$${at}"; elif ${code(o.mime === 'L' ? '[ -e "$rmp_path" ]' : '[ ! -L "$rmp_path" ]')} && command -v lsattr >/dev/null 2>&1; then rmp_attrs=$(lsattr -d -- "$rmp_path" 2>/dev/null) && echo "attrs $rmp_attrs"; fi`,
    )
  }
  lines.push(
    code('fi'),
    // dirname and the deepest existing ancestor, without forking.
    code('rmp_trim=$rmp_path; while [ "$rmp_trim" != / ] && [ "${rmp_trim%/}" != "$rmp_trim" ]; do rmp_trim=${rmp_trim%/}; done'),
    code('case "$rmp_trim" in */*) rmp_dir=${rmp_trim%/*}; [ -n "$rmp_dir" ] || rmp_dir=/ ;; *) rmp_dir=. ;; esac'),
    code('if [ -d "$rmp_dir" ]; then echo "parent directory"; elif [ -e "$rmp_dir" ]; then echo "parent other"; else echo "parent missing"; fi'),
    code('rmp_anc=$rmp_trim'),
    code('while [ ! -e "$rmp_anc" ] && [ ! -L "$rmp_anc" ] && [ "$rmp_anc" != / ] && [ "$rmp_anc" != . ]; do'),
    code('  case "$rmp_anc" in */*) rmp_anc=${rmp_anc%/*}; [ -n "$rmp_anc" ] || rmp_anc=/ ;; *) rmp_anc=. ;; esac'),
    code('done'),
    code('printf \'ancestor %s\\n\' "$rmp_anc"'),
    code('if [ -d "$rmp_anc" ]; then echo "ancestordir 1"; else echo "ancestordir 0"; fi'),
  )
  return {
    id: pathProbeId(path, o),
    script: joinScripts(lines),
    parse: (out) => parsePathState(path, out, o.checksum),
    sharedStat: shared,
    inline: { sets: PATH_VARS },
  }
}

/** The object the path designates for reading and attribute changes: the target of a link when following. */
export function effectiveStat(s: PathState, follow: boolean): FileStat | undefined {
  if (!s.stat) return undefined
  if (s.stat.type === 'link' && follow) return s.target
  return s.stat
}

export interface TreeEntry {
  type: FileType
  mode: string
  owner: string
  group: string
  uid: number
  gid: number
  count: number
}

/**
 * What a directory tree holds, grouped by (type, mode, owner, group) with counts: enough to decide
 * whether a recursive owner/group/mode change would change anything, without listing every file.
 */
export function treeProbeId(path: string): string {
  return `tree:${path}`
}

export function parseTree(out: ProbeOutput): TreeEntry[] {
  const entries: TreeEntry[] = []
  for (const line of out.stdout.split('\n')) {
    const m = /^\s*(\d+) (\S) (\d+) (\d+) (\d+) (\S+) (\S+)$/.exec(line)
    if (!m) continue
    const t: Record<string, FileType> = { f: 'file', d: 'directory', l: 'link', p: 'fifo', s: 'socket', c: 'char', b: 'block' }
    const uid = Number(m[4])
    const gid = Number(m[5])
    entries.push({
      count: Number(m[1]),
      type: t[m[2]!] ?? 'unknown',
      mode: m[3]!.padStart(4, '0'),
      uid,
      gid,
      owner: m[6] === 'UNKNOWN' ? String(uid) : m[6]!,
      group: m[7] === 'UNKNOWN' ? String(gid) : m[7]!,
    })
  }
  return entries
}

/** Everything below a directory (not the directory itself, not following links), grouped. */
export function treeProbe(path: string): Probe<TreeEntry[]> {
  // find's %u/%g print the number when there is no name; the names are mapped to UNKNOWN-free values.
  // -H: a symlinked top directory is followed, as the recursive changes (find -H) follow it.
  const script = sh`p=${path}; [ -d "$p" ] || exit 0; find -H "$p" -mindepth 1 -printf '%y %m %U %G %u %g\\n' 2>/dev/null | sort | uniq -c`
  return { id: treeProbeId(path), script, parse: parseTree }
}

/** Whether a real directory (not a link to one) at path has anything in it: reads one entry at most. */
export function emptyDirProbe(path: string): Probe<boolean | undefined> {
  const script = sh`p=${path}; if [ -d "$p" ] && [ ! -L "$p" ]; then if [ -z "$(find "$p" -mindepth 1 -maxdepth 1 -print -quit 2>/dev/null)" ]; then echo empty; else echo full; fi; fi`
  return { id: `emptydir:${path}`, script, parse: (o) => (o.stdout.trim() === 'empty' ? true : o.stdout.trim() === 'full' ? false : undefined) }
}

/** Is this content text we can diff (valid UTF-8, no NUL bytes)? */
export function isText(b: Buffer): boolean {
  if (b.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b)
    return true
  } catch {
    return false
  }
}
