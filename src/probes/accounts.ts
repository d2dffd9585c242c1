// Users and groups as the host's name service sees them (getent: /etc/passwd, /etc/group and
// anything nsswitch adds), the password hash from the shadow database, and group membership.
import { code, joinScripts, sh } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { sections } from './output.js'

export interface PasswdEntry {
  name: string
  uid: number
  gid: number
  comment: string
  home: string
  shell: string
}

export interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

export interface UserState {
  user?: PasswdEntry
  /** Shadow hash, when asked for and readable. */
  hash?: string
  /** Groups that list the user as a member (supplementary groups). */
  memberOf: string[]
  /** Each group asked about (by name or gid, as written) → the group, or null when missing. */
  groups: Record<string, GroupEntry | null>
  /** The user's primary group, resolved from its gid. */
  primary?: GroupEntry
  /** The home the probe was asked about (the one in passwd by default) exists. */
  homeExists: boolean
}

export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.split(':')
  if (f.length < 7) return undefined
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f.slice(6).join(':') }
}

export function parseGroupLine(line: string): GroupEntry | undefined {
  const f = line.split(':')
  if (f.length < 4 || f[2] === '' || isNaN(Number(f[2]))) return undefined
  return { name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] }
}

/** The non-empty lines of each section. */
function sectionLines(text: string): Map<string, string[]> {
  return new Map([...sections(text)].map(([name, body]) => [name, body.split('\n').filter((l) => l !== '')]))
}

export function parseUserState(text: string, groupQueries: string[]): UserState {
  const s = sectionLines(text)
  const user = (s.get('passwd') ?? []).map(parsePasswdLine).find(Boolean)
  const hashLine = s.get('shadow')?.[0]
  const groups: Record<string, GroupEntry | null> = {}
  const lines = s.get('groups') ?? []
  groupQueries.forEach((q, i) => {
    const l = lines[i]
    groups[q] = l === undefined || l.startsWith('-missing-') ? null : (parseGroupLine(l) ?? null)
  })
  const primaryLine = s.get('primary')?.[0]
  return {
    user,
    ...(hashLine !== undefined && user ? { hash: hashLine } : {}),
    memberOf: s.get('member') ?? [],
    groups,
    ...(primaryLine ? { primary: parseGroupLine(primaryLine) } : {}),
    homeExists: (s.get('home')?.[0] ?? '') === 'yes',
  }
}

export function userProbeId(name: string, groupQueries: string[], shadow: boolean, home?: string): string {
  return `user:${JSON.stringify([name, groupQueries, shadow, ...(home !== undefined ? [home] : [])])}`
}

/**
 * One user, its memberships, and the groups the arguments name (missing ones print -missing-);
 * whether `home` (by default the user's home in passwd) exists.
 */
export function userProbe(name: string, groupQueries: string[], shadow: boolean, home?: string): Probe<UserState> {
  // `--` before every name: a name that begins with '-' is a name, never an option of getent.
  // awk gets the name from its environment: -v would read backslash escapes in it.
  const script = joinScripts([
    sh`n=${name}`,
    code('echo @@passwd'),
    code('getent passwd -- "$n"'),
    ...(shadow ? [code('echo @@shadow'), code('getent shadow -- "$n" | cut -d: -f2')] : []),
    code('echo @@member'),
    code(`getent group | rmp_u="$n" awk -F: '{n=split($4,m,","); for(i=1;i<=n;i++) if(m[i]==ENVIRON["rmp_u"]){print $1; break}}'`),
    code('echo @@groups'),
    ...groupQueries.map((g) => sh`getent group -- ${g} | head -1 | grep . || echo -missing-`),
    code('echo @@primary'),
    code('gid=$(getent passwd -- "$n" | cut -d: -f4); [ -n "$gid" ] && getent group -- "$gid" | head -1'),
    code('echo @@home'),
    // -e, as Ansible's os.path.exists: a file there is a home it does not make
    home !== undefined ? sh`h=${home}` : code('h=$(getent passwd -- "$n" | cut -d: -f6)'),
    code('if [ -n "$h" ] && [ -e "$h" ]; then echo yes; else echo no; fi'),
    code('echo @@end'),
    code('exit 0'),
  ])
  return { id: userProbeId(name, groupQueries, shadow, home), script, parse: (o) => parseUserState(o.stdout, groupQueries) }
}

export function groupProbeId(name: string): string {
  return `group:${name}`
}

export function groupProbe(name: string): Probe<GroupEntry | null> {
  return {
    id: groupProbeId(name),
    script: sh`getent group -- ${name} | head -1; exit 0`,
    parse: (o) => {
      const line = o.stdout.split('\n').find((l) => l.trim() !== '')
      if (!line) return null
      const g = parseGroupLine(line)
      if (!g) throw new Error(`unexpected getent output: ${line}`)
      return g
    },
  }
}
