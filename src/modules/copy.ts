/**
 * copy — put a file on the host: from the controller (`src`, looked up in the role's files/, then
 * the playbook's), from text (`content`), or from another path on the host (`remote_src: true`).
 *
 * The file is written into a private temp directory made beside `dest` (random name, created
 * exclusively, mode 0700; the file inside is 0600 from its first byte), its size and SHA-256 are
 * checked against what was sent, owner and mode are set on it, `validate` runs on it (`%s` is the
 * temp file; the command is split into words as Ansible does, without a shell), and only then is
 * it renamed over `dest`. So `dest` always holds the old content or the new one: a transfer cut
 * short (rm-play killed, connection lost), a full disk or a failed validation leave it as it was,
 * and no other user can open the new file before it is in place, nor see it with a wider mode than
 * asked. Temp directories left by a run killed on the host are removed by the next write into the
 * same directory (only rm-play's own: its name pattern, owned by the same user, its process gone).
 * Replacing a file keeps its owner, group and mode unless they are given; a symlink at `dest`
 * (with `follow: false`) is replaced by the file, never written or chmod-ed through. The backup is
 * renamed into place too, so a symlink planted at the backup's name is replaced, not followed.
 * With `--diff`, text is shown as a unified diff; a binary file is summarised as
 * `(binary file, N bytes, sha1 …)`, one larger than 1 MiB as `(N bytes, too large to show, sha1 …)`
 * (Ansible prints "diff skipped: source file appears to be binary" / "... size is greater than
 * 104448"), and content decrypted from a vault file as `(secret content hidden, N bytes)`, before
 * and after; `no_log: true` hides the diff entirely, as in Ansible.
 * Content is compared by SHA-1, so an unchanged file is not rewritten (owner/group/mode alone are
 * fixed in place). A `dest` that is a directory, or ends with `/`, receives `basename(src)`; a
 * `dest` ending with `/` has its missing directories created. A `src` that is a directory is copied
 * recursively (with a trailing `/`: its contents; without: the directory itself), new directories
 * getting `directory_mode`. `force: false` leaves an existing `dest` alone. `mode: preserve` takes
 * the source file's mode. Vault-encrypted sources are decrypted (`decrypt`, default true).
 * `backup: true` keeps the old file as `dest.<timestamp>~` (returned as `backup_file`).
 * Symlinks in a directory `src` are followed (`local_follow: true`, the default: a link to a file
 * is copied as that file, one to a directory is walked) or, with `local_follow: false`, recreated on
 * the host with the same target, as Ansible's file module makes a link (the new link is made in a
 * private temp directory and renamed over the path); a dangling or looping link is recreated in
 * both cases, as in Ansible. A single `src` file that is a symlink is always read through.
 * Not supported: `remote_src` of a directory, `unsafe_writes`, `attributes`, SELinux options.
 *
 *   - copy: { src: gunicorn.conf.py, dest: /opt/runmaster/gunicorn.conf.py, owner: runmaster, mode: '0644' }
 *   - copy:
 *       dest: /etc/sudoers.d/runmaster
 *       content: "runmaster ALL=(root) NOPASSWD: /usr/bin/supervisorctl\n"
 *       mode: '0440'
 *       validate: visudo -cf %s
 */
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { isVaultText, decryptVaultFile } from '../playbook/vault.js'
import { DIFF_LIMIT, effectiveStat, emptyDirProbe, isText, pathProbe, type PathState } from '../probes/files.js'
import { planSymlink } from './file.js'
import { attrChange, attrOptions, missing, modeProblems, newDirCmds, octal, planAttrs, wantedMode, type AttrArgs } from './file-attrs.js'
import { childPath, dirsBetween, parentDir } from '../shell/remote-path.js'
import { code, joinScripts } from '../shell/index.js'
import type { ArgSpec, ArgsOf, Schema } from './schema.js'
import {
  ModuleFailure,
  type Change,
  type FileDiff,
  type HostModule,
  type PlanContext,
  type PrepareContext,
  type StateOf,
  type Step,
  type StepOutput,
} from './types.js'

// ---- shared by copy, template, lineinfile, blockinfile: writing one file's content ----

export function sha1(b: Buffer | string): string {
  return createHash('sha1').update(b).digest('hex')
}

/** Options for the content probe of a destination: checksum always, content only for diffs. */
export function destProbeOptions(ctx: PlanContext, needContent = false): { checksum: 'sha1'; contentLimit: number } {
  return { checksum: 'sha1', contentLimit: needContent ? 64 * DIFF_LIMIT : ctx.diff ? DIFF_LIMIT : 0 }
}

export const writeOptions = {
  backup: { type: 'bool', default: false, doc: 'Keep the old file as DEST.<timestamp>~ when it changes.' },
  validate: { type: 'str', doc: "Command that checks the new file before it is put in place; %s is the temp file (e.g. 'nginx -t -c %s', 'visudo -cf %s')." },
  ...attrOptions,
} as const satisfies Record<string, ArgSpec>

/** Content that is already on the host (copy's remote_src): streamed there, never through the controller. */
export interface HostSource {
  path: string
  sha1: string
  size: number
  /** Read for diffs only. */
  content?: Buffer
}

/** Load-time checks of the write options (mode, validate). */
export function writeProblems(a: { mode?: string; validate?: string }): string[] {
  const problems = modeProblems(a.mode)
  // Without %s the check would look at some other file and prove nothing about the new one.
  if (typeof a.validate === 'string' && !a.validate.includes('%s')) problems.push(`validate must contain %s (the new file): ${a.validate}`)
  return problems
}

export interface WriteSpec extends AttrArgs {
  dest: string
  content: Buffer | HostSource
  backup?: boolean
  validate?: string
  /** Write through a symlink at dest (true), or replace the link with a file (false). */
  follow: boolean
  /** false: an existing file is left as it is. */
  force?: boolean
  /** Create missing parent directories (with this mode, if given) instead of failing. */
  makeParents?: boolean
  parentMode?: string
  /** The module's word for a new file ("create") or a rewrite ("write"). */
  verb?: string
  /** Extra words for the summary ("line added"). */
  note?: string
  /** The content is secret (decrypted from a vault file): diffs show a placeholder, never the bytes. */
  secret?: boolean
}

// What --diff shows of a content: the text itself, or a one-line summary for what must not or
// cannot be shown (Ansible prints "diff skipped: source file appears to be binary" / "... size is
// greater than 104448"; rm-play says what the file is, its size, and for non-secrets its sha1).
function describeContent(b: Buffer | undefined, size: number | undefined, sum: string | undefined, why?: string): string {
  if (b === undefined) return `(${size !== undefined ? `${size} bytes, ` : ''}${why ?? 'content not read'}${sum ? `, sha1 ${sum}` : ''})\n`
  if (!isText(b)) return `(binary file, ${b.length} bytes, sha1 ${sha1(b)})\n`
  return b.toString('utf8')
}

/** The placeholder for secret content: its size only (a checksum would let a guess be confirmed). */
export function secretPlaceholder(size: number): string {
  return `(secret content hidden, ${size} bytes)\n`
}

const isHostSource = (c: Buffer | HostSource): c is HostSource => !Buffer.isBuffer(c)

function contentSum(c: Buffer | HostSource): string {
  return isHostSource(c) ? c.sha1 : sha1(c)
}

function contentSize(c: Buffer | HostSource): number {
  return isHostSource(c) ? c.size : c.length
}

/** The unified-diff input for a content change (binary and unread content described, not shown). */
function contentDiff(path: string, s: PathState | undefined, exists: boolean, c: Buffer | HostSource, secret = false): FileDiff {
  const cur = s && effectiveStat(s, true)
  // The file being replaced by a secret is as secret as what replaces it.
  const before = !exists
    ? ''
    : secret
      ? secretPlaceholder(cur?.size ?? 0)
      : describeContent(s?.content, cur?.size, s?.checksum, s?.tooLarge ? 'too large to show' : s?.unreadable ? 'unreadable' : undefined)
  const content = isHostSource(c) ? c.content : c
  if (secret) return { path, before, after: secretPlaceholder(contentSize(c)) }
  const after =
    content === undefined || content.length > DIFF_LIMIT
      ? describeContent(undefined, contentSize(c), contentSum(c), 'too large to show')
      : describeContent(content, content.length, undefined)
  if (before.startsWith('(binary') && after.startsWith('(binary')) return { path, before, after: after.replace('(binary file,', '(binary file differs,') }
  return { path, before, after }
}

/** Where a write through dest lands, and what is there now. */
export function writeTarget(w: Pick<WriteSpec, 'dest' | 'follow'>, s: PathState): { path: string; cur: PathState['stat']; replaceLink: boolean } {
  if (s.stat?.type === 'link') {
    if (w.follow) return { path: s.real ?? w.dest, cur: s.target, replaceLink: false }
    return { path: w.dest, cur: undefined, replaceLink: true }
  }
  return { path: w.dest, cur: s.stat, replaceLink: false }
}

/** The changes that give dest this content, owner, group and mode (atomically, via a put step). */
export function planWrite(w: WriteSpec, s: PathState, ctx: PlanContext): Change[] {
  const { path, cur, replaceLink } = writeTarget(w, s)
  if (cur && cur.type === 'directory') throw new ModuleFailure(`${w.dest} is a directory`, { path: w.dest })
  // Renaming a file onto a symlink to a directory would move it into the directory instead.
  if (replaceLink && s.target?.type === 'directory')
    throw new ModuleFailure(`${w.dest} is a symlink to a directory; remove it first, or set follow`, { path: w.dest })
  if (cur && cur.type !== 'file') throw new ModuleFailure(`${w.dest} is a ${cur.type}, not a regular file`, { path: w.dest })
  const steps: Step[] = []
  let made = ''
  if (!cur && !replaceLink && s.parent !== 'directory') {
    const dir = parentDir(path)
    if (s.parent === 'other' || !s.ancestorIsDir)
      throw new ModuleFailure(`cannot create ${w.dest}: ${s.parent === 'other' ? dir : s.ancestor} is not a directory`, { path: w.dest })
    if (!w.makeParents) return missing(`Destination directory ${dir} does not exist`, `${w.verb ?? 'create'} ${w.dest}`, w.dest)
    const mode = wantedMode(w.parentMode, undefined, true, s.umask)
    // New parents get the mode, not the file's owner and group.
    steps.push({ kind: 'exec', script: joinScripts([code('set -e'), ...newDirCmds(dirsBetween(s.ancestor, dir), {}, mode)]) })
    made = ` (and directory ${dir})`
  }
  if (cur && w.force === false) return []
  const sum = contentSum(w.content)
  if (cur && !replaceLink && s.checksum === sum) {
    const fix = attrChange(path, planAttrs(path, cur, w, { umask: s.umask }))
    return fix ? [fix] : []
  }
  const mode = wantedMode(w.mode, cur?.mode, false, s.umask)
  const parts = cur ? planAttrs(path, cur, w, { umask: s.umask }).parts : []
  // put keeps an existing file's owner and group only when neither is given: the other half is passed on.
  const owner = w.owner ?? (cur && w.group !== undefined ? cur.owner : undefined)
  const group = w.group ?? (cur && w.owner !== undefined ? cur.group : undefined)
  // A file already on the host (remote_src) goes through the same atomic put, read from its path.
  steps.push({
    kind: 'put',
    path,
    content: isHostSource(w.content) ? '' : w.content,
    from: isHostSource(w.content) ? w.content.path : undefined,
    mode,
    owner,
    group,
    validate: w.validate,
    backup: !!w.backup && !!cur,
    ...(w.secret ? { secret: true } : {}),
  })
  const what = replaceLink ? `replace symlink ${w.dest} with a file` : cur ? `${w.verb ?? 'write'} ${path}` : `create ${path}`
  const extra = cur
    ? parts.join(', ')
    : [mode !== undefined ? `mode ${mode}` : '', w.owner !== undefined ? `owner ${w.owner}` : '', w.group !== undefined ? `group ${w.group}` : '']
        .filter(Boolean)
        .join(', ')
  const note = [w.note, extra].filter(Boolean).join('; ')
  const diff = contentDiff(path, s, !!cur, w.content, w.secret)
  return [{ summary: `${what}${made}${note ? ` (${note})` : ''}`, steps, diff }]
}

/** Ansible's return values of a file write, from what was planned and what the steps printed. */
export function writeResult(w: WriteSpec, s: PathState, outputs: StepOutput[]): Record<string, unknown> {
  const { path, cur } = writeTarget(w, s)
  const out: Record<string, unknown> = { dest: path, checksum: contentSum(w.content), size: contentSize(w.content), state: 'file' }
  const mode = wantedMode(w.mode, cur?.mode, false, s.umask) ?? cur?.mode ?? (outputs.length ? octal(0o644) : undefined)
  if (mode !== undefined) out.mode = mode
  const owner = w.owner ?? cur?.owner
  const group = w.group ?? cur?.group
  if (owner !== undefined) out.owner = owner
  if (group !== undefined) out.group = group
  if (cur && w.owner === undefined) out.uid = cur.uid
  if (cur && w.group === undefined) out.gid = cur.gid
  for (const o of outputs) {
    const m = /^backup_file=(.*)$/m.exec(o.stdout)
    if (m) out.backup_file = m[1]
  }
  return out
}

// ---- copy ----

type CopyArgs = ArgsOf<typeof schema>

interface LocalFile {
  /** Relative to the copy's destination root ('' for a single file). */
  rel: string
  content: Buffer
  mode: number
  /** Decrypted from a vault file. */
  secret: boolean
}

interface CopyPrepared extends CopyArgs {
  /** Content of a single file (src file or content). */
  data?: Buffer
  /** data was decrypted from a vault file. */
  secret?: boolean
  /** The source file's mode (for mode: preserve). */
  srcMode?: string
  /** A local directory tree: its files, directories and symlinks, relative to the copy's root. */
  tree?: { name: string } & LocalTree
}

/** A symlink recreated on the host: where (relative to the copy's root) and what it points to, as written. */
interface LocalLink {
  rel: string
  target: string
}

interface LocalTree {
  dirs: string[]
  files: LocalFile[]
  links: LocalLink[]
}

function readLocal(ctx: PrepareContext, path: string, decrypt: boolean): { content: Buffer; secret: boolean } {
  const b = ctx.readFile(path)
  if (decrypt && isVaultText(b.subarray(0, 32).toString('latin1')))
    return { content: Buffer.from(decryptVaultFile(b.toString('utf8'), path), 'utf8'), secret: true }
  return { content: b, secret: false }
}

/**
 * The local tree as Ansible's copy walks it: with `follow` (local_follow, the default) a symlink to
 * a file is copied as the file and one to a directory is walked, unless it leads back to a
 * directory being copied; a dangling link, a looping one, and every link without `follow`, is
 * recreated as a link with the same target.
 */
function walk(ctx: PrepareContext, root: string, decrypt: boolean, follow: boolean): LocalTree {
  const tree: LocalTree = { dirs: [], files: [], links: [] }
  const visit = (abs: string, rel: string, parents: string[]) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name)
      const r = rel ? `${rel}/${name}` : name
      const link = lstatSync(a).isSymbolicLink()
      const st = !link || follow ? statSync(a, { throwIfNoEntry: false }) : undefined
      const real = st?.isDirectory() ? realpathSync(a) : undefined
      if (link && (!st || (!st.isFile() && !st.isDirectory()) || (real && parents.includes(real)))) tree.links.push({ rel: r, target: readlinkSync(a) })
      else if (st?.isDirectory()) {
        tree.dirs.push(r)
        visit(a, r, [...parents, real!])
      } else if (st?.isFile()) tree.files.push({ rel: r, ...readLocal(ctx, a, decrypt), mode: st.mode & 0o7777 })
    }
  }
  visit(root, '', [realpathSync(root)])
  return tree
}

/** Where a single file lands: dest itself, or dest/basename(src) when dest is (or ends like) a directory. */
function singleDest(a: CopyPrepared, state: CopyState): { dest: string; s: PathState } {
  if (a.src === undefined || !state.child) return { dest: a.dest, s: state.dest }
  const child = { dest: childPath(a.dest, basename(a.src.replace(/\/+$/, ''))), s: state.child }
  if (a.dest.endsWith('/')) return child
  const d = state.dest
  const isDir = d.stat?.type === 'directory' || (d.stat?.type === 'link' && d.target?.type === 'directory')
  return isDir ? child : { dest: a.dest, s: d }
}

function remoteSrcOptions(ctx: PlanContext): { checksum: 'sha1'; contentLimit: number } {
  return { checksum: 'sha1', contentLimit: ctx.diff ? DIFF_LIMIT : 0 }
}

function dataOf(a: CopyPrepared, state: CopyState): { data: Buffer | HostSource; srcMode?: string } | undefined {
  const s = state.remote
  if (!s) return { data: a.data!, srcMode: a.srcMode }
  const st = effectiveStat(s, true)
  if (!st) return undefined
  if (st.type !== 'file') throw new ModuleFailure(`remote_src ${a.src} is a ${st.type}; only files are supported`, { src: a.src })
  if (!s.checksum) throw new ModuleFailure(`remote_src ${a.src} is not readable`, { src: a.src })
  return { data: { path: a.src!, sha1: s.checksum, size: st.size, content: s.content }, srcMode: st.mode }
}

function spec(a: CopyPrepared, dest: string, data: Buffer | HostSource, srcMode: string | undefined, makeParents: boolean, secret = !!a.secret): WriteSpec {
  return {
    dest,
    content: data,
    owner: a.owner,
    group: a.group,
    mode: a.mode === 'preserve' ? srcMode : a.mode,
    backup: a.backup,
    validate: a.validate,
    follow: a.follow,
    force: a.force,
    makeParents,
    parentMode: a.directory_mode,
    secret,
  }
}

function treeRoot(a: CopyPrepared): string {
  // `src: dir/` copies the contents into dest; `src: dir` copies the directory itself.
  return a.src!.endsWith('/') ? a.dest : childPath(a.dest, a.tree!.name)
}

/** A tree copy reads its root (as dest), each directory and each file under it. */
function copyProbes(a: CopyPrepared, ctx: PlanContext) {
  const o = destProbeOptions(ctx)
  const root = a.tree ? treeRoot(a) : a.dest
  return {
    dest: a.tree ? pathProbe(root) : pathProbe(a.dest, o),
    // dest may turn out to be a directory: what would be dest/basename(src) is read in the same batch.
    child: a.src !== undefined && !a.tree ? pathProbe(childPath(a.dest, basename(a.src.replace(/\/+$/, ''))), o) : undefined,
    remote: a.remote_src ? pathProbe(a.src!, remoteSrcOptions(ctx)) : undefined,
    dirs: (a.tree?.dirs ?? []).map((d) => pathProbe(childPath(root, d))),
    files: (a.tree?.files ?? []).map((f) => pathProbe(childPath(root, f.rel), o)),
    // a recreated symlink: its path (never followed), and whether a directory in its way is empty
    links: (a.tree?.links ?? []).map((l) => pathProbe(childPath(root, l.rel))),
    linkDirs: (a.tree?.links ?? []).map((l) => emptyDirProbe(childPath(root, l.rel))),
  }
}
type CopyState = StateOf<ReturnType<typeof copyProbes>>

function planTree(a: CopyPrepared, state: CopyState, ctx: PlanContext): Change[] {
  const root = treeRoot(a)
  const changes: Change[] = []
  const dirMode = a.directory_mode
  const rootState = state.dest
  const newDirs: string[] = []
  const dirs = [{ p: root, s: rootState }, ...a.tree!.dirs.map((d, i) => ({ p: childPath(root, d), s: state.dirs[i]! }))]
  for (const { p, s } of dirs) {
    const st = effectiveStat(s, a.follow)
    if (!st) {
      newDirs.push(p)
      continue
    }
    if (st.type !== 'directory') throw new ModuleFailure(`${p} exists and is a ${st.type}, not a directory`, { path: p })
    // Existing directories get owner/group (and directory_mode) as Ansible applies them.
    const fix = attrChange(p, planAttrs(p, st, { owner: a.owner, group: a.group, mode: dirMode }, { umask: s.umask }))
    if (fix) changes.push(fix)
  }
  if (newDirs.length) {
    if (!rootState.ancestorIsDir) throw new ModuleFailure(`cannot create ${root}: ${rootState.ancestor} is not a directory`, { path: root })
    const mode = wantedMode(dirMode, undefined, true, rootState.umask)
    const cmds = [code('set -e'), ...newDirCmds(newDirs, a, mode, 'mkdir -p')]
    changes.push({
      summary: `create director${newDirs.length === 1 ? 'y' : 'ies'} ${newDirs.join(', ')}`,
      steps: [{ kind: 'exec', script: joinScripts(cmds) }],
      diff: { path: root, before: '', after: newDirs.map((d) => `directory ${d}\n`).join('') },
    })
  }
  for (const [i, f] of a.tree!.files.entries()) {
    const p = childPath(root, f.rel)
    const s = state.files[i]!
    // A missing parent is created by the step above, which runs first.
    const w = spec(a, p, f.content, octal(f.mode), false, f.secret)
    changes.push(...planWrite(w, s.exists ? s : { ...s, parent: 'directory', ancestorIsDir: true }, ctx))
  }
  // Symlinks last, each as Ansible's file module makes it (state: link, force: true, not followed).
  for (const [i, l] of a.tree!.links.entries()) {
    const s = state.links[i]!
    const path = childPath(root, l.rel)
    // a missing parent is created by the directories' step, which runs first
    const at = s.exists ? s : { ...s, parent: 'directory' as const, ancestorIsDir: true }
    changes.push(...planSymlink({ path, src: l.target, owner: a.owner, group: a.group }, at, state.linkDirs[i], ctx))
  }
  return changes
}

function copyPlan(a: CopyPrepared, state: CopyState, ctx: PlanContext): Change[] {
  if (a.tree) return planTree(a, state, ctx)
  const got = dataOf(a, state)
  if (!got) return missing(`Source ${a.src} not found`, `copy ${a.src} to ${a.dest}`, a.src!)
  if (a.checksum !== undefined && contentSum(got.data) !== a.checksum.toLowerCase())
    throw new ModuleFailure(`Copied file does not match the expected checksum. Transfer failed. (expected ${a.checksum}, got ${contentSum(got.data)})`)
  const { dest, s } = singleDest(a, state)
  if (a.content !== undefined && dest === a.dest && s.stat?.type === 'directory') throw new ModuleFailure(`can not use content with a dir as dest: ${a.dest}`)
  return planWrite(spec(a, dest, got.data, got.srcMode, a.dest.endsWith('/')), s, ctx)
}

function copyResult(a: CopyPrepared, state: CopyState, outputs: StepOutput[]): Record<string, unknown> {
  // As Ansible: a tree copy's dest is the destination directory as given, with a trailing slash.
  if (a.tree) return { dest: a.dest.endsWith('/') ? a.dest : `${a.dest}/`, src: a.src, state: 'directory' }
  const got = dataOf(a, state)
  if (!got) return { dest: a.dest, src: a.src }
  const { dest, s } = singleDest(a, state)
  const r = writeResult(spec(a, dest, got.data, got.srcMode, false), s, outputs)
  if (a.src !== undefined) r.src = a.src
  if (!a.force && s.exists) r.msg = 'file already exists'
  return r
}

const schema = {
  options: {
    src: {
      type: 'path',
      doc: "File (or directory) on the controller, looked up in the role's files/ then the playbook's; with remote_src, a path on the host.",
    },
    content: { type: 'raw', doc: 'The file content, as text (instead of src). Mappings and lists are written as JSON.' },
    dest: { type: 'path', required: true, doc: 'Where to put it; a directory (or a path ending in /) receives basename(src).' },
    remote_src: { type: 'bool', default: false, doc: 'src is a file on the host, not on the controller.' },
    directory_mode: { type: 'mode', doc: 'Mode of directories created by a recursive copy or for a dest ending in /.' },
    force: { type: 'bool', default: true, doc: 'Replace a dest whose content differs; false: only create a missing dest.' },
    follow: { type: 'bool', default: false, doc: 'If dest is a symlink, write its target (true) or replace the link with a file (false).' },
    decrypt: { type: 'bool', default: true, doc: 'Decrypt a vault-encrypted source file.' },
    local_follow: {
      type: 'bool',
      default: true,
      doc: 'In a directory src: copy what symlinks point to (true), or recreate the symlinks on the host (false).',
    },
    checksum: { type: 'str', doc: 'The SHA-1 the source must have; the task fails if it does not.' },
    ...writeOptions,
  },
  mutuallyExclusive: [['src', 'content']],
  requiredOneOf: [['src', 'content']],
} as const satisfies Schema

/** What a module that writes one file returns (copy, template). */
export const WRITE_RETURNS = {
  dest: 'the file written',
  checksum: 'SHA-1 of the content',
  size: 'bytes',
  mode: 'the mode',
  owner: 'owner',
  group: 'group',
  backup_file: 'the backup (backup: true, when the file changed)',
}

export const copy: HostModule<CopyArgs, CopyPrepared, ReturnType<typeof copyProbes>> = {
  kind: 'host',
  name: 'copy',
  doc: 'Put a file on the host (from the controller, from text, or from another path on the host).',
  args: schema,
  returns: { ...WRITE_RETURNS, src: 'the source', state: 'file (directory for a recursive copy)' },
  validate(a) {
    const problems = [...writeProblems(a), ...modeProblems(a.directory_mode)]
    if (a.remote_src && a.src === undefined && a.content === undefined) problems.push('remote_src needs src')
    if (a.remote_src && a.mode === 'preserve') {
      /* the remote source's mode: read by the probe */
    }
    if (a.content !== undefined && a.dest !== undefined && a.dest.endsWith('/')) problems.push('can not use content with a dir as dest')
    return problems
  },
  localFiles(a) {
    return a.src !== undefined && !a.remote_src ? [{ kind: 'files', name: a.src.replace(/\/+$/, '') || a.src, arg: 'src' }] : []
  },
  prepare(a, ctx) {
    if (a.content !== undefined) {
      const text =
        typeof a.content === 'string' ? a.content : typeof a.content === 'object' && a.content !== null ? JSON.stringify(a.content) : String(a.content)
      return { ...a, data: Buffer.from(text, 'utf8') }
    }
    if (a.remote_src) return a
    const path = ctx.findFile('files', a.src!.replace(/\/+$/, '') || a.src!)
    const st = statSync(path)
    if (st.isDirectory()) {
      if (a.validate) throw new ModuleFailure('validate is not supported when src is a directory')
      return { ...a, tree: { name: basename(path), ...walk(ctx, path, a.decrypt, a.local_follow) } }
    }
    const { content, secret } = readLocal(ctx, path, a.decrypt)
    return { ...a, data: content, secret, srcMode: octal(st.mode & 0o7777) }
  },
  probes: copyProbes,
  plan: copyPlan,
  result: copyResult,
}
