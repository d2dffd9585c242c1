/**
 * sysctl — a kernel parameter in a sysctl file, and in the running kernel (ansible.posix.sysctl).
 *
 * `name` gets `value` in `sysctl_file` (default /etc/sysctl.conf): its first `name=value` line is
 * rewritten, later ones dropped, a missing one added at the end; state=absent removes them. As in
 * Ansible, a file that must change is rewritten whole: every line trimmed and written
 * `key=value`, a key's repeated lines dropped. `reload` (default true) runs `sysctl -p FILE` when
 * anything changed, and also when the file is right but the running value differs.
 * `sysctl_set: true` sets the running value with `sysctl -w` when it differs. `ignoreerrors`
 * passes `-e` (unknown keys are not errors). Boolean spellings (yes, true, on ...) become 1 or
 * 0. A failure that sysctl reports on stderr with exit status 0 ("Invalid argument", "Read-only
 * file system") fails the task, as in Ansible.
 *
 *   - sysctl: { name: vm.overcommit_memory, value: '1', sysctl_file: /etc/sysctl.d/60-redis.conf }
 *   - sysctl: { name: net.ipv4.ip_forward, value: '1', sysctl_set: true }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { pathProbe } from '../probes/files.js'
import { sysctlProbe } from '../probes/sysctl.js'
import { TRUE, FALSE } from '../text/yes-no.js'
import { destProbeOptions, planWrite } from './copy.js'
import type { ArgsOf } from './schema.js'
import { hostModule, type Change } from './types.js'

/** The value as Ansible compares it: boolean spellings are 1 and 0, the rest trimmed. */
export function sysctlValue(v: string | undefined): string {
  if (v === undefined) return ''
  if (TRUE.has(v.toLowerCase())) return '1'
  if (FALSE.has(v.toLowerCase())) return '0'
  return v.trim()
}

/** Two values agree when their whitespace-separated words do (Ansible's _values_is_equal). */
export const sameValue = (a: string | null, b: string) => a !== null && a.split(/\s+/).filter(Boolean).join(' ') === b.split(/\s+/).filter(Boolean).join(' ')

const isSetting = (l: string) => l !== '' && !l.startsWith('#') && !l.startsWith(';') && l.includes('=')
const splitSetting = (l: string): [string, string] => {
  const at = l.indexOf('=')
  return [l.slice(0, at).trim(), l.slice(at + 1).trim()]
}

/**
 * The file's value of `name` (its last line, as Ansible's dict keeps it; undefined when there is
 * none) and the file as Ansible would rewrite it: trimmed lines, first line per key, `name` set
 * (or gone for state=absent).
 */
export function editSysctlFile(text: string, name: string, value: string, state: 'present' | 'absent'): { current?: string; text: string } {
  const lines = text === '' ? [] : text.split(/(?<=\n)/).map((l) => l.trim())
  let current: string | undefined
  for (const l of lines)
    if (isSetting(l)) {
      const [k, v] = splitSetting(l)
      if (k === name) current = v
    }
  const seen = new Set<string>()
  const out: string[] = []
  for (const l of lines) {
    if (!isSetting(l)) {
      out.push(l)
      continue
    }
    const [k, v] = splitSetting(l)
    if (seen.has(k)) continue
    seen.add(k)
    if (k !== name) out.push(`${k}=${v}`)
    else if (state === 'present') out.push(`${k}=${value}`)
  }
  if (!seen.has(name) && state === 'present') out.push(`${name}=${value}`)
  return { current, text: out.map((l) => `${l}\n`).join('') }
}

// sysctl may report a failure with exit status 0: its stderr is checked too (Ansible's _stderr_failed).
const FAILED_ON_STDERR = code(`grep -Eq '^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$' "$e" && r=1`)

/** Runs sysctl with `args`, failing with `what` and sysctl's output when it fails (or says it failed). */
function sysctlRun(args: string[], what: string): Script {
  return joinScripts([
    code('e=$(mktemp) || exit 1; r=0'),
    sh`LC_ALL=C sysctl ${args} 2>"$e" || r=$?`,
    FAILED_ON_STDERR,
    sh`if [ "$r" -ne 0 ]; then printf '%s: ' ${what} >&2; cat "$e" >&2; fi`,
    code('rm -f "$e"; exit "$r"'),
  ])
}

export const sysctl = hostModule({
  kind: 'host',
  name: 'sysctl',
  doc: 'Set a kernel parameter in a sysctl file and (reload, sysctl_set) in the running kernel.',
  args: {
    options: {
      name: { type: 'str', required: true, aliases: ['key'], doc: 'The parameter (net.ipv4.ip_forward).' },
      value: { type: 'str', aliases: ['val'], doc: 'Its value (required with state=present); yes/no, true/false become 1/0.' },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: in the file with the value; absent: not in the file.' },
      sysctl_file: { type: 'path', default: '/etc/sysctl.conf', doc: 'The file that holds it.' },
      reload: {
        type: 'bool',
        default: true,
        doc: 'Run `sysctl -p sysctl_file` after a change (and when the file is right but the running value is not).',
      },
      sysctl_set: { type: 'bool', default: false, doc: 'Set the running value with `sysctl -w` when it differs.' },
      ignoreerrors: { type: 'bool', default: false, doc: 'Ignore unknown keys (sysctl -e).' },
    },
    requiredIf: [['state', 'present', ['value']]],
  },
  validate(a) {
    const problems: string[] = []
    if (typeof a.name === 'string' && a.name.trim() === '') problems.push('name cannot be blank')
    // sysctl would read it as an option.
    if (typeof a.name === 'string' && a.name.trim().startsWith('-')) problems.push(`name must not begin with '-': ${a.name}`)
    if (a.state === 'present' && a.value === '') problems.push('value cannot be blank')
    return problems
  },
  probes: (a, ctx) => ({ file: pathProbe(a.sysctl_file, destProbeOptions(ctx, true)), running: sysctlProbe(a.name.trim()) }),
  plan(a, { file, running }, ctx): Change[] {
    const name = a.name.trim()
    const value = sysctlValue(a.value)
    const e = editSysctlFile(file.content?.toString('utf8') ?? '', name, value, a.state)
    // Ansible's decisions, in its order: the file first; a right file with reload: the running value.
    const fv = e.current
    const writeFile = fv === undefined ? a.state === 'present' : (fv !== '' && a.state === 'absent') || fv !== value
    let changed = writeFile || (fv !== undefined && a.reload && !sameValue(running, value))
    const setRunning = a.sysctl_set && a.state === 'present' && running !== null && !sameValue(running, value)
    if (a.sysctl_set && a.state === 'present' && !sameValue(running, value)) changed = true
    const changes: Change[] = []
    const ignore = a.ignoreerrors ? ['-e'] : []
    if (setRunning)
      changes.push({
        summary: `set ${name} to ${value} in the running kernel (now ${running})`,
        steps: [{ kind: 'exec', script: sysctlRun([...ignore, '-w', `${name}=${value}`], `setting ${name} failed`) }],
        diff: { before: `${name} = ${running}\n`, after: `${name} = ${value}\n` },
      })
    if (writeFile)
      changes.push(
        ...planWrite(
          { dest: a.sysctl_file, content: Buffer.from(e.text), follow: false, verb: 'edit', note: `${name}=${a.state === 'present' ? value : '(absent)'}` },
          file,
          ctx,
        ),
      )
    if (changed && a.reload)
      changes.push({
        summary: `reload ${a.sysctl_file} (sysctl -p)`,
        steps: [{ kind: 'exec', script: sysctlRun([...ignore, '-p', a.sysctl_file], 'Failed to reload sysctl') }],
      })
    // Ansible reports a change it cannot make (the running value unreadable, sysctl_set without reload).
    if (changed && !changes.length) changes.push({ summary: `${name}: the running value cannot be read`, steps: [] })
    return changes
  },
})

export type SysctlArgs = ArgsOf<typeof sysctl.args>
