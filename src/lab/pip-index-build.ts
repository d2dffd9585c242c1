// What the lab's package index serves: the dependency closure of the project's
// apps/*/requirements.txt as wheels, in a PEP 503 "simple" tree (files/ + simple/NAME/index.html),
// built once into the cache and rebuilt only when the requirements change.
//
// Two sources: pip's own configuration on the controller (PyPI, or here the local mirror that
// `pip config list` names) for `pip download`, and wheels made from Debian's python3-* packages
// (apt-get download from the controller's Debian mirror) for the projects that no reachable index
// has in a version that installs on the hosts' Python (Debian 12: 3.11.2). A Debian-made wheel is pinned
// (constraints.txt) so that pip takes it and not a newer release from the mirror.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { aptDownload } from './apt-download.js'
import { run } from './exec.js'
import { writeFileAtomic } from './fs-util.js'
import { PIP_INDEX_CACHE } from './paths.js'
import { renderSimpleIndex } from './pip-simple-pages.js'
import { wheelFromDeb } from './wheel-from-deb.js'

/** Bump when what is built changes, so that caches built before are not served. */
const BUILD_VERSION = '3'

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

export interface PipIndexContent {
  /** The directory to serve (files/ and simple/). */
  dir: string
  /** Empty when the closure was built; else what went wrong (the index serves what it has). */
  problems: string[]
  /** True when this call built it (false: from the cache). */
  built: boolean
}

function cacheKey(requirements: string[]): string {
  const h = createHash('sha256').update(`${BUILD_VERSION}\n${JSON.stringify(FROM_DEBIAN)}\n`)
  for (const r of requirements) h.update(`${r}\n${readFileSync(r, 'utf8')}\n`)
  return h.digest('hex').slice(0, 16)
}

async function debianWheels(dir: string, mirror: string, problems: string[]): Promise<string[]> {
  const debs = join(dir, 'debs')
  for (const suite of [...new Set(FROM_DEBIAN.map((d) => d.suite))]) {
    const names = FROM_DEBIAN.filter((d) => d.suite === suite).map((d) => d.deb)
    const got = await aptDownload(names, debs, mirror, suite, join(dir, 'apt'))
    if (got.code !== 0) problems.push(`apt-get download ${names.join(' ')}${suite ? ` (${suite})` : ''}: ${got.stderr.trim().split('\n').slice(-2).join(' ')}`)
  }
  const wheels: string[] = []
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    try {
      wheels.push(await wheelFromDeb(join(debs, deb), join(dir, 'files'), join(dir, 'work')))
    } catch (e) {
      problems.push(`${deb}: ${(e as Error).message}`)
    }
  }
  return wheels
}

/** `name==version` for each wheel file: the Debian-made ones win over newer releases elsewhere. */
function pins(wheels: string[]): string {
  return wheels.map((w) => w.split('/').pop()!.split('-').slice(0, 2).join('==') + '\n').join('')
}

/** The index's content for these requirements files, from the cache or built now. */
export async function ensurePipIndexContent(requirements: string[], mirror: string, say: (msg: string) => void): Promise<PipIndexContent> {
  const dir = join(PIP_INDEX_CACHE, cacheKey(requirements))
  const done = join(dir, 'complete')
  if (existsSync(done)) return { dir, problems: [], built: false }
  rmSync(dir, { recursive: true, force: true })
  say(`pip index: building the closure of ${requirements.length} requirements file(s) into ${dir}`)
  const problems: string[] = []
  const wheels = await debianWheels(dir, mirror, problems)
  rmSync(join(dir, 'apt'), { recursive: true, force: true })
  writeFileAtomic(join(dir, 'constraints.txt'), pins(wheels))
  const files = join(dir, 'files')
  // pip's own configuration says where from (PyPI, or this machine's mirror); no retries, so an
  // unreachable PyPI fails in seconds. Wheels only: the hosts compile nothing the lab serves.
  const dl = await run(
    [
      'python3',
      '-m',
      'pip',
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
    { check: false },
  )
  if (dl.code !== 0) problems.push(`pip download: ${(dl.stderr || dl.stdout).trim().split('\n').slice(-2).join(' ')}`)
  renderSimpleIndex(dir)
  if (problems.length === 0) writeFileAtomic(done, `${readdirSync(files).sort().join('\n')}\n`)
  else writeFileAtomic(join(dir, 'PROBLEMS.txt'), `${problems.join('\n')}\n`)
  return { dir, problems, built: true }
}

/** apps/<dir>/requirements.txt of the project, the files the index serves the closure of. */
export function appRequirements(appsDir: string): string[] {
  if (!existsSync(appsDir)) return []
  return readdirSync(appsDir)
    .sort()
    .map((app) => join(appsDir, app, 'requirements.txt'))
    .filter((f) => existsSync(f))
}
