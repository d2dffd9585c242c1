/**
 * blockinfile — keep a block of lines between two marker lines in a file: insert it, update it
 * when it differs, or remove it (`state: absent`, or an empty `block`).
 *
 * The markers are `marker` with `{mark}` replaced by `marker_begin` / `marker_end`
 * (default `# BEGIN ANSIBLE MANAGED BLOCK` / `# END ANSIBLE MANAGED BLOCK`); give each block in a
 * file its own marker. A new block goes after the last line matching `insertafter` (or before
 * the last one matching `insertbefore`), `EOF` (default) / `BOF` meaning the end / start; an
 * existing block is updated in place. `prepend_newline` / `append_newline` keep a blank line
 * before / after an inserted block. The new content is computed on the controller and written
 * atomically (temp file, owner and mode set, `validate`, rename), through symlinks to the real
 * file. `create: true` creates a missing file (and its directories); otherwise a missing file is
 * an error — except with `state: absent`, where there is nothing to remove.
 *
 *   - blockinfile:
 *       path: /etc/redis/redis.conf
 *       marker: "# {mark} RUNMASTER"
 *       block: |
 *         maxmemory 2gb
 *         maxmemory-policy allkeys-lru
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

export type BlockArgs = ArgsOf<typeof schema>

export type BlockEdit = EditResult

/** blockinfile's edit, on text: pure. `exists`: whether the file exists (for 'File created'). */
export function editBlock(
  text: string,
  exists: boolean,
  a: Pick<BlockArgs, 'block' | 'marker' | 'marker_begin' | 'marker_end' | 'state' | 'insertafter' | 'insertbefore' | 'append_newline' | 'prepend_newline'>,
): BlockEdit {
  const lines = splitLines(text)
  const begin = a.marker.split('{mark}').join(a.marker_begin)
  const end = a.marker.split('{mark}').join(a.marker_end)
  const present = a.state === 'present' && a.block !== ''
  const body = a.block.endsWith('\n') ? a.block : `${a.block}\n`
  const blockLines = present ? [`${begin}\n`, ...splitLines(body), `${end}\n`] : []
  let n0: number | undefined
  let n1: number | undefined
  for (const [i, l] of lines.entries()) {
    if (stripEol(l) === begin) n0 = i
    if (stripEol(l) === end) n1 = i
  }
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined
    const insAfter = a.insertafter !== undefined && a.insertafter !== 'EOF' ? a.insertafter : undefined
    const insBefore = a.insertbefore !== undefined && a.insertbefore !== 'BOF' ? a.insertbefore : undefined
    const re = insAfter !== undefined ? pyRegex(insAfter) : insBefore !== undefined ? pyRegex(insBefore) : undefined
    if (re) {
      for (const [i, l] of lines.entries()) if (re.test(stripEol(l))) n0 = i
      if (n0 === undefined) n0 = lines.length
      else if (insAfter !== undefined) n0 += 1
    } else if (a.insertbefore === 'BOF') n0 = 0
    else n0 = lines.length
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1)
  } else {
    lines.splice(n1, n0 - n1 + 1)
    n0 = n1
  }
  if (blockLines.length) {
    if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n'
    if (a.prepend_newline && n0 !== 0 && lines[n0 - 1] !== '\n') {
      lines.splice(n0, 0, '\n')
      n0 += 1
    }
  }
  lines.splice(n0, 0, ...blockLines)
  if (blockLines.length && a.append_newline) {
    const after = n0 + blockLines.length
    if (after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n')
  }
  const result = lines.join('')
  if (result === text && exists) return { text, msg: '', changed: false }
  if (!exists) return { text: result, msg: present ? 'File created' : '', changed: present }
  return { text: result, msg: blockLines.length ? 'Block inserted' : 'Block removed', changed: true }
}

function compute(a: BlockArgs, state: EditState, ctx: PlanContext): PlannedEdit {
  return planEdit(a, state, ctx, a.state === 'absent' || a.block === '', (text, exists, arg) =>
    editBlock(text, exists, {
      ...a,
      block: arg(a.block),
      marker: arg(a.marker),
      marker_begin: arg(a.marker_begin),
      marker_end: arg(a.marker_end),
      insertafter: a.insertafter === undefined ? undefined : arg(a.insertafter),
      insertbefore: a.insertbefore === undefined ? undefined : arg(a.insertbefore),
    }),
  )
}

const schema = {
  options: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], doc: 'The file to edit.' },
    block: { type: 'str', default: '', aliases: ['content'], doc: 'The lines to have between the markers; empty means remove the block.' },
    marker: { type: 'str', default: '# {mark} ANSIBLE MANAGED BLOCK', doc: 'The marker line template; {mark} becomes marker_begin / marker_end.' },
    marker_begin: { type: 'str', default: 'BEGIN', doc: '{mark} of the first marker.' },
    marker_end: { type: 'str', default: 'END', doc: '{mark} of the last marker.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: the block is there as given; absent: no block.' },
    insertafter: { type: 'str', doc: "Where a new block goes: after the last line matching this regexp, or 'EOF' (default)." },
    insertbefore: { type: 'str', doc: "Where a new block goes: before the last line matching this regexp, or 'BOF'." },
    create: { type: 'bool', default: false, doc: 'Create the file (and its directories) if it does not exist.' },
    append_newline: { type: 'bool', default: false, doc: 'Keep a blank line after an inserted block (unless at the end of the file).' },
    prepend_newline: { type: 'bool', default: false, doc: 'Keep a blank line before an inserted block (unless at the start of the file).' },
    ...writeOptions,
  },
  mutuallyExclusive: [['insertbefore', 'insertafter']],
} as const satisfies Schema

export const blockinfile: HostModule<BlockArgs, BlockArgs, ReturnType<typeof editProbes>> = {
  kind: 'host',
  name: 'blockinfile',
  doc: 'Insert, update or remove a block of lines between marker lines in a file.',
  args: schema,
  returns: { msg: "'Block inserted', 'Block removed', 'File created' or ''", backup_file: 'the backup (backup: true, when the file changed)' },
  validate(a) {
    const problems = writeProblems(a)
    problems.push(
      ...regexProblems([
        ['insertafter', a.insertafter],
        ['insertbefore', a.insertbefore],
      ]),
    )
    if (
      a.marker !== undefined &&
      a.marker_begin !== undefined &&
      a.marker_end !== undefined &&
      a.marker.split('{mark}').join(a.marker_begin) === a.marker.split('{mark}').join(a.marker_end)
    )
      problems.push('the begin and end markers are the same line: put {mark} in marker, or make marker_begin and marker_end differ')
    return problems
  },
  probes: editProbes,
  plan: (a, state, ctx) => compute(a, state, ctx).changes,
  result(a, state, outputs, ctx) {
    const p = compute(a, state, ctx)
    const backup = editBackup(state, p, outputs)
    return { msg: p.msg, ...(backup !== undefined ? { backup_file: backup } : {}) }
  },
}
