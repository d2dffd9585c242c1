/**
 * group — a local group, made with groupadd / groupmod / groupdel.
 *
 * `name` is the group. `state: present` (the default) makes it exist, with `gid` when given (an
 * existing group's gid is changed to it; `non_unique` allows a gid another group has); `system:
 * true` makes a system group (a gid below 1000) and only matters when the group is created.
 * `state: absent` deletes it (`force: true` even when it is some user's primary group).
 * Diff mode shows `group app: (absent)` → `group app: present (gid 1001)`.
 *
 *   - group: { name: runmaster, system: true }
 *   - group: { name: deploy, gid: 2001 }
 */
import { code, sh, type Script } from '../shell/index.js'
import { groupProbe } from '../probes/accounts.js'
import type { ArgsOf } from './schema.js'
import { hostModule, type Change } from './types.js'

const describe = (name: string, gid?: number | string | null) => `group ${name}: ${gid === null ? '(absent)' : `present (gid ${gid ?? 'to be assigned'})`}\n`

export const group = hostModule({
  kind: 'host',
  name: 'group',
  doc: 'Manage a local group (groupadd/groupmod/groupdel).',
  args: {
    options: {
      name: { type: 'str', required: true, doc: 'The group name.' },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'Whether the group exists.' },
      gid: { type: 'int', doc: 'Group id.' },
      system: { type: 'bool', default: false, doc: 'Create a system group (only when creating).' },
      non_unique: { type: 'bool', default: false, doc: 'Allow a gid another group has (-o).' },
      force: { type: 'bool', default: false, doc: "With state=absent: delete even when it is a user's primary group." },
    },
  },
  returns: {
    name: 'the group',
    gid: 'group id (after the task; unknown in check mode for a new group)',
    state: 'present or absent',
    system: 'whether a system group was asked for',
  },
  validate: (a) => [
    ...(typeof a.name === 'string' && (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(a.name) || a.name.length > 32) ? [`'${a.name}' is not a valid group name`] : []),
    ...(typeof a.gid === 'number' && a.gid < 0 ? ['gid must not be negative'] : []),
  ],
  probes: (a) => ({ group: groupProbe(a.name) }),
  plan(a, { group: g }): Change[] {
    const change = (summary: string, script: Script, after: number | null | undefined, label?: string): Change[] => [
      {
        summary,
        steps: [{ kind: 'exec', script, ...(label ? { label } : {}) }],
        diff: { before: describe(a.name, g ? g.gid : null), after: describe(a.name, after) },
      },
    ]
    const gid = a.gid !== undefined ? ['-g', String(a.gid), ...(a.non_unique ? ['-o'] : [])] : []
    if (a.state === 'absent') return g ? change(`remove group ${a.name}`, sh`groupdel${code(a.force ? ' -f' : '')} -- ${a.name}`, null) : []
    // groupadd prints nothing: getent's line gives result() the gid it chose.
    if (!g)
      return change(
        `create ${a.system ? 'system ' : ''}group ${a.name}${a.gid !== undefined ? ` (gid ${a.gid})` : ''}`,
        sh`${['groupadd', ...gid, ...(a.system ? ['-r'] : []), '--', a.name]} && getent group -- ${a.name}`,
        a.gid,
        'groupadd',
      )
    if (a.gid !== undefined && a.gid !== g.gid)
      return change(`change the gid of group ${a.name} from ${g.gid} to ${a.gid}`, sh`${['groupmod', ...gid, '--', a.name]}`, a.gid)
    return []
  },
  result(a, { group: g }, outputs) {
    const made = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'groupadd')
    const gid = made ? Number(made.stdout.trim().split('\n').pop()?.split(':')[2]) : (a.gid ?? g?.gid)
    return { name: a.name, state: a.state, system: a.system, ...(a.state === 'present' && gid !== undefined && !isNaN(gid) ? { gid } : {}) }
  },
})

export type GroupArgs = ArgsOf<typeof group.args>
