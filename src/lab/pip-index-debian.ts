// The lab's package index from Debian's packages alone, for a controller whose pip reaches no
// index (no local mirror, and PyPI is not reachable): the whole closure of the requirements as
// wheels made from bookworm's python3-* packages (the controller's own apt sources, the ones its
// hosts get), resolved by src/lab/debian-closure.ts. Lab-only changes to their metadata are listed
// in DEBIAN_ADJUSTMENTS with the reason, and said by `lab up`.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { aptDownload } from './apt-download.js'
import { hostMarkers, resolveDebianClosure, type Adjustment, type LoadDebs } from './debian-closure.js'
import { run } from './exec.js'
import { readDebProject, wheelFromDeb, type DebProject } from './wheel-from-deb.js'

/**
 * Bookworm's fastapi 0.92.0 keeps upstream's `starlette<0.26.0,>=0.25.0`, but Debian ships it with
 * starlette 0.26.1 (0.26.1-1+deb12u2, a security update; python3-fastapi's Depends says only
 * `python3-starlette (>= 0.25.0)`), so pip would refuse the pair Debian installs together. The
 * wheel made from it declares the bound widened to what Debian pairs it with (0.26.x), nothing
 * wider. Lab-only: PyPI's fastapi releases are untouched, and the mirror path never applies it.
 */
export const DEBIAN_ADJUSTMENTS: Adjustment[] = [
  {
    project: 'fastapi',
    from: 'starlette<0.26.0,>=0.25.0',
    to: 'starlette<0.27.0,>=0.25.0',
    why: "Debian 12 ships fastapi 0.92.0 with starlette 0.26.1 (security update 0.26.1-1+deb12u2), above upstream's <0.26.0",
  },
]

/** Debian packages that hold a project's own wheel (`python3 -m venv` installs it): served as is. */
const WHEEL_DEBS: Record<string, string> = { 'python3-setuptools-whl': 'usr/share/python-wheels' }

/** The requirement lines of pip requirements files (comments and blank lines left out). */
export function requirementLines(files: string[]): string[] {
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean),
  )
}

/** The .deb apt-get download wrote for package `name` (its file name encodes the version's `:`). */
function debFile(dir: string, name: string): string | undefined {
  const f = readdirSync(dir).find((e) => e.startsWith(`${name}_`) && e.endsWith('.deb'))
  return f ? join(dir, f) : undefined
}

/** The upstream wheel a -whl package holds, unpacked under `workDir`. */
async function packagedWheel(deb: string, workDir: string): Promise<{ wheel: string; project: DebProject }> {
  rmSync(workDir, { recursive: true, force: true })
  await run(['dpkg-deb', '-x', deb, workDir])
  const name = Object.keys(WHEEL_DEBS).find((d) => deb.split('/').pop()!.startsWith(`${d}_`))!
  const dir = join(workDir, WHEEL_DEBS[name]!)
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.whl')) : undefined
  if (!file) throw new Error(`${deb} holds no wheel under /${WHEEL_DEBS[name]}`)
  const [project, version] = file.split('-')
  return { wheel: join(dir, file), project: { name: project!, version: version!, requires: [], depends: '', metadata: '', infoDir: '' } }
}

/** apt-get download of a round of packages; a package apt does not know is missing, with apt's words. */
function aptLoader(debs: string, aptWork: string, work: string, mirror: string): LoadDebs {
  return async (names) => {
    const missing = new Map<string, string>()
    let todo = names
    for (let attempt = 0; attempt < 2 && todo.length; attempt++) {
      const got = await aptDownload(todo, debs, mirror, undefined, aptWork)
      if (got.code === 0) break
      const errors = got.stderr.split('\n').filter((l) => l.startsWith('E:'))
      for (const n of todo) {
        const said = errors.find((l) => new RegExp(`\\b${n.replace(/[.+]/g, '\\$&')}\\b`).test(l))
        if (said || attempt === 1) missing.set(n, said ?? `apt-get download: ${errors.join(' ') || got.stderr.trim()}`)
      }
      todo = todo.filter((n) => !missing.has(n))
    }
    const loaded = new Map<string, DebProject>()
    for (const n of names.filter((x) => !missing.has(x))) {
      const file = debFile(debs, n)
      if (!file) {
        missing.set(n, 'apt-get download wrote no file for it')
        continue
      }
      try {
        loaded.set(n, n in WHEEL_DEBS ? (await packagedWheel(file, work)).project : await readDebProject(file, work))
      } catch (e) {
        missing.set(n, (e as Error).message)
      }
    }
    return { loaded, missing }
  }
}

/**
 * Wheels for the closure of the requirements files into `dir`/files, from Debian's packages
 * (downloaded into `dir`/debs). Returns the wheels and what is missing (empty: the closure is whole).
 */
export async function debianWheels(requirements: string[], dir: string, mirror: string): Promise<{ wheels: string[]; problems: string[] }> {
  const debs = join(dir, 'debs')
  const files = join(dir, 'files')
  const work = join(dir, 'work')
  mkdirSync(files, { recursive: true })
  const closure = await resolveDebianClosure(requirementLines(requirements), aptLoader(debs, join(dir, 'apt'), work, mirror), hostMarkers(), DEBIAN_ADJUSTMENTS)
  const problems = [...closure.problems]
  const wheels: string[] = []
  for (const name of [...closure.debs.keys()].sort()) {
    const file = debFile(debs, name)!
    try {
      if (name in WHEEL_DEBS) {
        const { wheel } = await packagedWheel(file, work)
        const dest = join(files, wheel.split('/').pop()!)
        copyFileSync(wheel, dest)
        wheels.push(dest)
      } else {
        wheels.push(await wheelFromDeb(file, files, work, () => closure.requires.get(name)!))
      }
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`)
    }
  }
  rmSync(work, { recursive: true, force: true })
  rmSync(join(dir, 'apt'), { recursive: true, force: true })
  return { wheels, problems }
}
