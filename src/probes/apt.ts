// Debian package state: what dpkg has installed, what apt could install (apt-cache policy), how
// old the package lists are, and what a .deb file holds. All in one script, no python.
import { code, DEFAULT_IFS, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { keyValues, sections } from './output.js'

/** dpkg's view of one package. `status` is the second letter of db:Status-Abbrev (i, c, n, U, ...). */
export interface DpkgEntry {
  name: string
  arch: string
  status: string
  version: string
}

/** apt-cache policy's view of one package: installed and candidate version, every known version. */
export interface PolicyEntry {
  installed?: string
  candidate?: string
  versions: string[]
}

export interface DebFile {
  exists: boolean
  name?: string
  version?: string
  arch?: string
}

export interface AptState {
  /** The host's clock (epoch seconds), read only when asked (AptProbeOptions.now); else 0. */
  now: number
  /** When the package lists were last updated (epoch seconds; 0 = never). */
  cacheTime: number
  /** How many Packages index files the lists hold (0: apt-get update never ran). */
  lists: number
  dpkg: DpkgEntry[]
  /** Keyed by the name as it was asked for (with :arch when given). */
  policy: Record<string, PolicyEntry>
  deb?: DebFile
  /** Packages `apt-get autoremove` would remove (only read when asked). */
  autoremovable?: string[]
  /** What a system upgrade would install or upgrade (only read when asked). */
  upgradable?: Upgrade[]
}

export interface Upgrade {
  name: string
  from?: string
  to: string
}

export interface AptProbeOptions {
  names: string[]
  defaultRelease?: string
  deb?: string
  autoremove?: boolean
  /** Simulate a system upgrade: `upgrade --with-new-pkgs` or `dist-upgrade`. */
  upgrade?: 'upgrade' | 'dist-upgrade'
  /** Read the host's clock: only the cache's age needs it (update_cache, cache_valid_time); a `date` less otherwise. */
  now?: boolean
  /**
   * Candidate versions are needed even for installed packages (state latest, pinned versions).
   * Otherwise apt-cache policy, the costly part (it reads every package list), runs only when a
   * package is not installed.
   */
  candidatesOfInstalled?: boolean
}

/** Compares two Debian versions as dpkg does: <0, 0, >0. */
export function compareDebVersions(a: string, b: string): number {
  const split = (v: string): [number, string, string] => {
    let epoch = 0
    let rest = v
    const colon = rest.indexOf(':')
    if (colon >= 0 && /^\d+$/.test(rest.slice(0, colon))) {
      epoch = parseInt(rest.slice(0, colon), 10)
      rest = rest.slice(colon + 1)
    }
    const dash = rest.lastIndexOf('-')
    return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, '']
  }
  const order = (c: string | undefined): number => {
    if (c === undefined) return 0
    if (c === '~') return -1
    if (/[A-Za-z]/.test(c)) return c.charCodeAt(0)
    return c.charCodeAt(0) + 256
  }
  const part = (x: string, y: string): number => {
    let i = 0
    let j = 0
    while (i < x.length || j < y.length) {
      // Non-digit prefixes compare character by character, '~' sorting before everything (even the end).
      while ((i < x.length && !/\d/.test(x[i]!)) || (j < y.length && !/\d/.test(y[j]!))) {
        const cx = i < x.length && !/\d/.test(x[i]!) ? x[i] : undefined
        const cy = j < y.length && !/\d/.test(y[j]!) ? y[j] : undefined
        const d = order(cx) - order(cy)
        if (d !== 0) return d
        if (cx !== undefined) i++
        if (cy !== undefined) j++
      }
      let nx = ''
      let ny = ''
      while (i < x.length && /\d/.test(x[i]!)) nx += x[i++]
      while (j < y.length && /\d/.test(y[j]!)) ny += y[j++]
      const d = Number(nx || '0') - Number(ny || '0')
      if (d !== 0) return d
    }
    return 0
  }
  const [ea, ua, ra] = split(a)
  const [eb, ub, rb] = split(b)
  if (ea !== eb) return ea - eb
  return part(ua, ub) || part(ra, rb)
}

/** One line per package: name, arch, db:Status-Abbrev, version (dpkg-query -W). */
export function parseDpkgQuery(text: string): DpkgEntry[] {
  const out: DpkgEntry[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const [name = '', arch = '', abbrev = '', version = ''] = line.split('\t')
    out.push({ name, arch, status: abbrev.charAt(1) || 'n', version })
  }
  return out
}

/** `apt-cache policy a b c`: a block per known package, headed by "name:" at column 0. */
export function parseAptPolicy(text: string): Record<string, PolicyEntry> {
  const out: Record<string, PolicyEntry> = {}
  let cur: PolicyEntry | undefined
  let inTable = false
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) {
      cur = { versions: [] }
      out[line.slice(0, -1)] = cur
      inTable = false
      continue
    }
    if (!cur) continue
    const m = /^ {2}(Installed|Candidate): (.*)$/.exec(line)
    if (m) {
      const v = m[2]!.trim()
      if (v !== '(none)') cur[m[1] === 'Installed' ? 'installed' : 'candidate'] = v
      continue
    }
    if (/^ {2}Version table:/.test(line)) {
      inTable = true
      continue
    }
    // Version lines are indented 5 (or " *** " for the installed one); their sources 8.
    const vm = inTable ? /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line) : null
    if (vm && !cur.versions.includes(vm[1]!)) cur.versions.push(vm[1]!)
  }
  return out
}

/** `apt-get -s autoremove`: the "Remv name [version]" lines. */
export function parseAutoremove(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^Remv (\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x)
}

/** `apt-get -s upgrade`: "Inst name [old] (new release [arch])" lines. */
export function parseSimulatedInstalls(text: string): Upgrade[] {
  const out: Upgrade[] = []
  for (const l of text.split('\n')) {
    const m = /^Inst (\S+)(?: \[([^\]]+)\])? \((\S+)/.exec(l)
    if (m) out.push({ name: m[1]!, ...(m[2] ? { from: m[2] } : {}), to: m[3]! })
  }
  return out
}

export function parseAptState(text: string): AptState {
  const s = sections(text)
  const kv = keyValues(s.get('head') ?? '')
  const state: AptState = {
    now: Number(kv.now ?? 0),
    cacheTime: Number(kv.cache_time ?? 0),
    lists: Number(kv.lists ?? 0),
    dpkg: parseDpkgQuery(s.get('dpkg') ?? ''),
    policy: parseAptPolicy(s.get('policy') ?? ''),
  }
  const d = s.get('deb')
  if (d !== undefined) {
    const f = Object.fromEntries(
      d
        .split('\n')
        .filter((l) => /^[A-Za-z]+: /.test(l))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2).trim()]),
    )
    state.deb = d.startsWith('missing') ? { exists: false } : { exists: true, name: f.Package, version: f.Version, arch: f.Architecture }
  }
  const autoremove = s.get('autoremove')
  if (autoremove !== undefined) state.autoremovable = parseAutoremove(autoremove)
  const upgrade = s.get('upgrade')
  if (upgrade !== undefined) state.upgradable = parseSimulatedInstalls(upgrade)
  return state
}

/** The package name without a version (`jq=1.6-2` → `jq`, keeps `:arch`). */
export function baseName(spec: string): string {
  const eq = spec.indexOf('=')
  return eq < 0 ? spec : spec.slice(0, eq)
}

export function aptProbeId(o: AptProbeOptions): string {
  return `apt:${JSON.stringify([[...o.names].sort(), o.defaultRelease ?? '', o.deb ?? '', !!o.autoremove, o.upgrade ?? '', !!o.candidatesOfInstalled, !!o.now])}`
}

/**
 * apt-cache and apt-get -s would write /var/cache/apt/pkgcache.bin and srcpkgcache.bin when they
 * are missing or stale: a probe (and so check mode) must leave the host as it was (trust 36).
 */
const NO_CACHE_FILES = code('-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=')

/** The variables the apt probe sets: the batch unsets them after it (it runs inline: no exit, IFS put back). */
const APT_VARS = ['rmp_cache', 'rmp_mt', 'rmp_lists', 'rmp_lf', 'rmp_dpkg', 'rmp_ii', 'rmp_l'] as const

export function aptProbe(o: AptProbeOptions): Probe<AptState> {
  const names = [...new Set(o.names.map(baseName))]
  const rel = o.defaultRelease ? sh` -t ${o.defaultRelease}` : code('')
  const parts: Script[] = [
    code('echo @@head'),
    ...(o.now ? [code('echo "now=$(date +%s)"')] : []),
    code(`rmp_cache=0
for rmp_mt in $(stat -c %Y -- /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.* /var/lib/apt/lists/*InRelease /var/lib/apt/lists/*_Release 2>/dev/null); do
  [ "$rmp_mt" -gt "$rmp_cache" ] && rmp_cache=$rmp_mt
done
echo "cache_time=$rmp_cache"
rmp_lists=0; for rmp_lf in /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.*; do [ -f "$rmp_lf" ] && rmp_lists=$((rmp_lists+1)); done; echo "lists=$rmp_lists"
echo @@dpkg`),
  ]
  // (The stamp is touched after every update we run; without it the newest index file tells. One
  // stat for all the files: a process per file costs more than the rest of the probe.)
  if (names.length) {
    parts.push(sh`rmp_dpkg=$(dpkg-query -W -f='\${Package}\\t\${Architecture}\\t\${db:Status-Abbrev}\\t\${Version}\\n' -- ${names} 2>/dev/null)
printf '%s\\n' "$rmp_dpkg"
echo @@policy`)
    const policy = sh`apt-cache ${NO_CACHE_FILES}${rel} policy -- ${names} 2>/dev/null`
    if (o.candidatesOfInstalled) parts.push(policy)
    // Every name installed ("ii"): no candidate is needed, skip the costly policy read.
    else
      parts.push(
        sh`rmp_ii=0; IFS='\n'; for rmp_l in $rmp_dpkg; do case "$rmp_l" in *'\tii '*) rmp_ii=$((rmp_ii+1)) ;; esac; done; ${DEFAULT_IFS}; [ "$rmp_ii" -ge ${names.length} ] || ${policy}`,
      )
  } else parts.push(code('echo @@policy'))
  if (o.deb)
    parts.push(sh`echo @@deb
if [ -f ${o.deb} ]; then dpkg-deb -f ${o.deb} Package Version Architecture; else echo missing; fi`)
  if (o.autoremove)
    parts.push(sh`echo @@autoremove
LC_ALL=C apt-get ${NO_CACHE_FILES} -s -q autoremove 2>/dev/null | grep "^Remv "`)
  if (o.upgrade)
    parts.push(sh`echo @@upgrade
LC_ALL=C apt-get ${NO_CACHE_FILES} -s -q${rel} ${code(o.upgrade === 'upgrade' ? 'upgrade --with-new-pkgs' : 'dist-upgrade')} 2>/dev/null | grep "^Inst "`)
  // (the last echo's 0 is the probe's exit code, as `exit 0` gave it when the probe had a subshell)
  parts.push(code('echo @@end'))
  return { id: aptProbeId(o), script: joinScripts(parts), parse: (out) => parseAptState(out.stdout), inline: { sets: APT_VARS } }
}
