// Downloads and archives: which programs a host has (curl, wget, python3; tar, xz, unzip ...), the
// download commands get_url's steps and probes share, the checksum of what a URL serves now, and
// archive listings (GNU tar's and unzip's verbose listings, and zip central directories read on
// the controller) with the state of each member under the destination.
import { code, heredocBytes, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
import { octal } from './files.js'

// ---- programs ----

export function toolsProbeId(names: readonly string[]): string {
  return `tools:${names.join(',')}`
}

/** Which of these programs are on the host's PATH. */
export function toolsProbe(names: readonly string[]): Probe<string[]> {
  const script = sh`for t in ${names}; do command -v "$t" >/dev/null 2>&1 && printf '%s\\n' "$t"; done; :`
  return { id: toolsProbeId(names), script, parse: parseTools }
}

export function parseTools(out: ProbeOutput): string[] {
  return out.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
}

// ---- downloads ----

export type Downloader = 'curl' | 'wget' | 'python3'
export const DOWNLOADERS: readonly Downloader[] = ['curl', 'wget', 'python3']

export interface DownloadOptions {
  url: string
  headers: Record<string, string>
  timeout: number
  validateCerts: boolean
  username?: string
  password?: string
}

/** curl's config syntax: a double-quoted string with backslash escapes. */
function curlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

const PY_DOWNLOAD = `import base64, json, shutil, ssl, sys, urllib.error, urllib.request
a = json.load(sys.stdin)
h = dict(a.get("headers") or {})
if a.get("user") is not None:
    h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (a["user"], a.get("password") or "")).encode()).decode()
ctx = None if a.get("validate_certs", True) else ssl._create_unverified_context()
try:
    r = urllib.request.urlopen(urllib.request.Request(a["url"], headers=h), timeout=a["timeout"], context=ctx)
    with open(sys.argv[1], "wb") as f:
        shutil.copyfileobj(r, f)
    print("status_code=%d" % (getattr(r, "status", None) or 200))
except urllib.error.HTTPError as e:
    print("status_code=%d" % e.code)
    sys.stderr.write("Request failed: HTTP Error %d: %s\\n" % (e.code, e.reason))
    sys.exit(22)
except Exception as e:
    sys.stderr.write("Request failed: %s\\n" % e)
    sys.exit(1)
`

/**
 * A shell command that downloads the URL into "$tmp" with one program, printing `status_code=N`,
 * and what it reads on stdin: the options, credentials included, so that no secret is ever on a
 * command line (visible to every user of the host in ps).
 */
export function downloadCommand(tool: Downloader, o: DownloadOptions): { cmd: Script; stdin: string } {
  switch (tool) {
    case 'curl': {
      const conf = [
        `url = ${curlString(o.url)}`,
        'silent',
        'show-error',
        'fail',
        'location',
        `connect-timeout = ${o.timeout}`,
        // Ansible's timeout is per socket operation: abort a transfer that stalls that long.
        `speed-time = ${o.timeout}`,
        'speed-limit = 1',
        `write-out = ${curlString('status_code=%{http_code}\\n')}`,
        ...(o.validateCerts ? [] : ['insecure']),
        ...(o.username !== undefined ? [`user = ${curlString(`${o.username}:${o.password ?? ''}`)}`] : []),
        ...Object.entries(o.headers).map(([k, v]) => `header = ${curlString(`${k}: ${v}`)}`),
      ]
      return { cmd: code('curl -K - -o "$tmp"'), stdin: conf.join('\n') + '\n' }
    }
    case 'wget': {
      const conf = [
        `timeout = ${o.timeout}`,
        'tries = 1',
        'server_response = on',
        ...(o.validateCerts ? [] : ['check_certificate = off']),
        ...(o.username !== undefined ? [`user = ${o.username}`, `password = ${o.password ?? ''}`, 'auth_no_challenge = on'] : []),
        ...Object.entries(o.headers).map(([k, v]) => `header = ${k}: ${v}`),
      ]
      // wget reads no config from a pipe: a 0600 file beside the download, removed at once.
      const cmd = joinScripts([
        code('(umask 077; cat > "$tmp.rc")'),
        sh`if wget -nv --config="$tmp.rc" -O "$tmp" -- ${o.url} 2>"$tmp.err"; then rc=0; else rc=$?; fi`,
        code('rm -f -- "$tmp.rc"'),
        code(`sed -n 's/^ *HTTP\\/[0-9.]* \\([0-9][0-9]*\\).*/status_code=\\1/p' "$tmp.err" | tail -n 1`),
        code(`if [ $rc != 0 ]; then grep -v '^  ' "$tmp.err" >&2; rm -f -- "$tmp.err"; exit $rc; fi`),
        code('rm -f -- "$tmp.err"'),
      ])
      return { cmd, stdin: conf.join('\n') + '\n' }
    }
    case 'python3': {
      const payload = { url: o.url, headers: o.headers, timeout: o.timeout, validate_certs: o.validateCerts, user: o.username, password: o.password }
      return { cmd: sh`python3 -c ${PY_DOWNLOAD} "$tmp"`, stdin: JSON.stringify(payload) + '\n' }
    }
  }
}

export interface RemoteChecksum {
  sum?: string
  error?: string
  status?: number
}

export function remoteChecksumProbeId(o: DownloadOptions, algorithm: string): string {
  return `urlsum:${algorithm}:${JSON.stringify({ ...o, password: undefined })}`
}

/**
 * What the URL serves now, as a checksum: downloaded into a temp file that is removed again.
 * Only for requests without credentials: a probe's script is a command line on the host.
 */
export function remoteChecksumProbe(o: DownloadOptions, algorithm: string): Probe<RemoteChecksum> {
  if (o.password !== undefined) throw new Error('remoteChecksumProbe: no credentials in probes')
  if (!/^(md5|sha1|sha224|sha256|sha384|sha512)$/.test(algorithm)) throw new Error(`remoteChecksumProbe: unknown algorithm ${algorithm}`)
  const script = joinScripts([
    code('tmp=$(mktemp) || exit 0'),
    code('trap \'rm -f -- "$tmp" "$tmp.err" "$tmp.rc" "$tmp.msg"\' EXIT'),
    sh`${downloadWithAnyTool(o, code('echo "error=no curl, wget or python3 on the host"; exit 0'))} 2>"$tmp.msg" && printf 'sum=%s\\n' "$(${`${algorithm}sum`} < "$tmp" | cut -d' ' -f1)" || sed 's/^/error=/' "$tmp.msg"`,
  ])
  return { id: remoteChecksumProbeId(o, algorithm), script, parse: parseRemoteChecksum }
}

/**
 * `{ if ... fi; }`: downloads the URL into "$tmp" with the first of curl, wget and python3 the host
 * has (`noTool` otherwise), printing `status_code=N`. The options reach the download command as
 * base64 in a here-document: no byte of a URL or a header can end the document early.
 */
export function downloadWithAnyTool(o: DownloadOptions, noTool: Script): Script {
  const branch = (tool: Downloader): Script => {
    const d = downloadCommand(tool, o)
    const data = heredocBytes(d.stdin, 'RMP_GET_URL_EOF')
    // A function first: the here-document must start on the line after a complete command.
    return sh`rmp_download() {\n${d.cmd}\n}\n${data.pipe} | rmp_download\n${data.doc}`
  }
  return joinScripts([
    code('{ if command -v curl >/dev/null 2>&1; then'),
    branch('curl'),
    code('elif command -v wget >/dev/null 2>&1; then'),
    branch('wget'),
    code('elif command -v python3 >/dev/null 2>&1; then'),
    branch('python3'),
    code('else'),
    noTool,
    code('fi; }'),
  ])
}

export function parseRemoteChecksum(out: ProbeOutput): RemoteChecksum {
  const r: RemoteChecksum = {}
  const errors: string[] = []
  for (const line of out.stdout.split('\n')) {
    if (line.startsWith('sum=')) r.sum = line.slice(4)
    else if (line.startsWith('status_code=')) r.status = Number(line.slice(12))
    else if (line.startsWith('error=')) errors.push(line.slice(6))
  }
  if (!r.sum) r.error = errors.filter((e) => e.trim()).join('\n') || 'download failed'
  return r
}

/** The file name a URL names (its last path segment), as get_url uses it when dest is a directory. */
export function urlFileName(url: string): string | undefined {
  let path: string
  try {
    path = new URL(url).pathname
  } catch {
    return undefined
  }
  const last = path.split('/').pop() ?? ''
  let name: string
  try {
    name = decodeURIComponent(last)
  } catch {
    name = last
  }
  return name === '' || name === '.' || name === '..' || name.includes('/') ? undefined : name
}

// ---- archives ----

export type ArchiveFormat = 'tar' | 'zip'
export type MemberType = 'file' | 'directory' | 'link' | 'hardlink' | 'other'

export interface ArchiveMember {
  /** Path inside the archive, without a leading ./ or trailing / ('.' for the top). */
  name: string
  type: MemberType
  /** Bytes of a regular file (not known for links and hard links). */
  size?: number
  /** Modification time, seconds since the epoch (tar only: zip times have no time zone). */
  mtime?: number
  /** Permission bits from the archive, four octal digits. */
  mode?: string
  /** What a link points to, as stored (symbolic links: tar only; hard links: a member name). */
  target?: string
}

/** Strips what tar and unzip put around names: ./ in front, / behind. */
export function memberName(raw: string): string {
  let n = raw
  while (n.startsWith('./')) n = n.slice(2)
  n = n.replace(/\/+$/, '')
  return n === '' ? '.' : n
}

function permOctal(perm: string): string {
  // rwxrwxrwx with s/S/t/T for the special bits, as ls -l writes them.
  let bits = 0
  const p = perm.padEnd(9, '-')
  const set = (i: number, v: number) => {
    if (p[i] !== '-' && p[i] !== 'S' && p[i] !== 'T') bits |= v
  }
  ;(set(0, 0o400), set(1, 0o200), set(2, 0o100), set(3, 0o40), set(4, 0o20), set(5, 0o10), set(6, 0o4), set(7, 0o2), set(8, 0o1))
  if ('sS'.includes(p[2]!)) bits |= 0o4000
  if ('sS'.includes(p[5]!)) bits |= 0o2000
  if ('tT'.includes(p[8]!)) bits |= 0o1000
  return octal(bits)
}

const TAR_LINE = /^([-dlhcbpsC])([-rwxsStT]{9})\s+(\S+)\s+(\d+|\d+,\s*\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?)\s(.*)$/

/** Parses GNU tar's `--full-time --quoting-style=literal -tv` listing, run with TZ=UTC. */
export function parseTarListing(text: string): ArchiveMember[] {
  const out: ArchiveMember[] = []
  for (const line of text.split('\n')) {
    const m = TAR_LINE.exec(line)
    if (!m) continue
    const t = m[1]!
    let name = m[6]!
    let target: string | undefined
    const sep = t === 'l' ? ' -> ' : t === 'h' ? ' link to ' : undefined
    if (sep && name.includes(sep)) {
      target = name.slice(name.indexOf(sep) + sep.length)
      name = name.slice(0, name.indexOf(sep))
    }
    const type: MemberType = t === '-' || t === 'C' ? 'file' : t === 'd' ? 'directory' : t === 'l' ? 'link' : t === 'h' ? 'hardlink' : 'other'
    const time = m[5]!.length === 16 ? `${m[5]}:00` : m[5]!
    const member: ArchiveMember = { name: memberName(name), type, mtime: Date.parse(`${time.replace(' ', 'T')}Z`) / 1000, mode: permOctal(m[2]!) }
    if (type === 'file') member.size = Number(m[4])
    if (target !== undefined) member.target = type === 'hardlink' ? memberName(target) : target
    out.push(member)
  }
  return out
}

const ZIP_LINE = /^(\S+)\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\d+\s+\S+\s+(\d{8}\.\d{6})\s(.*)$/

/** Parses `unzip -Z -l -T` (zipinfo's long listing with sortable times). */
export function parseZipListing(text: string): ArchiveMember[] {
  const out: ArchiveMember[] = []
  for (const line of text.split('\n')) {
    const m = ZIP_LINE.exec(line)
    if (!m) continue
    const perm = m[1]!
    const raw = m[4]!
    const type: MemberType = raw.endsWith('/') || perm.startsWith('d') ? 'directory' : perm.startsWith('l') ? 'link' : 'file'
    const member: ArchiveMember = { name: memberName(raw), type }
    if (/^[-dl][-rwxsStT]{9}$/.test(perm)) member.mode = permOctal(perm.slice(1))
    if (type === 'file') member.size = Number(m[2])
    out.push(member)
  }
  return out
}

/** Reads a zip file's central directory (on the controller: no unzip needed there). */
export function readZipMembers(buf: Buffer): ArchiveMember[] {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)')
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const out: ArchiveMember[] = []
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory')
    const madeBy = buf.readUInt16LE(p + 4) >> 8
    const size = buf.readUInt32LE(p + 24)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const ext = buf.readUInt32LE(p + 38)
    const raw = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    const unixMode = madeBy === 3 ? ext >>> 16 : 0
    const fmt = unixMode & 0o170000
    const type: MemberType = raw.endsWith('/') || fmt === 0o040000 ? 'directory' : fmt === 0o120000 ? 'link' : 'file'
    const member: ArchiveMember = { name: memberName(raw), type }
    if (unixMode) member.mode = octal(unixMode)
    // 0xffffffff: the real size is in a zip64 extra field; not compared then.
    if (type === 'file' && size !== 0xffffffff) member.size = size
    out.push(member)
    p += 46 + nameLen + extraLen + commentLen
  }
  return out
}

/** The archive format from the first bytes: zip, or (compressed or not) tar. */
export function formatOfMagic(hex: string): { format: ArchiveFormat; compression?: 'gzip' | 'xz' | 'bzip2' | 'zstd' } {
  const h = hex.toLowerCase()
  if (h.startsWith('504b0304') || h.startsWith('504b0506')) return { format: 'zip' }
  if (h.startsWith('1f8b')) return { format: 'tar', compression: 'gzip' }
  if (h.startsWith('fd377a585a00')) return { format: 'tar', compression: 'xz' }
  if (h.startsWith('425a68')) return { format: 'tar', compression: 'bzip2' }
  if (h.startsWith('28b52ffd')) return { format: 'tar', compression: 'zstd' }
  return { format: 'tar' }
}

/** The program each compression needs besides tar (the Debian package in parentheses). */
export const DECOMPRESSOR: Record<string, { program: string; pkg: string }> = {
  gzip: { program: 'gzip', pkg: 'gzip' },
  xz: { program: 'xz', pkg: 'xz-utils' },
  bzip2: { program: 'bzip2', pkg: 'bzip2' },
  zstd: { program: 'zstd', pkg: 'zstd' },
}

export interface DestEntry {
  type: 'file' | 'directory' | 'link' | 'other'
  mode: string
  size: number
  mtime: number
  uid: number
  gid: number
  owner: string
  group: string
}

/** find -printf: type, mode, size, mtime, ids, names, then a tab and the path. */
const FIND_FMT = '%y %m %s %T@ %U %G %u %g\\t%p\\n'

/** Parses FIND_FMT lines into relative member names (./ stripped) → what is there. */
export function parseDestEntries(text: string): Record<string, DestEntry> {
  const out: Record<string, DestEntry> = {}
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t')
    if (tab < 0) continue
    const f = line.slice(0, tab).split(' ')
    if (f.length < 8) continue
    const t = f[0]!
    const uid = Number(f[4])
    const gid = Number(f[5])
    out[memberName(line.slice(tab + 1))] = {
      type: t === 'f' ? 'file' : t === 'd' ? 'directory' : t === 'l' ? 'link' : 'other',
      mode: f[1]!.padStart(4, '0'),
      size: Number(f[2]),
      mtime: Number(f[3]),
      uid,
      gid,
      owner: f[6] === '' ? String(uid) : f[6]!,
      group: f.slice(7).join(' ') || String(gid),
    }
  }
  return out
}

export interface ArchiveState {
  /** The archive file is not there (remote_src). */
  missing?: boolean
  format?: ArchiveFormat
  compression?: string
  members?: ArchiveMember[]
  /** Listing the archive failed (a missing program, a corrupt file): the message. */
  error?: string
  /** Member paths under dest → what is there now. */
  entries: Record<string, DestEntry>
}

/** The top-level entries of a member list: find starts there (few paths, however many members). */
export function topLevels(names: string[]): string[] {
  return [...new Set(names.map((n) => n.split('/')[0]!))].sort()
}

export function destEntriesProbeId(dest: string, tops: string[]): string {
  return `unarchive-dest:${dest}:${JSON.stringify(tops)}`
}

/** What is under dest at the archive's top-level entries (for an archive listed on the controller). */
export function destEntriesProbe(dest: string, tops: string[]): Probe<ArchiveState> {
  // ./ in front: a name like "-x" or "!" is a path to find, never an option or operator. find does
  // not follow links: a link where the archive has a directory shows as a link (type l).
  const paths = tops.includes('.') ? ['.'] : tops.map((t) => `./${t}`)
  const script = sh`cd -- ${dest} 2>/dev/null || exit 0
find ${paths} -printf ${FIND_FMT} 2>/dev/null; :`
  return { id: destEntriesProbeId(dest, tops), script, parse: (o) => ({ entries: parseDestEntries(o.stdout) }) }
}

export function remoteArchiveProbeId(src: string, dest: string, strip = 0): string {
  return `unarchive-remote:${src}:${dest}:${strip}`
}

/**
 * An archive on the host: its format (from its first bytes), its listing, and what is under dest
 * at each member's path.
 */
export function remoteArchiveProbe(src: string, dest: string, strip = 0): Probe<ArchiveState> {
  // Members land under dest without their first `strip` path components (tar --strip-components).
  const stripSed = strip > 0 ? sh` | sed -nE ${`s#^([^/]+/){${strip}}(.+)$#\\2#p`}` : code('')
  // tar -P lists names and hard link targets as stored ('../x', '/etc/x'): the plan refuses them.
  // Each member and every directory above it: a link on the way (dest/sub -> /tmp) shows as a
  // link, not as what it points to.
  const withParents = code(`awk -F/ '{ p = $1; print p; for (i = 2; i <= NF; i++) { p = p "/" $i; print p } }' | sort -u`)
  const script = sh`src=${src}; dest=${dest}
[ -f "$src" ] || { echo "@missing"; exit 0; }
printf '@magic %s\\n' "$(head -c 6 -- "$src" | od -An -tx1 | tr -d ' \\n')"
export TZ=UTC LC_ALL=C
if [ "$(head -c 2 -- "$src")" = PK ]; then
  command -v unzip >/dev/null 2>&1 || { echo "@error unzip is not installed on the host"; exit 0; }
  if ! l=$(unzip -Z -l -T "$src" 2>&1); then printf '%s\\n' "$l" | sed 's/^/@error /'; exit 0; fi
  echo "@list"; printf '%s\\n' "$l"; names() { unzip -Z1 "$src"; }
else
  if ! l=$(tar -P --full-time --quoting-style=literal -tvf "$src" 2>&1); then printf '%s\\n' "$l" | sed 's/^/@error /'; exit 0; fi
  echo "@list"; printf '%s\\n' "$l"; names() { tar -P --quoting-style=literal -tf "$src"; }
fi
echo "@dest"
cd -- "$dest" 2>/dev/null && names | sed 's#^\\(\\./\\)*##; s#/*$##' | grep -v '^$'${stripSed} | ${withParents} | sed 's#^#./#' | tr '\\n' '\\0' | xargs -0 -r sh -c 'exec find "$@" -maxdepth 0 -printf "$0"' ${FIND_FMT} 2>/dev/null; :`
  return { id: remoteArchiveProbeId(src, dest, strip), script, parse: parseRemoteArchive }
}

export function parseRemoteArchive(out: ProbeOutput): ArchiveState {
  const st: ArchiveState = { entries: {} }
  const lines = out.stdout.split('\n')
  if (lines.includes('@missing')) return { missing: true, entries: {} }
  const errors = lines.filter((l) => l.startsWith('@error ')).map((l) => l.slice(7))
  const magic = lines.find((l) => l.startsWith('@magic '))?.slice(7) ?? ''
  const f = formatOfMagic(magic)
  st.format = f.format
  if (f.compression) st.compression = f.compression
  if (errors.length) {
    st.error = errors.filter((e) => e.trim()).join('\n') || 'cannot list the archive'
    return st
  }
  const li = lines.indexOf('@list')
  const di = lines.indexOf('@dest')
  if (li < 0 || di < 0) throw new Error(`unexpected output: ${out.stdout.slice(0, 200)}`)
  const listing = lines.slice(li + 1, di).join('\n')
  st.members = f.format === 'zip' ? parseZipListing(listing) : parseTarListing(listing)
  st.entries = parseDestEntries(lines.slice(di + 1).join('\n'))
  return st
}
