// `apt-get download` of Debian packages, from the controller's own apt sources or from another suite
// of its Debian mirror (e.g. trixie's newer release) through a private apt configuration: its own
// sources file and lists under `workDir`, so the controller's apt is never changed.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { run, type RunResult } from './exec.js'
import { writeFileAtomic } from './fs-util.js'

/** apt options that read `sourcesFile` only and keep lists and caches under `workDir`. */
export function privateAptOptions(sourcesFile: string, workDir: string): string[] {
  return [
    `Dir::Etc::SourceList=${sourcesFile}`,
    `Dir::Etc::SourceParts=${join(workDir, 'sources.list.d')}`,
    `Dir::State::Lists=${join(workDir, 'lists')}`,
    'Dir::Cache::pkgcache=',
    'Dir::Cache::srcpkgcache=',
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o])
}

/** Downloads `debs` into `dest` (the controller's sources when `suite` is undefined). */
export async function aptDownload(debs: string[], dest: string, mirror: string, suite: string | undefined, workDir: string): Promise<RunResult> {
  mkdirSync(dest, { recursive: true })
  if (!suite) return run(['apt-get', 'download', ...debs], { cwd: dest, check: false })
  const sources = join(workDir, `${suite}.list`)
  mkdirSync(join(workDir, 'lists', 'partial'), { recursive: true })
  mkdirSync(join(workDir, 'sources.list.d'), { recursive: true })
  writeFileAtomic(sources, `deb ${mirror} ${suite} main\n`)
  const opts = privateAptOptions(sources, workDir)
  const update = await run(['apt-get', ...opts, '-q', 'update'], { check: false })
  if (update.code !== 0) return update
  return run(['apt-get', ...opts, 'download', ...debs], { cwd: dest, check: false })
}
