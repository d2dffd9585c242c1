/**
 * lineinfile — make sure one line is in a file (or replace the line a regexp finds), or that
 * no line matches (state: absent).
 *
 * With `regexp`, the last matching line (the first with `firstmatch: true`) is replaced by `line`;
 * if nothing matches, `line` is added unless it is already there — after the last line matching
 * `insertafter` (or before the one matching `insertbefore`; `EOF`/`BOF` mean the end/start),
 * at the end of the file by default. `backrefs: true` fills `\1`, `\g<name>` in `line` from the
 * regexp's groups and leaves the file alone when the regexp does not match. `search_string`
 * matches a literal substring instead of a regexp. `state: absent` removes every line that
 * matches `regexp` / `search_string` / equals `line`.
 * The new content is computed on the controller and written atomically (temp file, owner and mode
 * set, `validate`, rename), through symlinks to the real file. `create: true` creates a missing
 * file (and its directories); otherwise a missing file is an error. Regular expressions are
 * Python's as far as JavaScript can follow: `(?P<name>...)`, `(?P=name)`, a leading `(?i)` work.
 *
 *   - lineinfile: { path: /etc/redis/redis.conf, regexp: '^#?\s*maxmemory ', line: 'maxmemory 2gb' }
 *   - lineinfile: { path: /etc/hosts, line: '127.0.1.1 runmaster', insertafter: '^127\.0\.0\.1' }
 *   - lineinfile: { path: /etc/ssh/sshd_config, regexp: '^(PermitRootLogin)\s', line: '\1 no', backrefs: true }
 */
import { effectiveStat, pathProbe, pathState, type PathState } from '../probes/files.js'
import { destProbeOptions, planWrite, writeOptions, writeProblems, writeResult, writeTarget, type WriteSpec } from './copy.js'
import { missingInCheck, planAttrs, type AttrArgs } from './file-attrs.js'
import { ModuleFailure, type Change, type HostModule, type PlanContext, type ProbeState, type StepOutput } from './types.js'

export interface LineArgs extends AttrArgs {
  path: string
  line?: string
  regexp?: string
  search_string?: string
  state: 'present' | 'absent'
  insertafter?: string
  insertbefore?: string
  create: boolean
  backrefs: boolean
  firstmatch: boolean
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
  body = body.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$')
  return new RegExp(body, flags)
}

/** Python's match.expand: \1 .. \99, \g<1>, \g<name>, and the usual escapes. */
export function expandBackrefs(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/g, (whole, name: string | undefined, num: string | undefined, ch: string | undefined) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? ''
    if (num !== undefined) return m[Number(num)] ?? ''
    const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', f: '\f', v: '\v' }
    return esc[ch!] ?? whole
  })
}

/** Splits text into lines that keep their "\n" (Python's readlines). */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const out = text.split(/(?<=\n)/)
  return out
}

const strip = (l: string) => l.replace(/[\r\n]+$/, '')

export interface EditResult {
  text: string
  msg: string
  changed: boolean
}

/** lineinfile's edit, on text: pure. */
export function editLines(text: string, a: Pick<LineArgs, 'line' | 'regexp' | 'search_string' | 'state' | 'insertafter' | 'insertbefore' | 'backrefs' | 'firstmatch'>): EditResult {
  const lines = splitLines(text)
  const re = a.regexp !== undefined ? pyRegex(a.regexp) : undefined
  if (a.state === 'absent') {
    let removed = 0
    const kept = lines.filter((l) => {
      const hit = re ? re.test(strip(l)) : a.search_string !== undefined ? l.includes(a.search_string) : strip(l) === a.line
      if (hit) removed++
      return !hit
    })
    return { text: kept.join(''), msg: removed ? `${removed} line(s) removed` : '', changed: removed > 0 }
  }
  const line = a.line!
  let ins: RegExp | undefined
  if (a.insertafter !== undefined && a.insertafter !== 'BOF' && a.insertafter !== 'EOF') ins = pyRegex(a.insertafter)
  else if (a.insertbefore !== undefined && a.insertbefore !== 'BOF') ins = pyRegex(a.insertbefore)
  let found = -1
  let insertAt = -1
  let match: RegExpExecArray | boolean | null = null
  // 1. the line the regexp / search string / exact line designates
  for (const [i, l] of lines.entries()) {
    const m = re ? re.exec(strip(l)) : a.search_string !== undefined ? l.includes(a.search_string) : strip(l) === line
    if (m) {
      found = i
      match = m
      if (a.firstmatch) break
    }
  }
  // 2. no match: is the exact line there already, and where would it be inserted?
  if (!match) {
    for (const [i, l] of lines.entries()) {
      if (strip(l) === line) found = i
      else if (ins && ins.test(strip(l))) {
        insertAt = a.insertafter !== undefined ? i + 1 : i
        if (a.firstmatch) break
      }
    }
  }
  const added = (i: number, msg = 'line added'): EditResult => {
    if (i > 0 && i === lines.length && !/[\r\n]$/.test(lines[i - 1]!)) lines[i - 1] += '\n'
    lines.splice(i, 0, `${line}\n`)
    return { text: lines.join(''), msg, changed: true }
  }
  const same: EditResult = { text, msg: '', changed: false }
  if (found !== -1) {
    let newLine = a.backrefs && match && typeof match !== 'boolean' ? expandBackrefs(line, match) : line
    if (!newLine.endsWith('\n')) newLine += '\n'
    if (lines[found] === newLine) return same
    lines[found] = newLine
    return { text: lines.join(''), msg: 'line replaced', changed: true }
  }
  // backrefs without a match: the line cannot be built, so nothing is done.
  if (a.backrefs) return same
  if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') return added(0)
  if (a.insertafter === 'EOF' || insertAt === -1) return added(lines.length)
  if (a.insertafter !== undefined) {
    // Already right after the anchor: nothing to do.
    if (insertAt === lines.length ? strip(lines[insertAt - 1]!) === line : strip(lines[insertAt]!) === line) return same
    return added(insertAt)
  }
  return added(insertAt)
}

/** File bytes as text: UTF-8 when valid, else byte-for-byte (latin1), with a matching encoder. */
export function decodeFile(b: Buffer | undefined): { text: string; encode(s: string): Buffer; arg(s: string): string } {
  const utf8 = { encode: (s: string) => Buffer.from(s, 'utf8'), arg: (s: string) => s }
  if (!b) return { text: '', ...utf8 }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), ...utf8 }
  } catch {
    // not UTF-8
  }
  // Not UTF-8: edit bytes as latin1 characters, and the arguments' UTF-8 bytes the same way.
  return { text: b.toString('latin1'), encode: (s) => Buffer.from(s, 'latin1'), arg: (s) => Buffer.from(s, 'utf8').toString('latin1') }
}

/** The current text of a file to edit (through symlinks), or a failure/uncertain change when it cannot be read. */
export function readForEdit(s: PathState, path: string, create: boolean, ctx: PlanContext, summary: string, absentOk: boolean): { buf?: Buffer; exists: boolean } | Change[] {
  const cur = effectiveStat(s, true)
  if (!cur) {
    if (absentOk) return []
    if (!create) return missingInCheck(ctx, `Destination ${path} does not exist !`, summary, path)
    return { exists: false }
  }
  if (cur.type === 'directory') throw new ModuleFailure(`Path ${path} is a directory !`, { path })
  if (cur.type !== 'file') throw new ModuleFailure(`Path ${path} is a ${cur.type}, not a regular file`, { path })
  if (s.unreadable) throw new ModuleFailure(`cannot read ${path} (permission denied; become?)`, { path })
  if (s.tooLarge || !s.content) throw new ModuleFailure(`${path} is too large to edit (over 64 MiB)`, { path })
  return { buf: s.content, exists: true }
}

function spec(a: LineArgs, content: Buffer, note: string): WriteSpec {
  return { dest: a.path, content, owner: a.owner, group: a.group, mode: a.mode, backup: a.backup, validate: a.validate, follow: true, makeParents: a.create, verb: 'edit', note }
}

/** Will owner, group or mode of the existing file change? */
export function attrsDiffer(w: WriteSpec, s: PathState): boolean {
  const t = writeTarget(w, s)
  return !!t.cur && planAttrs(t.path, t.cur, w, { umask: s.umask }).cmds.length > 0
}

/** Ansible's message: what happened to the content, and whether attributes changed too. */
export function editMessage(msg: string, attrs: boolean): string {
  const extra = 'ownership, perms or SE linux context changed'
  return attrs ? (msg ? `${msg} and ${extra}` : extra) : msg
}

interface Planned {
  changes: Change[]
  msg: string
  spec?: WriteSpec
}

function compute(a: LineArgs, state: ProbeState, ctx: PlanContext): Planned {
  const s = pathState(state, a.path, destProbeOptions(ctx, true))
  const r = readForEdit(s, a.path, a.create, ctx, `edit ${a.path}`, a.state === 'absent')
  if (Array.isArray(r)) return { changes: r, msg: r.length ? '' : 'file not present' }
  const dec = decodeFile(r.buf)
  const conv = (v: string | undefined) => (v === undefined ? undefined : dec.arg(v))
  const e = editLines(dec.text, { ...a, line: conv(a.line), regexp: conv(a.regexp), search_string: conv(a.search_string), insertafter: conv(a.insertafter), insertbefore: conv(a.insertbefore) })
  const w = spec(a, dec.encode(e.text), e.msg)
  return { changes: planWrite(w, s, ctx), msg: editMessage(e.msg, attrsDiffer(w, s)), spec: w }
}

export const lineinfile: HostModule<LineArgs> = {
  kind: 'host',
  name: 'lineinfile',
  doc: 'Make sure a line is in a file (or replace the line a regexp finds), or is not.',
  args: {
    options: {
      path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], doc: 'The file to edit.' },
      line: { type: 'str', aliases: ['value'], doc: 'The line to have (required with state=present); with backrefs it may use \\1, \\g<name>.' },
      regexp: { type: 'str', aliases: ['regex'], doc: 'The line to replace (present) or lines to remove (absent): a Python-style regular expression, searched in each line.' },
      search_string: { type: 'str', doc: 'Like regexp, but a literal substring.' },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: the line is there; absent: no line matches.' },
      insertafter: { type: 'str', doc: "Where a new line goes: after the last line matching this regexp, or 'EOF' (default) / 'BOF'." },
      insertbefore: { type: 'str', doc: "Where a new line goes: before the last line matching this regexp, or 'BOF'." },
      create: { type: 'bool', default: false, doc: 'Create the file (and its directories) if it does not exist.' },
      backrefs: { type: 'bool', default: false, doc: "Expand the regexp's groups in line; if the regexp does not match, change nothing." },
      firstmatch: { type: 'bool', default: false, doc: 'Use the first line matching regexp/insertafter/insertbefore instead of the last.' },
      ...writeOptions,
    },
    mutuallyExclusive: [['insertbefore', 'insertafter'], ['regexp', 'search_string'], ['backrefs', 'search_string']],
  },
  returns: { msg: "'line added', 'line replaced', 'N line(s) removed', or ''", backup: "the backup file (backup: true, when the file changed), else ''" },
  validate(a) {
    const problems = writeProblems(a)
    if (a.state === 'present' && a.line === undefined) problems.push('line is required with state=present')
    if (a.state === 'present' && a.backrefs && a.regexp === undefined) problems.push('regexp is required with backrefs=true')
    if (a.state === 'absent' && a.line === undefined && a.regexp === undefined && a.search_string === undefined) problems.push('one of line, search_string, or regexp is required with state=absent')
    for (const [k, v] of [['regexp', a.regexp], ['insertafter', a.insertafter], ['insertbefore', a.insertbefore]] as const) {
      if (v === undefined || v === 'EOF' || v === 'BOF') continue
      try {
        pyRegex(v)
      } catch (e) {
        problems.push(`${k} is not a valid regular expression: ${(e as Error).message}`)
      }
    }
    return problems
  },
  probes: (a, ctx) => [pathProbe(a.path, destProbeOptions(ctx, true))],
  plan: (a, state, ctx) => compute(a, state, ctx).changes,
  result(a, state, outputs: StepOutput[], ctx) {
    const p = compute(a, state, ctx)
    const r = p.spec ? writeResult(p.spec, pathState(state, a.path, destProbeOptions(ctx, true)), outputs) : {}
    return { msg: p.msg, backup: (r.backup_file as string | undefined) ?? '' }
  },
}

