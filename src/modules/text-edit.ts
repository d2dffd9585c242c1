// What lineinfile and blockinfile share: Python-style regular expressions, reading the file to
// edit (through symlinks, any encoding), and planning the write of the edited text, so that
// both modules differ only in their pure edit of the text.
import { effectiveStat, pathProbe, type PathState } from '../probes/files.js'
import { destProbeOptions, planWrite, writeResult, writeTarget, type WriteSpec } from './copy.js'
import { missing, planAttrs, type AttrArgs } from './file-attrs.js'
import { ModuleFailure, type Change, type PlanContext, type StateOf, type StepOutput } from './types.js'

/** The arguments both editing modules take. */
export interface EditArgs extends AttrArgs {
  path: string
  create: boolean
  backup: boolean
  validate?: string
}

/** A Python regular expression as a JavaScript RegExp (named groups, a leading inline flag group). */
export function pyRegex(src: string): RegExp {
  let flags = ''
  let body = src
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body)
  if (inline) {
    body = body.slice(inline[0].length)
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f
  }
  body = body
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$')
  return new RegExp(body, flags)
}

/** Splits text into lines that keep their "\n" (Python's readlines). */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const out = text.split(/(?<=\n)/)
  return out
}

/** A line without its end-of-line characters. */
export const stripEol = (l: string) => l.replace(/[\r\n]+$/, '')

export interface EditResult {
  text: string
  msg: string
  changed: boolean
}

/** File bytes as text: UTF-8 when valid (a BOM kept, so an unchanged file stays byte for byte), else byte-for-byte (latin1), with a matching encoder. */
function decodeFile(b: Buffer | undefined): { text: string; encode(s: string): Buffer; arg(s: string): string } {
  const utf8 = { encode: (s: string) => Buffer.from(s, 'utf8'), arg: (s: string) => s }
  if (!b) return { text: '', ...utf8 }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b), ...utf8 }
  } catch {
    // not UTF-8
  }
  // Not UTF-8: edit bytes as latin1 characters, and the arguments' UTF-8 bytes the same way.
  return { text: b.toString('latin1'), encode: (s) => Buffer.from(s, 'latin1'), arg: (s) => Buffer.from(s, 'utf8').toString('latin1') }
}

/** The current text of a file to edit (through symlinks), or a failure/uncertain change when it cannot be read. */
function readForEdit(
  s: PathState,
  path: string,
  create: boolean,
  ctx: PlanContext,
  summary: string,
  absentOk: boolean,
): { buf?: Buffer; exists: boolean } | Change[] {
  const cur = effectiveStat(s, true)
  if (!cur) {
    if (absentOk) return []
    if (!create) return missing(`Destination ${path} does not exist !`, summary, path)
    return { exists: false }
  }
  if (cur.type === 'directory') throw new ModuleFailure(`Path ${path} is a directory !`, { path })
  if (cur.type !== 'file') throw new ModuleFailure(`Path ${path} is a ${cur.type}, not a regular file`, { path })
  if (s.unreadable) throw new ModuleFailure(`cannot read ${path} (permission denied; become?)`, { path })
  if (s.tooLarge || !s.content) throw new ModuleFailure(`${path} is too large to edit (over 64 MiB)`, { path })
  return { buf: s.content, exists: true }
}

/** Will owner, group or mode of the existing file change? */
function attrsDiffer(w: WriteSpec, s: PathState): boolean {
  const t = writeTarget(w, s)
  return !!t.cur && planAttrs(t.path, t.cur, w, { umask: s.umask }).cmds.length > 0
}

/** Ansible's message: what happened to the content, and whether attributes changed too. */
function editMessage(msg: string, attrs: boolean): string {
  const extra = 'ownership, perms or SE linux context changed'
  return attrs ? (msg ? `${msg} and ${extra}` : extra) : msg
}

/** Load-time check of the options that hold regular expressions ('EOF' and 'BOF' are not ones). */
export function regexProblems(options: [string, string | undefined][]): string[] {
  const problems: string[] = []
  for (const [k, v] of options) {
    if (v === undefined || v === 'EOF' || v === 'BOF') continue
    try {
      pyRegex(v)
    } catch (e) {
      problems.push(`${k} is not a valid regular expression: ${(e as Error).message}`)
    }
  }
  return problems
}

export interface PlannedEdit {
  changes: Change[]
  msg: string
  spec?: WriteSpec
}

/** What an edit reads: the file, with its content. */
export const editProbes = (a: EditArgs, ctx: PlanContext) => ({ file: pathProbe(a.path, destProbeOptions(ctx, true)) })
export type EditState = StateOf<ReturnType<typeof editProbes>>

/**
 * Reads the file, applies `edit` to its text and plans writing the result. `edit` gets `arg`,
 * which turns an argument into the file's encoding. `absent`: a missing file is fine as it is.
 */
export function planEdit(
  a: EditArgs,
  { file: s }: EditState,
  ctx: PlanContext,
  absent: boolean,
  edit: (text: string, exists: boolean, arg: (s: string) => string) => EditResult,
): PlannedEdit {
  const r = readForEdit(s, a.path, a.create, ctx, `edit ${a.path}`, absent)
  if (Array.isArray(r)) return { changes: r, msg: r.length ? '' : 'file not present' }
  const dec = decodeFile(r.buf)
  const e = edit(dec.text, r.exists, dec.arg)
  const w: WriteSpec = {
    dest: a.path,
    content: dec.encode(e.text),
    owner: a.owner,
    group: a.group,
    mode: a.mode,
    backup: a.backup,
    validate: a.validate,
    follow: true,
    makeParents: a.create,
    verb: 'edit',
    note: e.msg,
  }
  return { changes: planWrite(w, s, ctx), msg: editMessage(e.msg, attrsDiffer(w, s)), spec: w }
}

/** The backup the write made (backup: true, when the file changed). */
export function editBackup({ file }: EditState, p: PlannedEdit, outputs: StepOutput[]): string | undefined {
  if (!p.spec) return undefined
  return writeResult(p.spec, file, outputs).backup_file as string | undefined
}
