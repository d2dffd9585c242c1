/**
 * ini_file — set, add or remove an option in a section of an INI file (community.general.ini_file).
 *
 * `section` names the section (`[section]`); without it the option goes before the first section
 * (the "global" part). With state=present, an existing `option = value` line (also one commented
 * out with `#` or `;`) is rewritten, a missing one is added after the last non-blank,
 * non-comment line of the section, and a missing section is added at the end of the file.
 * `exclusive` (default true) leaves one line per value and removes the other lines of the option.
 * State=absent removes the option's lines (or, without `option`, the whole section).
 * `allow_no_value` writes a bare `option` line. `no_extra_spaces` writes `option=value` instead of
 * `option = value`. The file is created (with its directories) when missing unless
 * `create: false`. The edit follows Ansible's, byte for byte: CRLF line ends and a BOM are
 * dropped when the file changes, a missing final newline is added, a new file starts with a
 * blank line when its first line is a section.
 *
 *   - ini_file: { path: /etc/php/8.2/fpm/php.ini, section: PHP, option: memory_limit, value: 256M }
 *   - ini_file: { path: /etc/app.conf, option: debug, value: 'false', no_extra_spaces: true }
 *   - ini_file: { path: /etc/app.conf, section: old, state: absent }
 */
import { writeOptions, writeProblems } from './copy.js'
import { editBackup, editProbes, planEdit, type EditResult, type EditState, type PlannedEdit } from './text-edit.js'
import type { HostModule, PlanContext } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type IniArgs = ArgsOf<typeof schema>

/** What the pure edit needs: the arguments, with value/values merged into `values`. */
export interface IniEdit {
  section?: string
  option?: string
  values: string[]
  state: 'present' | 'absent'
  exclusive: boolean
  no_extra_spaces: boolean
  allow_no_value: boolean
}

// The name of the section Ansible puts before the first line, so that the global part is a section too.
const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5'
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
const noEol = (l: string) => (l.endsWith('\n') ? l.slice(0, -1) : l)

/** Ansible's match_opt (commented out too) and match_active_opt: the match, whose group 6 is the value. */
function matchOpt(option: string | undefined, line: string, active = false): RegExpExecArray | null {
  if (!option) return null
  return new RegExp(`^${active ? '' : '[#;]?'}( |\\t)*(${escapeRe(option)})( |\\t)*(=|$)( |\\t)*([^\\n]*)`).exec(noEol(line))
}

const blankOrComment = (l: string) => /^[ \t]*([#;][^\n]*)?$/.test(noEol(l))

/** ini_file's edit of a file's text (Ansible's do_ini): pure. */
export function editIni(original: string, a: IniEdit): EditResult {
  // Python reads the file as utf-8-sig in universal-newline mode: no BOM, every line end a "\n".
  const text = original.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const lines = text === '' ? ['\n'] : text.split(/(?<=\n)/)
  let changed = false
  let msg = 'OK'
  if (!lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n'
    changed = true
  }
  const values = a.values.filter((v, i) => a.values.indexOf(v) === i)
  const { option, allow_no_value: allowNoValue, exclusive } = a
  const section = a.section || FAKE_SECTION
  const line = (v: string) => (a.no_extra_spaces ? `${option}=${v}\n` : `${option} = ${v}\n`)
  const all = [`[${FAKE_SECTION}]`, ...lines, '[']
  let within = false
  let start = 0
  let end = 0
  for (const [i, l] of all.entries()) {
    if (l.startsWith(`[${section}]`)) {
      within = true
      start = i
    } else if (l.startsWith('[') && within) {
      end = i
      break
    }
  }
  let sec = all.slice(start, end)
  const touched = sec.map(() => false)
  const update = (i: number, newline: string) => {
    if (sec[i] !== newline) {
      changed = true
      msg = 'option changed'
    }
    sec[i] = newline
    touched[i] = true
  }
  let noValuePresent = false
  if (a.state === 'present' && option) {
    for (const [i, l] of sec.entries()) {
      const m = matchOpt(option, l)
      if (!m) continue
      const found = m[6]!
      if (values.length && values.includes(found)) {
        if (!found && allowNoValue) {
          update(i, `${option}\n`)
          noValuePresent = true
        } else update(i, line(found))
        values.splice(values.indexOf(found), 1)
      } else if (!values.length && allowNoValue) {
        update(i, `${option}\n`)
        noValuePresent = true
        break
      }
    }
  }
  if (a.state === 'present' && exclusive && !allowNoValue) {
    if (values.length) {
      for (const [i, l] of sec.entries()) {
        if (touched[i] || !matchOpt(option, l)) continue
        update(i, line(values.shift()!))
        if (!values.length) break
      }
    }
    // The other lines of the option go (the section's own line, index 0, is never one).
    for (let i = sec.length - 1; i > 0; i--) {
      if (!touched[i] && matchOpt(option, sec[i]!)) {
        sec.splice(i, 1)
        touched.splice(i, 1)
        changed = true
        msg = 'option changed'
      }
    }
  }
  if (a.state === 'present') {
    // New lines go after the last line that is neither blank nor a comment.
    for (let i = sec.length; i > 0; i--) {
      if (blankOrComment(sec[i - 1]!)) continue
      if (option && values.length) {
        sec.splice(i, 0, ...values.map(line))
        msg = 'option added'
        changed = true
      } else if (option && allowNoValue && !noValuePresent) {
        sec.splice(i, 0, `${option}\n`)
        msg = 'option added'
        changed = true
      }
      break
    }
  }
  if (a.state === 'absent') {
    const kept = option
      ? exclusive
        ? sec.filter((l) => !matchOpt(option, l, true))
        : values.length
          ? sec.filter((l) => !values.includes(matchOpt(option, l, true)?.[6] as string))
          : sec
      : []
    if (kept.length !== sec.length) {
      changed = true
      msg = option ? 'option changed' : 'section removed'
      sec = kept
    }
  }
  const out = [...all.slice(0, start), ...sec, ...all.slice(end)].slice(1, -1)
  if (!within && a.state === 'present') {
    out.push(`[${section}]\n`)
    msg = 'section and option added'
    if (option && values.length) out.push(...values.map(line))
    else if (option && allowNoValue) out.push(`${option}\n`)
    else msg = 'only section added'
    changed = true
  }
  return { text: changed ? out.join('') : original, msg, changed }
}

/** The planned write, and Ansible's msg: what happened to the content ('OK' when nothing did; attributes do not count). */
function compute(a: IniArgs, state: EditState, ctx: PlanContext): PlannedEdit & { iniMsg: string } {
  const values = a.value !== undefined ? [a.value] : (a.values ?? [])
  let iniMsg = 'OK'
  // A missing file is fine for state=absent, unless create: false (then Ansible fails).
  const p = planEdit(a, state, ctx, a.state === 'absent' && a.create, (text, _exists, arg) => {
    const e = editIni(text, {
      ...a,
      section: a.section === undefined ? undefined : arg(a.section),
      option: a.option === undefined ? undefined : arg(a.option),
      values: values.map(arg),
    })
    iniMsg = e.msg
    return e
  })
  return { ...p, iniMsg }
}

const schema = {
  options: {
    path: { type: 'path', required: true, aliases: ['dest'], doc: 'The INI file.' },
    section: { type: 'str', doc: 'The section; unset (or empty): the global part before the first section.' },
    option: { type: 'str', doc: 'The option; unset with state=absent: the whole section goes.' },
    value: { type: 'str', doc: 'Its value (required with state=present unless allow_no_value).' },
    values: { type: 'list', elements: 'str', doc: 'Several values, one line each (with exclusive: only these lines of the option stay).' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: the option has the value(s); absent: it is not there.' },
    exclusive: {
      type: 'bool',
      default: true,
      doc: 'present: remove the other lines of the option; absent: remove every line of it (false: only those with the values).',
    },
    no_extra_spaces: { type: 'bool', default: false, doc: "Write 'option=value' instead of 'option = value'." },
    allow_no_value: { type: 'bool', default: false, doc: 'Allow an option without a value: a bare option line.' },
    create: { type: 'bool', default: true, doc: 'Create the file (and its directories) when it is missing; false: fail.' },
    ...writeOptions,
  },
  mutuallyExclusive: [['value', 'values']],
} as const satisfies Schema

export const iniFile: HostModule<IniArgs, IniArgs, ReturnType<typeof editProbes>> = {
  kind: 'host',
  name: 'ini_file',
  doc: 'Set, add or remove an option (or a section) of an INI file.',
  args: schema,
  returns: {
    msg: "'OK', 'option changed', 'option added', 'section and option added', 'only section added' or 'section removed'",
    path: 'the file',
    backup_file: 'the backup (backup: true, when the file changed)',
  },
  validate(a) {
    const problems = writeProblems(a)
    if (a.state === 'present' && !a.allow_no_value && a.value === undefined && !a.values?.length)
      problems.push("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.")
    return problems
  },
  probes: editProbes,
  plan: (a, state, ctx) => compute(a, state, ctx).changes,
  result(a, state, outputs, ctx) {
    const p = compute(a, state, ctx)
    const backup = editBackup(state, p, outputs)
    return { msg: p.iniMsg, path: a.path, ...(backup !== undefined ? { backup_file: backup } : {}) }
  },
}
