/**
 * unarchive — unpack a .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst or .zip archive into an
 * existing directory on the host.
 *
 * `src` is an archive in the role's (or playbook's) files/ on the controller, sent to the host
 * with the extraction; with `remote_src: true` it is a path on the host (a URL is not
 * supported: download it with get_url first). `dest` must be an existing directory. The host
 * needs tar and the program of the compression (gzip, xz from xz-utils, bzip2, zstd), or unzip
 * for zip files — the task fails with the package to install when one is missing. Listing a
 * controller-side archive needs GNU tar on the controller (zip files are read directly).
 *
 * The archive's listing is compared with `dest`: every member must be there with the same type,
 * and files with the same size and (tar) modification time; then the task is ok and nothing is
 * extracted. `creates` skips the task (status skipped) when that path exists. `include` extracts only the listed
 * members (and what is under listed directories), `exclude` leaves out members matching these
 * patterns (shell wildcards; mutually exclusive with include). `extra_opts` are passed to tar or
 * unzip (`--strip-components=1` is not compared: it changes the paths). `owner`, `group` and
 * `mode` are applied to every extracted member (a symbolic mode like 'u=rwX,g=rX,o=' suits
 * directories and files alike). `list_files: true` returns the member names in `files`.
 *
 * Nothing is written outside `dest`, whatever the archive holds and whatever is already in
 * `dest`: the task fails, before extracting anything, when a member is an absolute path or holds a
 * `..`, when a member would go through a symbolic link (one the archive itself makes, or one
 * already in `dest`, such as `sub -> /tmp` left by another archive) or be written over one, and
 * when a hard link points outside or through a link. The links are checked when planning (so
 * check mode reports the failure) and again just before tar or unzip start. Symbolic links that
 * point outside `dest` may be unpacked (a link is not a write), but nothing is ever unpacked
 * through them. `extra_opts` that lift tar's or unzip's own protections (`-P`/`--absolute-names`,
 * `--keep-directory-symlink`, `-C`/`--directory`, `--transform`, `--overwrite`,
 * `--unlink-first`; unzip's `-:` and `-d`) are refused.
 *
 *   - unarchive:
 *       src: node_exporter-1.7.0.linux-amd64.tar.gz
 *       dest: /opt
 *       owner: root
 *
 *   - unarchive: { src: /srv/restore/media.zip, dest: /srv/runmaster/media, remote_src: true, creates: /srv/runmaster/media/.restored }
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { code, heredocBytes, joinScripts, sh, type Script } from '../shell/index.js'
import {
  DECOMPRESSOR,
  destEntriesProbe,
  formatOfMagic,
  parseTarListing,
  readZipMembers,
  remoteArchiveProbe,
  toolsProbe,
  topLevels,
  type ArchiveFormat,
  type ArchiveMember,
  type ArchiveState,
  type DestEntry,
} from '../probes/archive.js'
import { effectiveStat, pathProbe } from '../probes/files.js'
import { escapingMembers, pathsToCheck, unsafeExtraOptions } from './unarchive-safety.js'
import { attrOptions, chownArg, modeProblems, sameId, wantedMode } from './file-attrs.js'
import type { ArgsOf, Schema } from './schema.js'
import { ModuleFailure, needing, type Change, type HostModule, type PlanContext, type PrepareContext, type StateOf } from './types.js'

/** A controller-side archive, read and listed before anything touches the host. */
export interface LocalArchive {
  content: Buffer
  format: ArchiveFormat
  compression?: string
  members: ArchiveMember[]
  sha256: string
}

export interface UnarchivePrepared extends UnarchiveArgs {
  local?: LocalArchive
}

const TOOLS = ['tar', 'gzip', 'xz', 'bzip2', 'zstd', 'unzip'] as const

const schema = {
  options: {
    src: { type: 'path', required: true, doc: "The archive: a file in the role's files/ on the controller, or with remote_src a path on the host." },
    dest: { type: 'path', required: true, doc: 'Existing directory to unpack into.' },
    remote_src: { type: 'bool', default: false, doc: 'src is a path on the host, not on the controller.' },
    creates: { type: 'path', doc: 'Skip the task when this path exists on the host.' },
    extra_opts: { type: 'list', elements: 'str', default: [], doc: "More options for tar or unzip ('--no-same-owner', '-m')." },
    include: { type: 'list', elements: 'str', doc: 'Extract only these members (a directory: what is under it too).' },
    exclude: { type: 'list', elements: 'str', doc: 'Leave out members matching these shell patterns.' },
    list_files: { type: 'bool', default: false, doc: 'Return the member names in files.' },
    ...attrOptions,
  },
  mutuallyExclusive: [['include', 'exclude']],
} as const satisfies Schema
export type UnarchiveArgs = ArgsOf<typeof schema>

/** Shell pattern match as tar's --exclude does it: * and ? also match '/'. */
function globMatch(pattern: string, s: string): boolean {
  let re = '^'
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2)
      if (j < 0) re += '\\['
      else {
        re += `[${pattern
          .slice(i + 1, j)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = j
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`${re}$`).test(s)
}

/** tar's unanchored exclusion: a pattern matches a member or any directory above it, at any depth. */
export function excluded(name: string, patterns: string[]): boolean {
  if (!patterns.length) return false
  const parts = name.split('/')
  for (const raw of patterns) {
    const p = raw.replace(/^\.\//, '').replace(/\/+$/, '')
    for (let end = 1; end <= parts.length; end++) {
      for (let start = 0; start < end; start++) {
        if (globMatch(p, parts.slice(start, end).join('/'))) return true
      }
    }
  }
  return false
}

/** The members a run extracts: include (exact names, and what is under them) or all minus exclude. */
export function selectedMembers(members: ArchiveMember[], include: string[], exclude: string[]): ArchiveMember[] {
  if (include.length) {
    const inc = include.map((i) => i.replace(/^\.\//, '').replace(/\/+$/, ''))
    return members.filter((m) => inc.some((i) => m.name === i || m.name.startsWith(`${i}/`)))
  }
  return members.filter((m) => !excluded(m.name, exclude))
}

function formatOfName(name: string): { format: ArchiveFormat; compression?: string } | undefined {
  const n = name.toLowerCase()
  if (n.endsWith('.zip')) return { format: 'zip' }
  if (/\.(tar\.gz|tgz)$/.test(n)) return { format: 'tar', compression: 'gzip' }
  if (/\.(tar\.xz|txz)$/.test(n)) return { format: 'tar', compression: 'xz' }
  if (/\.(tar\.bz2|tbz2?)$/.test(n)) return { format: 'tar', compression: 'bzip2' }
  if (/\.(tar\.zst|tzst)$/.test(n)) return { format: 'tar', compression: 'zstd' }
  if (n.endsWith('.tar')) return { format: 'tar' }
  return undefined
}

/** Lists a controller-side tar with the controller's GNU tar (times in UTC; -P: names and link targets as stored, '../' and '/' included). */
function listLocalTar(path: string): ArchiveMember[] {
  try {
    const text = execFileSync('tar', ['-P', '--full-time', '--quoting-style=literal', '-tvf', path], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return parseTarListing(text)
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string }
    throw new ModuleFailure(
      `cannot list ${path} on the controller: ${String(err.stderr ?? err.message)
        .trim()
        .split('\n')
        .slice(-2)
        .join(' ')}`,
    )
  }
}

function prepare(a: UnarchiveArgs, ctx: PrepareContext): UnarchivePrepared {
  if (a.remote_src) return a
  const path = ctx.findFile('files', a.src)
  const content = ctx.readFile(path)
  const f = formatOfMagic(content.subarray(0, 6).toString('hex'))
  let members: ArchiveMember[]
  if (f.format === 'zip') {
    try {
      members = readZipMembers(content)
    } catch (e) {
      throw new ModuleFailure(`${path}: ${(e as Error).message}`)
    }
  } else members = listLocalTar(path)
  if (!members.length) throw new ModuleFailure(`${path} is empty or not an archive tar or unzip can read`)
  const local: LocalArchive = { content, format: f.format, members, sha256: createHash('sha256').update(content).digest('hex') }
  if (f.compression) local.compression = f.compression
  return { ...a, local }
}

const strip = (p: UnarchivePrepared) => stripComponents(p.extra_opts)

/** Where a controller-side archive's members land: the top-level paths under dest to look at. */
const localTops = (p: UnarchivePrepared, local: LocalArchive) =>
  // '..' and absolute names are refused by the plan: never a reason to list what is above dest.
  topLevels(destMembers(local.members, local.format === 'tar' ? strip(p) : 0).map((m) => m.name)).filter((t) => t !== '..' && t !== '')

function probes(p: UnarchivePrepared) {
  return {
    dest: pathProbe(p.dest),
    creates: p.creates !== undefined ? pathProbe(p.creates) : undefined,
    tools: toolsProbe(TOOLS),
    // A controller-side archive is listed here: only what it would put under dest is read.
    archive: p.local ? destEntriesProbe(p.dest, localTops(p, p.local)) : remoteArchiveProbe(p.src, p.dest, strip(p)),
  }
}
type UnarchiveState = StateOf<ReturnType<typeof probes>>

function archiveState(p: UnarchivePrepared, { archive }: UnarchiveState): ArchiveState {
  if (!p.local) return archive
  return { ...archive, format: p.local.format, ...(p.local.compression ? { compression: p.local.compression } : {}), members: p.local.members }
}

/** tar's --strip-components=N among the extra options (0 without). */
export function stripComponents(opts: string[]): number {
  for (let i = 0; i < opts.length; i++) {
    const m = /^--strip-components(?:=(\d+))?$/.exec(opts[i]!)
    if (m) return Number(m[1] ?? opts[i + 1] ?? 0)
  }
  return 0
}

/** Members as they land under dest: the first n path components dropped (those with fewer are not extracted). */
export function destMembers(members: ArchiveMember[], n: number): ArchiveMember[] {
  if (!n) return members
  return members.flatMap((m) => {
    const parts = m.name.split('/')
    if (parts.length <= n) return []
    // tar strips the targets of hard links too (they name members); symbolic links keep theirs.
    const target = m.type === 'hardlink' && m.target !== undefined ? m.target.split('/').slice(n).join('/') : m.target
    return [{ ...m, name: parts.slice(n).join('/'), ...(target !== undefined ? { target } : {}) }]
  })
}

/** Why a member differs from what is in dest, or undefined when it is there as the archive has it. */
export function memberDiffers(m: ArchiveMember, e: DestEntry | undefined, compareTimes: boolean): string | undefined {
  if (!e) return 'missing'
  const want = m.type === 'hardlink' ? 'file' : m.type
  if (want === 'other') return undefined
  if (e.type !== want) return `${e.type} instead of ${want}`
  if (m.type === 'file') {
    if (m.size !== undefined && e.size !== m.size) return `size ${e.size} ≠ ${m.size}`
    if (compareTimes && m.mtime !== undefined && Math.floor(e.mtime) !== m.mtime) return 'modification time differs'
  }
  return undefined
}

/** What owner/group/mode would change on a member that is there. */
function attrsDiffer(p: UnarchivePrepared, e: DestEntry, umask: number): string[] {
  const out: string[] = []
  if (p.owner !== undefined && !sameId(p.owner, e.owner, e.uid)) out.push(`owner ${e.owner}`)
  if (p.group !== undefined && !sameId(p.group, e.group, e.gid)) out.push(`group ${e.group}`)
  if (e.type !== 'link' && p.mode !== undefined) {
    const m = wantedMode(p.mode, e.mode, e.type === 'directory', umask)
    if (m !== undefined && m !== e.mode) out.push(`mode ${e.mode}`)
  }
  return out
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`

function excludeOpts(p: UnarchivePrepared, format: ArchiveFormat): string[] {
  const ex = p.exclude ?? []
  if (format === 'zip') return ex.length ? ['-x', ...ex] : []
  return ex.map((x) => `--exclude=${x}`)
}

/**
 * Refuses (exit 1, before anything is extracted) when one of these paths under "$dest" is a
 * symbolic link now: the plan checked the probe's view, this closes most of the window after it.
 */
function linkCheck(paths: string[]): Script {
  if (!paths.length) return code(':')
  const data = heredocBytes(paths.join('\n') + '\n', 'RMP_UNARCHIVE_PATHS')
  // One line: the here-document starts on the next one.
  return sh`${data.pipe} | while IFS= read -r p; do if [ -L "$dest/$p" ]; then printf 'refusing to extract: %s/%s is a symbolic link (unarchive never writes through links)\\n' "$dest" "$p" >&2; exit 1; fi; done\n${data.doc}`
}

/** Shell that extracts "$arc" into "$dest" and applies owner/group/mode to each extracted member. */
function extractScript(p: UnarchivePrepared, format: ArchiveFormat): Script {
  const include = p.include ?? []
  const ex = excludeOpts(p, format)
  const parts: Script[] = []
  if (format === 'zip') {
    parts.push(sh`unzip -o -q ${p.extra_opts} "$arc" ${include} ${ex} -d "$dest"`)
    parts.push(sh`members() { unzip -Z1 "$arc" ${include} ${ex}; }`)
  } else {
    const sel = [...ex, ...(include.length ? ['--', ...include] : [])]
    parts.push(sh`tar -x -f "$arc" -C "$dest" ${p.extra_opts} ${sel}`)
    parts.push(sh`members() { tar --quoting-style=literal -t -f "$arc" ${sel}; }`)
  }
  if (p.owner !== undefined || p.group !== undefined) {
    parts.push(sh`(cd "$dest" && members | sed 's#^#./#' | tr '\\n' '\\0' | xargs -0 -r chown -h -- ${chownArg(p.owner, p.group)})`)
  }
  if (p.mode !== undefined) {
    // Symlinks have no mode of their own (chmod would follow them): only what is not a link.
    parts.push(sh`(cd "$dest" && members | sed 's#^#./#' | tr '\\n' '\\0' | xargs -0 -r sh -c 'for f; do [ -L "$f" ] || chmod -- "$0" "$f"; done' ${p.mode})`)
  }
  return joinScripts(parts)
}

function plan(p: UnarchivePrepared, state: UnarchiveState, ctx: PlanContext): Change[] {
  const d = state.dest
  const destOk = effectiveStat(d, true)?.type === 'directory'
  const ar = archiveState(p, state)
  const tools = state.tools
  // What an earlier task may still make (dest, the archive, the tools): check mode says "may change".
  const maybe = (why: string, msg: string): Change[] => needing(msg, [{ summary: `unarchive ${p.src} into ${p.dest} (${why})`, steps: [] }])
  if (!destOk) {
    if (!d.exists) return maybe(`${p.dest} does not exist yet`, `dest '${p.dest}' must be an existing dir`)
    throw new ModuleFailure(`dest '${p.dest}' must be an existing dir`)
  }
  if (ar.missing) return maybe(`${p.src} does not exist yet`, `Source '${p.src}' does not exist`)
  const format = ar.format ?? 'tar'
  const needs = format === 'zip' ? { program: 'unzip', pkg: 'unzip' } : ar.compression ? DECOMPRESSOR[ar.compression]! : undefined
  const missing = [
    ...(format === 'tar' && !tools.includes('tar') ? [{ program: 'tar', pkg: 'tar' }] : []),
    ...(needs && !tools.includes(needs.program) ? [needs] : []),
  ]
  if (missing.length) {
    const msg = `${missing.map((m) => m.program).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed on the host: install ${missing.map((m) => m.pkg).join(' ')} to unpack ${p.src}`
    return maybe(msg, msg)
  }
  if (ar.error !== undefined) throw new ModuleFailure(`cannot list ${p.src} on the host: ${ar.error}`)
  const members = destMembers(selectedMembers(ar.members ?? [], p.include ?? [], p.exclude ?? []), format === 'tar' ? stripComponents(p.extra_opts) : 0)
  const unsafeOpts = unsafeExtraOptions(p.extra_opts, format)
  if (unsafeOpts.length)
    throw new ModuleFailure(
      `extra_opts ${unsafeOpts.join(' ')} would let ${format === 'zip' ? 'unzip' : 'tar'} write outside ${p.dest} or through links: refused`,
    )
  const escaping = escapingMembers(members, ar.entries)
  if (escaping.length) {
    const shown = escaping.slice(0, 10).join('; ') + (escaping.length > 10 ? `; … and ${escaping.length - 10} more` : '')
    throw new ModuleFailure(`refusing to unpack ${p.src} into ${p.dest}: nothing is written outside dest or through a symbolic link (${shown})`)
  }
  const compareTimes = format === 'tar' && !p.extra_opts.some((o) => o === '-m' || o === '--touch')
  const differ: string[] = []
  const attrs: string[] = []
  for (const m of members) {
    if (m.name === '.') continue
    const e = ar.entries[m.name]
    const why = memberDiffers(m, e, compareTimes)
    if (why) differ.push(`${m.name}: ${why}`)
    else if (e) {
      const a = attrsDiffer(p, e, d.umask)
      if (a.length) attrs.push(`${m.name}: ${a.join(', ')}`)
    }
  }
  if (!differ.length && !attrs.length) return []
  const script: Script[] = [sh`set -e\ndest=${p.dest}`]
  let stdin: Buffer | undefined
  if (p.local) {
    script.push(code('arc=$(mktemp "${TMPDIR:-/tmp}/rmp-unarchive.XXXXXXXX")\ntrap \'rm -f -- "$arc"\' EXIT\ncat > "$arc"'))
    stdin = p.local.content
  } else script.push(sh`arc=${p.src}`)
  script.push(linkCheck(pathsToCheck(members)), extractScript(p, format))
  const shown = (list: string[]) => list.slice(0, 20).join('\n') + (list.length > 20 ? `\n… and ${list.length - 20} more\n` : '\n')
  const after =
    [
      `extracted from ${p.src} (${plural(members.length, 'member')})`,
      ...(p.owner !== undefined ? [`owner: ${p.owner}`] : []),
      ...(p.group !== undefined ? [`group: ${p.group}`] : []),
      ...(p.mode !== undefined ? [`mode: ${p.mode}`] : []),
    ].join('\n') + '\n'
  const what = differ.length
    ? `${plural(differ.length, 'member')} of ${members.length} missing or different`
    : `owner/group/mode of ${plural(attrs.length, 'member')}`
  return [
    {
      summary: `unarchive ${p.src} into ${p.dest} (${what})`,
      steps: [{ kind: 'exec', script: joinScripts(script), ...(stdin ? { stdin } : {}) }],
      diff: { path: p.dest, before: shown(differ.length ? differ : attrs), after },
    },
  ]
}

export const unarchive: HostModule<UnarchiveArgs, UnarchivePrepared, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'unarchive',
  doc: 'Unpack a tar (plain, gz, xz, bz2, zst) or zip archive from the controller or the host into a directory.',
  args: schema,
  returns: {
    dest: 'the directory',
    src: 'the archive',
    handler: 'TgzArchive or ZipArchive',
    files: 'member names (list_files)',
    extract_results: 'rc, out and err of the extraction',
  },
  validate(a) {
    const errs: string[] = []
    if (typeof a.src === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(a.src))
      errs.push('src as a URL is not supported: download it with get_url, then unarchive with remote_src: true')
    if (typeof a.src === 'string' && !a.remote_src && /\.(rar|7z|gz|xz|bz2)$/i.test(a.src) && !formatOfName(a.src))
      errs.push(`${a.src} is not a tar or zip archive (only .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst and .zip are)`)
    errs.push(...modeProblems(a.mode))
    return errs
  },
  localFiles: (a) => (a.remote_src ? [] : [{ kind: 'files', name: a.src, arg: 'src' }]),
  prepare,
  probes,
  // As Ansible's unarchive action: before anything else, with its message.
  skip: (p, state) => (state.creates?.exists ? `skipped, since ${p.creates} exists` : undefined),
  plan,
  result(p, state, outputs) {
    const ar = archiveState(p, state)
    const members = ar.members ? selectedMembers(ar.members, p.include ?? [], p.exclude ?? []) : []
    const last = outputs[outputs.length - 1]
    return {
      dest: p.dest,
      src: p.src,
      handler: ar.format === 'zip' ? 'ZipArchive' : 'TgzArchive',
      ...(p.list_files ? { files: members.map((m) => m.name) } : {}),
      ...(last ? { extract_results: { rc: last.code, out: last.stdout, err: last.stderr } } : {}),
    }
  },
}
