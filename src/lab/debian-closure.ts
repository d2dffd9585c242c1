// The dependency closure of some Python requirements in Debian's python3-* packages: which
// packages hold the projects pip will ask for on a host, found the way pip finds them (each
// project's Requires-Dist whose marker holds on the hosts' Python, with the extras asked for) plus
// the Python packages Debian's Depends line adds (the wheel made from a package declares them too,
// src/lab/wheel-from-deb.ts), repeated until nothing new is named. Loading the packages is the
// caller's (apt-get download); this file is the bookkeeping, and says what is missing and who needs it.
import type { DebProject } from './wheel-from-deb.js'
import { parseRequirement, requirementApplies, type MarkerEnvironment, type Requirement } from './pep508.js'
import { mergeRequires, normalizeName } from './wheel-metadata.js'

/** The hosts' interpreter: Debian 12's python3 3.11.2 (the lab's hosts are bookworm) on the controller's CPU. */
export function hostMarkers(machine = process.arch === 'arm64' ? 'aarch64' : 'x86_64'): MarkerEnvironment {
  return {
    python_version: '3.11',
    python_full_version: '3.11.2',
    implementation_name: 'cpython',
    implementation_version: '3.11.2',
    platform_python_implementation: 'CPython',
    platform_system: 'Linux',
    platform_machine: machine,
    platform_release: '',
    platform_version: '',
    sys_platform: 'linux',
    os_name: 'posix',
  }
}

/** Projects whose Debian package is not python3-NAME (NAME normalised). */
const PROJECT_DEBS: Record<string, string> = {
  pytz: 'python3-tz',
  'python-dateutil': 'python3-dateutil',
  'python-memcached': 'python3-memcache',
  pyyaml: 'python3-yaml',
  // Debian's setuptools is split (python3-setuptools, python3-pkg-resources); the -whl package is
  // the whole upstream wheel, the one `python3 -m venv` installs.
  setuptools: 'python3-setuptools-whl',
}

/** Python packages of Depends lines that are another package's project, or no project at all (null). */
const DEPENDS_AS: Record<string, string | null> = {
  'python3-setuptools': 'python3-setuptools-whl',
  'python3-pkg-resources': 'python3-setuptools-whl',
  // parts of the standard library that Debian packages apart: there on the hosts' Python.
  'python3-distutils': null,
  'python3-lib2to3': null,
}

export function debOfProject(project: string): string {
  const name = normalizeName(project)
  return PROJECT_DEBS[name] ?? `python3-${name}`
}

/** The Python packages a Depends line names (alternatives met by python3 itself left out), as packages to load. */
export function dependsDebs(depends: string): string[] {
  const out: string[] = []
  for (const entry of depends.split(',').map((s) => s.trim())) {
    if (!entry || entry.includes('|')) continue
    const m = /^(python3-[a-z0-9][a-z0-9.+-]*)(?::any)?(?:\s*\(.*\))?$/.exec(entry)
    if (!m) continue
    const deb = m[1]! in DEPENDS_AS ? DEPENDS_AS[m[1]!] : m[1]!
    if (deb) out.push(deb)
  }
  return out
}

/** A lab-only change to a Debian-made wheel's Requires-Dist, said wherever the index is built. */
export interface Adjustment {
  project: string
  from: string
  to: string
  why: string
}

export type LoadDebs = (debs: string[]) => Promise<{ loaded: Map<string, DebProject>; missing: Map<string, string> }>

export interface DebianClosure {
  /** Debian package → the project it installs, for every package of the closure. */
  debs: Map<string, DebProject>
  /** The Requires-Dist each package's wheel gets. */
  requires: Map<string, string[]>
  /** What could not be closed (a package Debian lacks, an adjustment that no longer applies...). */
  problems: string[]
}

/** Own requirements with the adjustments for this project applied; an adjustment that finds nothing is a problem. */
function adjusted(p: DebProject, adjustments: Adjustment[], problems: string[]): string[] {
  let requires = p.requires
  for (const a of adjustments.filter((x) => normalizeName(x.project) === normalizeName(p.name))) {
    if (!requires.includes(a.from))
      problems.push(`${p.name} ${p.version}: the lab's adjustment "${a.from}" -> "${a.to}" no longer applies (no such Requires-Dist)`)
    requires = requires.map((r) => (r === a.from ? a.to : r))
  }
  return requires
}

/**
 * The closure of `top` (requirement strings) in Debian's packages, loading them with `load` round
 * by round. Every requirement that applies on the hosts names a package; a package that cannot be
 * loaded is a problem naming the project and who needs it.
 */
export async function resolveDebianClosure(top: string[], load: LoadDebs, env: MarkerEnvironment, adjustments: Adjustment[] = []): Promise<DebianClosure> {
  const debs = new Map<string, DebProject>()
  const missing = new Map<string, string>()
  for (;;) {
    const { wanted } = walk(top, debs, env, adjustments, [])
    const next = [...wanted.keys()].filter((d) => !debs.has(d) && !missing.has(d))
    if (next.length === 0) break
    const got = await load(next)
    for (const [d, p] of got.loaded) debs.set(d, p)
    for (const d of next) if (!got.loaded.has(d)) missing.set(d, got.missing.get(d) ?? 'not loaded')
  }
  const problems: string[] = []
  const { wanted, requires } = walk(top, debs, env, adjustments, problems)
  for (const [d, why] of missing) {
    problems.push(`${d} (for ${wanted.get(d)?.forProject ?? d}, needed by ${[...(wanted.get(d)?.by ?? [])].join(', ')}): ${why}`)
  }
  return { debs, requires, problems: [...new Set(problems)] }
}

interface Want {
  forProject: string
  extras: Set<string>
  by: Set<string>
}

/** From the packages loaded so far: every package the closure names, and each loaded one's Requires-Dist. */
function walk(top: string[], debs: Map<string, DebProject>, env: MarkerEnvironment, adjustments: Adjustment[], problems: string[]) {
  const wanted = new Map<string, Want>()
  const requires = new Map<string, string[]>()
  const queue: string[] = []
  const want = (deb: string, project: string, extras: string[], by: string) => {
    const w = wanted.get(deb) ?? { forProject: project, extras: new Set<string>(), by: new Set<string>() }
    const before = w.extras.size
    extras.forEach((e) => w.extras.add(e))
    w.by.add(by)
    if (!wanted.has(deb) || w.extras.size !== before) queue.push(deb)
    wanted.set(deb, w)
  }
  for (const t of top) {
    const r = parseRequirement(t)
    if (requirementApplies(r, env)) want(debOfProject(r.name), r.name, r.extras, 'requirements.txt')
  }
  while (queue.length) {
    const deb = queue.shift()!
    const p = debs.get(deb)
    if (!p) continue
    const own = adjusted(p, adjustments, problems)
    const fromDepends = dependsDebs(p.depends)
    for (const d of fromDepends) want(d, d, [], `${p.name} (Debian's Depends)`)
    // Depends names a package; the wheel names its project (known once the package is loaded).
    const dependsProjects = fromDepends.map((d) => debs.get(d)?.name).filter((n): n is string => n !== undefined && normalizeName(n) !== normalizeName(p.name))
    requires.set(deb, mergeRequires(own, dependsProjects))
    for (const text of own) {
      let r: Requirement
      try {
        r = parseRequirement(text)
        if (!requirementApplies(r, env, [...wanted.get(deb)!.extras])) continue
      } catch (e) {
        problems.push(`${p.name} ${p.version}: ${(e as Error).message}`)
        continue
      }
      want(debOfProject(r.name), r.name, r.extras, `${p.name} ${p.version}`)
    }
  }
  return { wanted, requires }
}
