/**
 * file — make a path a file, directory, symlink or hard link with the wanted owner, group and
 * mode, or remove it, or touch it.
 *
 * `state`:
 *   - `file` (the default for a path that exists as a file): only owner/group/mode/times of an
 *     existing file; a missing file is an error (use copy, template or `touch` to create one).
 *   - `directory`: creates the directory and any missing parents (each created one gets owner,
 *     group and mode); with `recurse: true` owner/group/mode apply to everything inside too.
 *   - `link` / `hard`: a symbolic / hard link at `path` pointing to `src` (a relative `src` of a
 *     symlink is relative to the link's directory; a hard link needs an absolute `src`). An
 *     existing file or empty directory is replaced only with `force: true`.
 *   - `absent`: removes the path (a directory with everything in it).
 *   - `touch`: creates an empty file if missing (mode 0600 until owner and mode are set), and
 *     updates its times (`modification_time`/`access_time`, default `now` — so it always changes).
 * `owner`, `group`, `mode` (octal `'0750'` or symbolic `u=rwX,g=rX,o=`), `follow` (default true:
 * attributes of a symlink's target), `modification_time` / `access_time` (`now`, `preserve` or a
 * time like `202401311200.00` in `*_time_format`, default `%Y%m%d%H%M.%S`).
 * Not supported: `attributes` (chattr), SELinux options, `unsafe_writes`; recursion never follows
 * symlinks found inside the tree (their ownership is changed, not their targets').
 *
 * Symlinks are never followed by surprise: owner, group and mode are set by a small perl program
 * (perl-base is Essential on Debian) that opens the path with O_PATH|O_NOFOLLOW and changes the
 * opened file, so a path that was a file or directory when read and is a symlink when the change is
 * applied (swapped in by another user) fails the task and what the link points to is untouched; a
 * symlink itself (`state: link`, or `follow: false` on a link) gets `chown -h`. Links are made in a
 * private temp directory beside `path` (mktemp -d: random name, created exclusively) and renamed
 * over it; `touch` creates a missing file exclusively (O_EXCL), 0600 until owner and mode are set.
 *
 *   - file: { path: /opt/runmaster/releases, state: directory, owner: runmaster, group: runmaster, mode: '0750' }
 *   - file: { path: /opt/runmaster/current, src: /opt/runmaster/releases/42, state: link }
 *   - file: { path: /opt/runmaster/shared, state: directory, recurse: true, owner: runmaster, mode: 'u=rwX,g=rX,o=' }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import {
  STAT_FORMAT,
  effectiveStat,
  emptyDirProbe,
  parseStatLine,
  pathProbe,
  treeProbe,
  type FileStat,
  type PathState,
  type TreeEntry,
} from '../probes/files.js'
import {
  attrChange,
  attrOptions,
  chownArg,
  defaultMode,
  missing,
  modeProblems,
  newAttrsText,
  newDirCmds,
  octal,
  planAttrs,
  sameId,
  setAttrs,
  setAttrsPrefix,
  wantedMode,
  type AttrArgs,
  type AttrPlan,
} from './file-attrs.js'
import { childPath, dirsBetween, parentDir, privateTempBeside } from '../shell/remote-path.js'
import { ModuleFailure, type Change, type ExecStep, type HostModule, type PlanContext, type Probe, type StateOf, type StepOutput } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type FileState = 'absent' | 'directory' | 'file' | 'hard' | 'link' | 'touch'

export type FileArgs = ArgsOf<typeof schema>

const STAT_MARK = '@@rmp-stat '

/** Where a symlink's src is looked for: relative to the link's directory. */
function linkSource(a: Pick<FileArgs, 'path' | 'src'>): string | undefined {
  if (a.src === undefined) return undefined
  return a.src.startsWith('/') ? a.src : childPath(parentDir(a.path), a.src)
}

/** Converts a time in a strftime-like format (%Y %m %d %H %M %S) to 'YYYY-MM-DD HH:MM:SS'. */
export function parseStamp(value: string, format: string): string | undefined {
  const fields: string[] = []
  let re = '^'
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!
    if (c === '%' && i + 1 < format.length) {
      const f = format[++i]!
      if (f === '%') re += '%'
      else if ('YmdHMS'.includes(f)) {
        fields.push(f)
        re += f === 'Y' ? '(\\d{4})' : '(\\d{1,2})'
      } else return undefined
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  const m = new RegExp(`${re}$`).exec(value)
  if (!m) return undefined
  const v: Record<string, string> = { Y: '1970', m: '01', d: '01', H: '00', M: '00', S: '00' }
  fields.forEach((f, i) => (v[f] = m[i + 1]!.padStart(2, '0')))
  return `${v.Y}-${v.m}-${v.d} ${v.H}:${v.M}:${v.S}`
}

function epochProbe(stamp: string): Probe<number> {
  return { id: `epoch:${stamp}`, script: sh`date -d ${stamp} +%s`, parse: (o) => Number(o.stdout.trim()) }
}

type TimeWish = { kind: 'now' } | { kind: 'preserve' } | { kind: 'at'; stamp: string }

function timeWish(value: string | undefined, format: string, state: FileState): TimeWish {
  const v = value ?? (state === 'touch' ? 'now' : 'preserve')
  if (v === 'now') return { kind: 'now' }
  if (v === 'preserve') return { kind: 'preserve' }
  const stamp = parseStamp(v, format)
  if (!stamp) throw new ModuleFailure(`cannot read time '${v}' with format '${format}'`)
  return { kind: 'at', stamp }
}

function stateOf(st: FileStat | undefined): string {
  if (!st) return 'absent'
  if (st.type === 'file') return st.nlink > 1 ? 'hard' : 'file'
  return st.type
}

/** The wanted state when none is given: what the path is now (or `file`), `directory` with recurse. */
function effectiveState(a: FileArgs, s: PathState): FileState {
  if (a.state) return a.state
  if (a.recurse) return 'directory'
  const cur = stateOf(a.follow ? (effectiveStat(s, true) ?? s.stat) : s.stat)
  if (cur === 'absent') return 'file'
  if (cur === 'directory' || cur === 'link' || cur === 'hard' || cur === 'file') return cur
  return 'file'
}

function statScript(path: string, follow: boolean): Script {
  return sh`printf '%s%s\\n' ${STAT_MARK} "$(stat ${code(follow ? '-L ' : '')}-c ${STAT_FORMAT} -- ${path} 2>/dev/null)"`
}

function exec(cmds: Script[], statOf?: { path: string; follow: boolean }): ExecStep {
  const lines = [code('set -e'), ...cmds]
  if (statOf) lines.push(statScript(statOf.path, statOf.follow))
  return { kind: 'exec', script: joinScripts(lines) }
}

function isoTime(t: number | undefined): string {
  return t === undefined ? '-' : new Date(Math.floor(t) * 1000).toISOString().replace('.000Z', 'Z')
}

// touch -h: a path that became a symlink since it was read gets the new times itself, its target none.
function timeCmds(path: string, st: FileStat | undefined, mt: TimeWish, at: TimeWish, epochs: { mtime?: number; atime?: number }): AttrPlan {
  const cmds: Script[] = []
  const parts: string[] = []
  let before = ''
  let after = ''
  for (const [w, flag, cur, name, epoch] of [
    [mt, '-m', st?.mtime, 'modification time', epochs.mtime],
    [at, '-a', st?.atime, 'access time', epochs.atime],
  ] as const) {
    if (w.kind === 'now') {
      cmds.push(sh`touch -h ${flag} -- ${path}`)
      parts.push(`${name} now`)
      before += `${name}: ${isoTime(cur)}\n`
      after += `${name}: now\n`
    } else if (w.kind === 'at') {
      if (cur === undefined || Math.floor(cur) !== epoch) {
        cmds.push(sh`touch -h ${flag} -d ${w.stamp} -- ${path}`)
        parts.push(`${name} ${w.stamp}`)
        before += `${name}: ${isoTime(cur)}\n`
        after += `${name}: ${isoTime(epoch)}\n`
      }
    }
  }
  return { cmds, parts, before, after }
}

/** Entries of a tree whose owner/group/mode differ from the wish, as commands that fix them. */
export function planTree(path: string, tree: TreeEntry[], a: AttrArgs, umask: number): { cmds: Script[]; count: number } {
  const cmds: Script[] = []
  const p = path
  const differs = new Set<TreeEntry>()
  const wrongOwner = tree.filter(
    (e) => (a.owner !== undefined && !sameId(a.owner, e.owner, e.uid)) || (a.group !== undefined && !sameId(a.group, e.group, e.gid)),
  )
  if (wrongOwner.length) {
    wrongOwner.forEach((e) => differs.add(e))
    const tests = [a.owner !== undefined ? sh`! -user ${a.owner}` : undefined, a.group !== undefined ? sh`! -group ${a.group}` : undefined].filter(
      (t): t is Script => t !== undefined,
    )
    // chown clears setuid/setgid bits, so ownership goes first and modes after.
    cmds.push(sh`find -H ${p} -mindepth 1 \\( ${joinScripts(tests, ' -o ')} \\) -exec chown -h -- ${chownArg(a.owner, a.group)} {} +`)
  }
  if (a.mode !== undefined) {
    const seen = new Set<string>()
    for (const e of tree) {
      if (e.type === 'link') continue
      const want = wantedMode(a.mode, e.mode, e.type === 'directory', umask)!
      if (want === e.mode) continue
      differs.add(e)
      const key = `${e.type === 'directory' ? 'd' : '!d'}:${e.mode}`
      if (seen.has(key)) continue
      seen.add(key)
      // Not chmod: an entry swapped for a symlink after find looked at it must not be followed.
      cmds.push(
        sh`find -H ${p} -mindepth 1 ${code(e.type === 'directory' ? '-type d' : '! -type d ! -type l')} -perm ${e.mode} -exec ${setAttrsPrefix(undefined, undefined, want)} {} +`,
      )
    }
  }
  return { cmds, count: [...differs].reduce((n, e) => n + e.count, 0) }
}

function fail(msg: string, path: string): never {
  throw new ModuleFailure(msg, { path })
}

function planAbsent(a: FileArgs, s: PathState): Change[] {
  if (!s.exists) return []
  const what = stateOf(s.stat)
  return [
    {
      summary: `remove ${a.path}${what === 'directory' ? ' (directory, recursively)' : ''}`,
      steps: [exec([sh`rm -rf -- ${a.path}`])],
      diff: { path: a.path, before: `state: ${what}\n`, after: 'state: absent\n' },
    },
  ]
}

function withAttrs(a: FileArgs, path: string, st: FileStat, umask: number, link: boolean, times: AttrPlan, statFollow: boolean): Change[] {
  const p = planAttrs(path, st, a, { umask, link })
  const both: AttrPlan = {
    cmds: [...p.cmds, ...times.cmds],
    parts: [...p.parts, ...times.parts],
    before: p.before + times.before,
    after: p.after + times.after,
  }
  const fix = attrChange(path, both, [statScript(path, statFollow)])
  return fix ? [fix] : []
}

function planDirectory(a: FileArgs, s: PathState, state: FileProbeState, mt: TimeWish, at: TimeWish): Change[] {
  let path = a.path
  let st = s.stat
  if (st?.type === 'link') {
    if (a.follow && s.target?.type === 'directory') {
      path = s.real ?? a.path
      st = s.target
    } else fail(`${a.path} already exists as a link${s.target ? ` to a ${s.target.type}` : ' (dangling)'}`, a.path)
  }
  if (st && st.type !== 'directory') fail(`${a.path} already exists as a ${stateOf(st)}`, a.path)
  if (!st) {
    // Create every missing component, each with the wanted owner, group and mode.
    const anc = s.ancestor
    if (!s.ancestorIsDir) fail(`cannot create ${a.path}: ${anc} is not a directory`, a.path)
    const comps = dirsBetween(anc, a.path)
    const mode = wantedMode(a.mode, undefined, true, s.umask)
    const cmds = newDirCmds(comps, a, mode)
    const times = timeCmds(a.path, undefined, mt, at, state)
    cmds.push(...times.cmds)
    const extra = [mode !== undefined ? `mode ${mode}` : '', a.owner !== undefined ? `owner ${a.owner}` : '', a.group !== undefined ? `group ${a.group}` : '']
      .filter(Boolean)
      .join(', ')
    return [
      {
        summary: `create directory ${a.path}${comps.length > 1 ? ` (and ${comps.length - 1} parent${comps.length > 2 ? 's' : ''})` : ''}${extra ? ` (${extra})` : ''}`,
        steps: [exec(cmds, { path: a.path, follow: true })],
        diff: { path: a.path, before: 'state: absent\n', after: `state: directory\n${newAttrsText(a, mode)}` },
      },
    ]
  }
  const changes = withAttrs(a, path, st, s.umask, false, timeCmds(path, st, mt, at, state), true)
  if (a.recurse) {
    // The tree was read through a.path (find -H follows a symlinked top directory), so it is changed through it too.
    const t = planTree(a.path, state.tree ?? [], a, s.umask)
    if (t.cmds.length)
      changes.push({
        summary: `set ${[a.owner !== undefined ? `owner ${a.owner}` : '', a.group !== undefined ? `group ${a.group}` : '', a.mode !== undefined ? `mode ${a.mode}` : ''].filter(Boolean).join(', ')} on ${t.count} entr${t.count === 1 ? 'y' : 'ies'} under ${path}`,
        steps: [exec(t.cmds, { path, follow: true })],
        diff: {
          path,
          before: `${t.count} entries under ${path} differ\n`,
          after: `all entries under ${path}: ${newAttrsText(a, a.mode).trim().replace(/\n/g, ', ')}\n`,
        },
      })
  }
  return changes
}

function planFile(a: FileArgs, s: PathState, state: FileProbeState, ctx: PlanContext, mt: TimeWish, at: TimeWish): Change[] {
  let path = a.path
  let st = s.stat
  if (!st) return missing(`file (${a.path}) is absent, cannot continue`, `set attributes of ${a.path}`, a.path)
  if (st.type === 'link' && a.follow) {
    if (!s.target) return missing(`file (${a.path}) is a dangling link, cannot continue`, `set attributes of ${a.path}`, a.path)
    path = s.real ?? a.path
    st = s.target
  }
  if (st.type !== 'file') fail(`file (${a.path}) is ${stateOf(st)}, cannot continue`, a.path)
  return withAttrs(a, path, st, s.umask, false, timeCmds(path, st, mt, at, state), true)
}

function planTouch(a: FileArgs, s: PathState, state: FileProbeState, ctx: PlanContext, mt: TimeWish, at: TimeWish): Change[] {
  const st = a.follow ? effectiveStat(s, true) : s.stat
  if (!s.exists || (s.stat?.type === 'link' && a.follow && !s.target)) {
    const path = s.stat?.type === 'link' ? (s.real ?? a.path) : a.path
    if (s.parent !== 'directory' && s.stat?.type !== 'link')
      return missing(`cannot touch ${a.path}: directory ${parentDir(a.path)} does not exist`, `create ${a.path}`, a.path)
    const mode = wantedMode(a.mode, undefined, false, s.umask) ?? (a.mode === undefined ? octal(defaultMode(false, s.umask)) : undefined)
    // Created exclusively (set -C: O_EXCL, so a file or symlink planted there since the probe fails
    // the task) and 0600, never readable by others before owner and mode are set.
    const cmds = [sh`(umask 077 && set -C && : > ${path})`]
    if (a.owner !== undefined || a.group !== undefined || mode !== undefined) cmds.push(setAttrs(path, a.owner, a.group, mode))
    const times = timeCmds(path, undefined, mt.kind === 'now' ? { kind: 'preserve' } : mt, at.kind === 'now' ? { kind: 'preserve' } : at, state)
    cmds.push(...times.cmds)
    return [
      {
        summary: `create ${a.path}${mode !== undefined ? ` (mode ${mode})` : ''}`,
        steps: [exec(cmds, { path, follow: true })],
        diff: { path: a.path, before: 'state: absent\n', after: `state: file\n${newAttrsText(a, mode)}` },
      },
    ]
  }
  const target = st!
  const path = s.stat?.type === 'link' && a.follow ? (s.real ?? a.path) : a.path
  return withAttrs(a, path, target, s.umask, target.type === 'link', timeCmds(path, target, mt, at, state), a.follow)
}

function planLink(a: FileArgs, s: PathState, state: FileProbeState, ctx: PlanContext): Change[] {
  const src = a.src!
  const srcPath = a.state === 'hard' ? src : linkSource(a)!
  const srcState = state.src ?? fail(`no state read for ${srcPath}`, a.path)
  const hard = a.state === 'hard'
  const st = s.stat
  const cur = stateOf(st)
  const summaryNew = `${hard ? 'hard ' : ''}link ${a.path} → ${src}`
  if (!srcState.exists || (hard && srcState.stat?.type === 'directory')) {
    if (hard && srcState.stat?.type === 'directory') fail(`cannot hard link a directory: ${src}`, a.path)
    if (hard || !a.force) {
      if (!(st?.type === 'link' && !hard && s.linkTarget === src))
        return missing(
          hard ? `src file does not exist: ${srcPath}` : `src file does not exist, use "force: true" if you really want to create the link: ${srcPath}`,
          summaryNew,
          a.path,
        )
    }
  }
  let same = false
  if (st) {
    if (hard) same = !!srcState.stat && st.inode === srcState.stat.inode && st.dev === srcState.stat.dev
    else same = st.type === 'link' && s.linkTarget === src
  }
  if (same) {
    // Ownership of the link itself (a hard link shares the inode, so mode applies too).
    return withAttrs(a, a.path, st!, s.umask, !hard, { cmds: [], parts: [], before: '', after: '' }, hard)
  }
  const cmds: Script[] = []
  if (st) {
    if (st.type === 'directory') {
      if (!a.force) fail(`refusing to convert from directory to ${hard ? 'hard link' : 'symlink'} for ${a.path}`, a.path)
      if (state.emptyDir !== true) fail(`the directory ${a.path} is not empty, refusing to convert it`, a.path)
      cmds.push(sh`rmdir -- ${a.path}`)
    } else if (st.type !== 'link' && !a.force) {
      fail(
        hard
          ? `Cannot link, ${cur === 'hard' ? 'different hard link' : cur} exists at destination: ${a.path}`
          : `refusing to convert from ${cur} to symlink for ${a.path}`,
        a.path,
      )
    }
  } else if (s.parent !== 'directory') {
    return missing(`directory ${parentDir(a.path)} does not exist`, summaryNew, a.path)
  }
  // Made in a private temp directory beside the destination (random name, created exclusively:
  // nothing another user planted is used), given its owner and mode there, and renamed over the
  // destination, so the path always exists and is never a half-made link.
  const mode = hard ? wantedMode(a.mode, srcState.stat?.mode, false, s.umask) : undefined
  cmds.push(privateTempBeside(a.path), sh`ln ${code(hard ? '-P' : '-s')} -- ${src} "$t/link"`)
  if (!hard && (a.owner !== undefined || a.group !== undefined)) cmds.push(sh`chown -h -- ${chownArg(a.owner, a.group)} "$t/link"`)
  // A hard link shares the inode of src: owner and mode are src's, set without following a link.
  if (hard && (a.owner !== undefined || a.group !== undefined || mode !== undefined)) cmds.push(sh`${setAttrsPrefix(a.owner, a.group, mode)} "$t/link"`)
  cmds.push(sh`mv -Tf -- "$t/link" ${a.path}`)
  const before = st ? (st.type === 'link' ? `state: link\nsrc: ${s.linkTarget}\n` : `state: ${cur}\n`) : 'state: absent\n'
  return [
    {
      summary: `${st ? 'replace' : 'create'} ${summaryNew}${st && st.type !== 'link' ? ` (was a ${cur})` : ''}`,
      steps: [exec(cmds, { path: a.path, follow: false })],
      diff: { path: a.path, before, after: `state: ${hard ? 'hard' : 'link'}\nsrc: ${src}\n` },
    },
  ]
}

/**
 * A symlink as `state: link, force: true, follow: false` makes it, whatever its target (copy
 * recreates a tree's links this way); `emptyDir`: whether a directory at the path is empty.
 */
export function planSymlink(
  link: { path: string; src: string; owner?: string; group?: string },
  s: PathState,
  emptyDir: boolean | undefined,
  ctx: PlanContext,
): Change[] {
  const a = { ...link, state: 'link', force: true, follow: false } as FileArgs
  // with force the target's own state is never consulted: the link's stands in for it
  return planLink(a, s, { path: s, src: s, emptyDir } as FileProbeState, ctx)
}

/** A time given as a stamp is turned into seconds by the host's date (its time zone). */
function stampProbe(v: string | undefined, format: string): Probe<number> | undefined {
  const stamp = v !== undefined && v !== 'now' && v !== 'preserve' ? parseStamp(v, format) : undefined
  return stamp ? epochProbe(stamp) : undefined
}

function probes(a: FileArgs) {
  return {
    path: pathProbe(a.path),
    src: a.src !== undefined && a.state !== 'absent' ? pathProbe(a.state === 'hard' ? a.src : linkSource(a)!) : undefined,
    tree: a.recurse ? treeProbe(a.path) : undefined,
    // A directory in the way of a link may be replaced only when empty.
    emptyDir: a.state === 'link' || a.state === 'hard' ? emptyDirProbe(a.path) : undefined,
    mtime: stampProbe(a.modification_time, a.modification_time_format),
    atime: stampProbe(a.access_time, a.access_time_format),
  }
}
type FileProbeState = StateOf<ReturnType<typeof probes>>

function plan(a: FileArgs, state: FileProbeState, ctx: PlanContext): Change[] {
  const s = state.path
  const st = effectiveState(a, s)
  const mt = timeWish(a.modification_time, a.modification_time_format, st)
  const at = timeWish(a.access_time, a.access_time_format, st)
  switch (st) {
    case 'absent':
      return planAbsent(a, s)
    case 'directory':
      return planDirectory(a, s, state, mt, at)
    case 'file':
      return planFile(a, s, state, ctx, mt, at)
    case 'touch':
      return planTouch(a, s, state, ctx, mt, at)
    case 'link':
    case 'hard':
      if (a.src === undefined) fail(`src is required for state=${st}`, a.path)
      return planLink({ ...a, state: st }, s, state, ctx)
  }
}

function describe(path: string, st: FileStat | undefined, state: string): Record<string, unknown> {
  if (!st) return { path, state: 'absent' }
  return { path, state, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, mode: st.mode, size: st.size }
}

function result(a: FileArgs, state: FileProbeState, outputs: StepOutput[]): Record<string, unknown> {
  const s = state.path
  const st = effectiveState(a, s)
  if (st === 'absent') return { path: a.path, state: 'absent' }
  let after: FileStat | undefined
  for (const o of outputs) {
    const line = o.stdout.split('\n').find((l) => l.startsWith(STAT_MARK))
    if (line && line.length > STAT_MARK.length) after = parseStatLine(line.slice(STAT_MARK.length))
  }
  const cur = after ?? (st === 'link' ? s.stat : (effectiveStat(s, a.follow) ?? s.stat))
  // As Ansible: a regular file with more than one link reports itself as `hard`.
  const plain = st === 'touch' || st === 'file'
  const out = describe(a.path, cur, plain ? (cur && cur.nlink > 1 ? 'hard' : 'file') : st)
  if (st === 'link' || st === 'hard') Object.assign(out, { src: a.src, dest: a.path })
  return out
}

const schema = {
  options: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], doc: 'The path to manage.' },
    state: {
      type: 'str',
      choices: ['absent', 'directory', 'file', 'hard', 'link', 'touch'],
      doc: 'What the path should be (default: what it is now, or file; directory with recurse).',
    },
    src: { type: 'path', doc: 'With state link/hard: what the link points to.' },
    recurse: {
      type: 'bool',
      default: false,
      doc: 'With state directory: apply owner, group and mode to everything inside (symlinks inside are not followed).',
    },
    force: { type: 'bool', default: false, doc: 'With link/hard: replace a file or empty directory at path, or make a symlink to a src that does not exist.' },
    follow: { type: 'bool', default: true, doc: 'Act on the target of a symlink at path rather than the link.' },
    modification_time: { type: 'str', doc: "'now', 'preserve' (default; touch: now) or a time in modification_time_format." },
    modification_time_format: { type: 'str', default: '%Y%m%d%H%M.%S', doc: 'Format of modification_time (%Y %m %d %H %M %S).' },
    access_time: { type: 'str', doc: "'now', 'preserve' (default; touch: now) or a time in access_time_format." },
    access_time_format: { type: 'str', default: '%Y%m%d%H%M.%S', doc: 'Format of access_time.' },
    ...attrOptions,
  },
} as const satisfies Schema

export const file: HostModule<FileArgs, FileArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'file',
  doc: 'Files, directories, links: existence, owner, group and mode.',
  args: schema,
  returns: {
    path: 'the path',
    state: 'what it is now (file, directory, link, hard, absent)',
    mode: 'octal mode',
    owner: 'owner name',
    group: 'group name',
    uid: 'owner id',
    gid: 'group id',
    size: 'size in bytes',
    src: 'link target (link/hard)',
  },
  validate(a) {
    const problems = modeProblems(a.mode)
    if (a.recurse && a.state !== undefined && a.state !== 'directory') problems.push(`recurse option requires state to be 'directory'`)
    if ((a.state === 'link' || a.state === 'hard') && a.src === undefined) problems.push(`src is required for state=${a.state}`)
    if (a.src !== undefined && a.state !== undefined && a.state !== 'link' && a.state !== 'hard')
      problems.push(`src option requires state to be 'link' or 'hard'`)
    if (a.state === 'hard' && a.src !== undefined && !a.src.startsWith('/')) problems.push('a hard link needs an absolute src')
    for (const [v, f, n] of [
      [a.modification_time, a.modification_time_format, 'modification_time'],
      [a.access_time, a.access_time_format, 'access_time'],
    ] as const) {
      if (v !== undefined && v !== 'now' && v !== 'preserve' && f !== undefined && !parseStamp(v, f))
        problems.push(`${n} '${v}' does not match the format '${f}' (or use now / preserve)`)
    }
    return problems
  },
  probes,
  plan,
  result,
}
