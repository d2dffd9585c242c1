// What the lab's package index serves: the dependency closure of the project's
// apps/*/requirements.txt as wheels, in a PEP 503 "simple" tree (files/ + simple/NAME/index.html),
// built once into the cache and rebuilt only when the requirements change.
//
// Two builds, each with its own cache directory. First pip's own configuration on the controller
// (PyPI, or here the local mirror that `pip config list` names) for `pip download`, with wheels
// made from Debian's python3-* packages (apt-get download from the controller's Debian mirror) for
// the projects that no reachable index has in a version that installs on the hosts' Python
// (Debian 12: 3.11.2); a Debian-made wheel is pinned (constraints.txt) so that pip takes it and
// not a newer release from the mirror. When pip reaches no index (a fresh machine: no mirror, and
// PyPI is not reachable), the whole closure from Debian's packages alone (pip-index-debian.ts),
// checked with pip's resolver.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { aptDownload } from './apt-download.js'
import { run } from './exec.js'
import { writeFileAtomic } from './fs-util.js'
import { PIP_INDEX_CACHE } from './paths.js'
import { DEBIAN_ADJUSTMENTS, debianWheels, requirementLines } from './pip-index-debian.js'
import { renderSimpleIndex } from './pip-simple-pages.js'
import { wheelFromDeb } from './wheel-from-deb.js'

/** Bump when what is built changes, so that caches built before are not served. */
const BUILD_VERSION = '4'

/**
 * The Debian packages made into wheels, from which suite (default: the controller's, bookworm),
 * and why the mirror's release does not do.
 */
export const FROM_DEBIAN: { deb: string; suite?: string; why: string }[] = [
  { deb: 'python3-click-didyoumean', why: 'celery needs it; the local mirror has none' },
  { deb: 'python3-click-repl', why: 'celery needs it; the local mirror has none' },
  {
    deb: 'python3-async-timeout',
    suite: 'trixie',
    why: "redis needs async-timeout>=4.0.3 on Python < 3.11.3 (Debian 12's is 3.11.2); the mirror has none, bookworm's is 4.0.2",
  },
  { deb: 'python3-psycopg2', why: 'requirements.txt names psycopg2; the local mirror has only psycopg2-binary' },
]

/** Where the closure came from: `pip download` (with the Debian-made wheels above) or Debian's packages alone. */
export type PipIndexSource = 'pip' | 'debian'

export interface PipIndexContent {
  /** The directory to serve (files/ and simple/). */
  dir: string
  source: PipIndexSource
  /** Empty when the closure was built; else what went wrong (the index serves what it has). */
  problems: string[]
  /** True when this call built it (false: from the cache). */
  built: boolean
  /** Why the Debian build ran (pip's error), and its lab-only adjustments: `lab up` says them. */
  notes: string[]
}

export interface PipIndexOptions {
  /**
   * Run pip as on a machine with no pip configuration (no config files, no PIP_* variables, an
   * empty HOME): what a fresh CI machine has. Default: RMP_LAB_HIDE_PIP_CONFIG=1 in the environment.
   */
  hidePipConfig?: boolean
}

function cacheKey(requirements: string[], build: string): string {
  const fromDebian = build === 'debian' ? DEBIAN_ADJUSTMENTS : FROM_DEBIAN
  const h = createHash('sha256').update(`${BUILD_VERSION}\n${build}\n${JSON.stringify(fromDebian)}\n`)
  for (const r of requirements) h.update(`${r}\n${readFileSync(r, 'utf8')}\n`)
  return h.digest('hex').slice(0, 16)
}

/** pip's environment: as it is, or with its configuration hidden (`home`: an empty directory). */
function pipEnv(hideConfig: boolean, home: string): Record<string, string | undefined> | undefined {
  if (!hideConfig) return undefined
  const pipVars = Object.keys(process.env).filter((k) => k.startsWith('PIP_'))
  mkdirSync(home, { recursive: true })
  return { ...Object.fromEntries(pipVars.map((k) => [k, undefined])), XDG_CONFIG_HOME: undefined, PIP_CONFIG_FILE: '/dev/null', HOME: home }
}

const lastLines = (r: { stdout: string; stderr: string }) => (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')

async function fromDebianSuites(dir: string, mirror: string, problems: string[]): Promise<string[]> {
  const debs = join(dir, 'debs')
  for (const suite of [...new Set(FROM_DEBIAN.map((d) => d.suite))]) {
    const names = FROM_DEBIAN.filter((d) => d.suite === suite).map((d) => d.deb)
    const got = await aptDownload(names, debs, mirror, suite, join(dir, 'apt'))
    if (got.code !== 0) problems.push(`apt-get download ${names.join(' ')}${suite ? ` (${suite})` : ''}: ${lastLines(got)}`)
  }
  const wheels: string[] = []
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    try {
      wheels.push(await wheelFromDeb(join(debs, deb), join(dir, 'files'), join(dir, 'work')))
    } catch (e) {
      problems.push(`${deb}: ${(e as Error).message}`)
    }
  }
  rmSync(join(dir, 'apt'), { recursive: true, force: true })
  return wheels
}

/** `name==version` for each wheel file: the Debian-made ones win over newer releases elsewhere. */
function pins(wheels: string[]): string {
  return wheels.map((w) => w.split('/').pop()!.split('-').slice(0, 2).join('==') + '\n').join('')
}

const PIP = ['python3', '-m', 'pip']

/**
 * The closure through pip's own configuration (PyPI, or this machine's mirror) plus the
 * FROM_DEBIAN wheels. A quick look first (`pip index versions` of the first requirement): with no
 * index at all it fails in a second, before any Debian package is fetched.
 */
async function buildWithPip(dir: string, requirements: string[], mirror: string, env: Record<string, string | undefined> | undefined): Promise<string[]> {
  const first = requirementLines(requirements)[0]
  if (first) {
    const probe = await run([...PIP, 'index', 'versions', '--disable-pip-version-check', '--retries', '0', first], { check: false, env })
    if (probe.code !== 0) return [`pip index versions ${first}: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`]
  }
  const problems: string[] = []
  const wheels = await fromDebianSuites(dir, mirror, problems)
  writeFileAtomic(join(dir, 'constraints.txt'), pins(wheels))
  const files = join(dir, 'files')
  // no retries, so an unreachable index fails in seconds. Wheels only: the hosts compile nothing the lab serves.
  const dl = await run(
    [
      ...PIP,
      'download',
      '--disable-pip-version-check',
      '--retries',
      '0',
      '--only-binary=:all:',
      '--dest',
      files,
      '--find-links',
      files,
      '--constraint',
      join(dir, 'constraints.txt'),
      ...requirements.flatMap((r) => ['--requirement', r]),
    ],
    { check: false, env },
  )
  if (dl.code !== 0) problems.push(`pip download: ${lastLines(dl)}`)
  return problems
}

/**
 * pip's resolver on the Debian-made closure, from its files alone, for the hosts' interpreter (CPython 3.11 on
 * Linux; pip evaluates markers with the controller's Python, the closure itself was walked with the hosts').
 */
async function checkWithPip(dir: string, requirements: string[], env: Record<string, string | undefined> | undefined): Promise<string[]> {
  const machine = process.arch === 'arm64' ? 'aarch64' : 'x86_64'
  const out = join(dir, 'pip-check')
  const target = ['--python-version', '3.11', '--implementation', 'cp', '--abi', 'cp311', '--platform', `linux_${machine}`]
  const argv = [...PIP, 'download', '--disable-pip-version-check', '--no-index', '--find-links', join(dir, 'files'), '--only-binary=:all:', ...target]
  const r = await run([...argv, '--dest', out, ...requirements.flatMap((f) => ['--requirement', f])], { check: false, env })
  rmSync(out, { recursive: true, force: true })
  return r.code === 0 ? [] : [`pip's resolver refuses the Debian-made closure: ${lastLines(r)}`]
}

async function buildFromDebian(dir: string, requirements: string[], mirror: string, env: Record<string, string | undefined>): Promise<string[]> {
  try {
    const { problems } = await debianWheels(requirements, dir, mirror)
    return problems.length ? problems : await checkWithPip(dir, requirements, env)
  } catch (e) {
    return [(e as Error).message]
  }
}

const isComplete = (dir: string) => existsSync(join(dir, 'complete'))

/** Renders the simple pages and marks the build complete, or writes what went wrong. */
function finish(dir: string, problems: string[]): void {
  renderSimpleIndex(dir)
  if (problems.length === 0) writeFileAtomic(join(dir, 'complete'), `${readdirSync(join(dir, 'files')).sort().join('\n')}\n`)
  else writeFileAtomic(join(dir, 'PROBLEMS.txt'), `${problems.join('\n')}\n`)
}

const adjustmentNotes = () => DEBIAN_ADJUSTMENTS.map((a) => `lab-only adjustment: ${a.project}'s wheel requires ${a.to} instead of ${a.from} (${a.why})`)

/**
 * The index's content for these requirements files, from the cache or built now: through pip's
 * configuration when it reaches an index (what production's pip gets), else from Debian's
 * packages alone. Each build has its own cache directory.
 */
export async function ensurePipIndexContent(
  requirements: string[],
  mirror: string,
  say: (msg: string) => void,
  opts: PipIndexOptions = {},
): Promise<PipIndexContent> {
  const hide = opts.hidePipConfig ?? process.env.RMP_LAB_HIDE_PIP_CONFIG === '1'
  const pipDir = join(PIP_INDEX_CACHE, cacheKey(requirements, hide ? 'pip-without-config' : 'pip'))
  if (isComplete(pipDir)) return { dir: pipDir, source: 'pip', problems: [], built: false, notes: [] }
  rmSync(pipDir, { recursive: true, force: true })
  say(
    `pip index: building the closure of ${requirements.length} requirements file(s) with pip download into ${pipDir}${hide ? ' (pip configuration hidden)' : ''}`,
  )
  mkdirSync(join(pipDir, 'files'), { recursive: true })
  const pipProblems = await buildWithPip(pipDir, requirements, mirror, pipEnv(hide, join(pipDir, 'home')))
  rmSync(join(pipDir, 'home'), { recursive: true, force: true })
  finish(pipDir, pipProblems)
  if (pipProblems.length === 0) return { dir: pipDir, source: 'pip', problems: [], built: true, notes: [] }

  const why = `pip download could not build the closure (${pipProblems.join('; ')}): the index is built from Debian's packages alone`
  const debDir = join(PIP_INDEX_CACHE, cacheKey(requirements, 'debian'))
  if (isComplete(debDir)) return { dir: debDir, source: 'debian', problems: [], built: false, notes: [why, ...adjustmentNotes()] }
  rmSync(debDir, { recursive: true, force: true })
  say(`pip index: pip download could not build the closure; building it from Debian's packages alone into ${debDir}`)
  const problems = await buildFromDebian(debDir, requirements, mirror, pipEnv(true, join(debDir, 'home'))!)
  rmSync(join(debDir, 'home'), { recursive: true, force: true })
  finish(debDir, problems)
  return { dir: debDir, source: 'debian', problems, built: true, notes: [why, ...adjustmentNotes()] }
}

/** apps/<dir>/requirements.txt of the project, the files the index serves the closure of. */
export function appRequirements(appsDir: string): string[] {
  if (!existsSync(appsDir)) return []
  return readdirSync(appsDir)
    .sort()
    .map((app) => join(appsDir, app, 'requirements.txt'))
    .filter((f) => existsSync(f))
}
