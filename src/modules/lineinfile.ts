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
import { writeOptions, writeProblems } from './copy.js'
import {
  editBackup,
  editProbes,
  planEdit,
  pyRegex,
  regexProblems,
  splitLines,
  stripEol,
  type EditResult,
  type EditState,
  type PlannedEdit,
} from './text-edit.js'
import type { HostModule, PlanContext } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export { pyRegex }

export type LineArgs = ArgsOf<typeof schema>

/** Python's match.expand: \1 .. \99, \g<1>, \g<name>, and the usual escapes. */
export function expandBackrefs(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/g, (whole, name: string | undefined, num: string | undefined, ch: string | undefined) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? ''
    if (num !== undefined) return m[Number(num)] ?? ''
    const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', f: '\f', v: '\v' }
    return esc[ch!] ?? whole
  })
}

/** lineinfile's edit, on text: pure. */
export function editLines(
  text: string,
  a: Pick<LineArgs, 'line' | 'regexp' | 'search_string' | 'state' | 'insertafter' | 'insertbefore' | 'backrefs' | 'firstmatch'>,
): EditResult {
  const lines = splitLines(text)
  const re = a.regexp !== undefined ? pyRegex(a.regexp) : undefined
  if (a.state === 'absent') {
    let removed = 0
    const kept = lines.filter((l) => {
      const hit = re ? re.test(stripEol(l)) : a.search_string !== undefined ? l.includes(a.search_string) : stripEol(l) === a.line
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
    const m = re ? re.exec(stripEol(l)) : a.search_string !== undefined ? l.includes(a.search_string) : stripEol(l) === line
    if (m) {
      found = i
      match = m
      if (a.firstmatch) break
    }
  }
  // 2. no match: is the exact line there already, and where would it be inserted?
  if (!match) {
    for (const [i, l] of lines.entries()) {
      if (stripEol(l) === line) found = i
      else if (ins && ins.test(stripEol(l))) {
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
    if (insertAt === lines.length ? stripEol(lines[insertAt - 1]!) === line : stripEol(lines[insertAt]!) === line) return same
    return added(insertAt)
  }
  return added(insertAt)
}

function compute(a: LineArgs, state: EditState, ctx: PlanContext): PlannedEdit {
  return planEdit(a, state, ctx, a.state === 'absent', (text, _exists, arg) => {
    const conv = (v: string | undefined) => (v === undefined ? undefined : arg(v))
    return editLines(text, {
      ...a,
      line: conv(a.line),
      regexp: conv(a.regexp),
      search_string: conv(a.search_string),
      insertafter: conv(a.insertafter),
      insertbefore: conv(a.insertbefore),
    })
  })
}

const schema = {
  options: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], doc: 'The file to edit.' },
    line: { type: 'str', aliases: ['value'], doc: 'The line to have (required with state=present); with backrefs it may use \\1, \\g<name>.' },
    regexp: {
      type: 'str',
      aliases: ['regex'],
      doc: 'The line to replace (present) or lines to remove (absent): a Python-style regular expression, searched in each line.',
    },
    search_string: { type: 'str', doc: 'Like regexp, but a literal substring.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: the line is there; absent: no line matches.' },
    insertafter: { type: 'str', doc: "Where a new line goes: after the last line matching this regexp, or 'EOF' (default) / 'BOF'." },
    insertbefore: { type: 'str', doc: "Where a new line goes: before the last line matching this regexp, or 'BOF'." },
    create: { type: 'bool', default: false, doc: 'Create the file (and its directories) if it does not exist.' },
    backrefs: { type: 'bool', default: false, doc: "Expand the regexp's groups in line; if the regexp does not match, change nothing." },
    firstmatch: { type: 'bool', default: false, doc: 'Use the first line matching regexp/insertafter/insertbefore instead of the last.' },
    ...writeOptions,
  },
  mutuallyExclusive: [
    ['insertbefore', 'insertafter'],
    ['regexp', 'search_string'],
    ['backrefs', 'search_string'],
  ],
} as const satisfies Schema

/** Ansible's warning (word for word, in the registered `warnings`) for a regexp or search_string that matches every line. */
function emptyPatternWarning(a: Pick<LineArgs, 'regexp' | 'search_string'>): string[] | undefined {
  if (a.regexp !== '' && a.search_string !== '') return undefined
  const what = a.regexp === '' ? 'regular expression' : 'search string'
  const msg = `The ${what} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.`
  return [a.regexp === '' ? `${msg} If this is desired, use '^' to match every line in the file and avoid this warning.` : msg]
}

export const lineinfile: HostModule<LineArgs, LineArgs, ReturnType<typeof editProbes>> = {
  kind: 'host',
  name: 'lineinfile',
  doc: 'Make sure a line is in a file (or replace the line a regexp finds), or is not.',
  args: schema,
  returns: { msg: "'line added', 'line replaced', 'N line(s) removed', or ''", backup: "the backup file (backup: true, when the file changed), else ''" },
  validate(a) {
    const problems = writeProblems(a)
    if (a.state === 'present' && a.line === undefined) problems.push('line is required with state=present')
    if (a.state === 'present' && a.backrefs && a.regexp === undefined) problems.push('regexp is required with backrefs=true')
    if (a.state === 'absent' && a.line === undefined && a.regexp === undefined && a.search_string === undefined)
      problems.push('one of line, search_string, or regexp is required with state=absent')
    problems.push(
      ...regexProblems([
        ['regexp', a.regexp],
        ['insertafter', a.insertafter],
        ['insertbefore', a.insertbefore],
      ]),
    )
    return problems
  },
  probes: editProbes,
  plan: (a, state, ctx) => compute(a, state, ctx).changes,
  result(a, state, outputs, ctx) {
    const p = compute(a, state, ctx)
    const warnings = emptyPatternWarning(a)
    return { msg: p.msg, backup: editBackup(state, p, outputs) ?? '', ...(warnings ? { warnings } : {}) }
  },
}
