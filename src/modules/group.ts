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
import { code, sh } from '../shell/index.js'
import { groupProbe, type GroupEntry } from '../probes/accounts.js'
import { type Change, type HostModule } from './types.js'

export interface GroupArgs {
  name: string
  state: 'present' | 'absent'
  gid?: number
  system: boolean
  non_unique: boolean
  force: boolean
}

function describe(name: string, g: { gid?: number | string } | undefined): string {
  return g ? `group ${name}: present (gid ${g.gid ?? 'to be assigned'})\n` : `group ${name}: (absent)\n`
}

function groupPlan(a: GroupArgs, g: GroupEntry | null): Change[] {
  if (a.state === 'absent') {
    if (!g) return []
    return [{ summary: `remove group ${a.name}`, steps: [{ kind: 'exec', script: sh`groupdel${code(a.force ? ' -f' : '')} -- ${a.name}` }], diff: { before: describe(a.name, g), after: describe(a.name, undefined) } }]
  }
  if (!g) {
    const w = ['groupadd']
    if (a.gid !== undefined) w.push('-g', String(a.gid), ...(a.non_unique ? ['-o'] : []))
    if (a.system) w.push('-r')
    w.push('--', a.name)
    return [{ summary: `create ${a.system ? 'system ' : ''}group ${a.name}${a.gid !== undefined ? ` (gid ${a.gid})` : ''}`, steps: [{ kind: 'exec', label: 'groupadd', script: sh`${w} && getent group -- ${a.name}` }], diff: { before: describe(a.name, undefined), after: describe(a.name, { gid: a.gid }) } }]
  }
  if (a.gid !== undefined && a.gid !== g.gid) {
    const w = ['groupmod', '-g', String(a.gid), ...(a.non_unique ? ['-o'] : []), '--', a.name]
    return [{ summary: `change the gid of group ${a.name} from ${g.gid} to ${a.gid}`, steps: [{ kind: 'exec', script: sh`${w}` }], diff: { before: describe(a.name, g), after: describe(a.name, { gid: a.gid }) } }]
  }
  return []
}

const probes = (a: GroupArgs) => ({ group: groupProbe(a.name) })

export const group: HostModule<GroupArgs, GroupArgs, ReturnType<typeof probes>> = {
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
  returns: { name: 'the group', gid: 'group id (after the task; unknown in check mode for a new group)', state: 'present or absent', system: 'whether a system group was asked for' },
  validate(a) {
    const errs: string[] = []
    if (typeof a.name === 'string' && (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(a.name) || a.name.length > 32)) errs.push(`'${a.name}' is not a valid group name`)
    if (typeof a.gid === 'number' && a.gid < 0) errs.push('gid must not be negative')
    return errs
  },
  probes,
  plan: (a, { group }) => groupPlan(a, group),
  result(a, { group: g }, outputs) {
    const made = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'groupadd')
    const gid = made ? Number(made.stdout.trim().split('\n').pop()?.split(':')[2]) : (a.gid ?? g?.gid)
    return { name: a.name, state: a.state, system: a.system, ...(a.state === 'present' && gid !== undefined && !isNaN(gid) ? { gid } : {}) }
  },
}
