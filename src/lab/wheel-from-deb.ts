// A wheel made from a Debian python3-* package: the files it installs under
// /usr/lib/python3/dist-packages, with a .dist-info of their own (METADATA from the package's
// .egg-info/.dist-info plus the Python projects its Depends line names, WHEEL with the right tag,
// RECORD with every file's hash). For the projects the lab's package index needs and no reachable
// index has (src/lab/pip-index-build.ts).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { labError } from './errors.js'
import { run } from './exec.js'
import {
  mergeRequires,
  metadataField,
  renderMetadata,
  renderRecord,
  renderWheelFile,
  requiresFromDebDepends,
  requiresFromEggInfo,
  requiresFromMetadata,
  wheelNamePart,
  wheelTag,
} from './wheel-metadata.js'

const DIST_PACKAGES = 'usr/lib/python3/dist-packages'

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => statSync(join(dir, p)).isFile()).sort()
}

/** What a Debian python3-* package says about the Python project it installs. */
export interface DebProject {
  /** The project's own name and version (not Debian's: 2.9.5-1+b1 is not a project version). */
  name: string
  version: string
  /** The Requires-Dist of its .dist-info, or what its .egg-info's requires.txt says. */
  requires: string[]
  /** The package's Depends line (Debian sometimes strips install_requires and keeps them only here). */
  depends: string
  /** PKG-INFO or METADATA as installed. */
  metadata: string
  infoDir: string
}

function projectOf(site: string, depends: string, deb: string): DebProject {
  const infoDir = readdirSync(site).find((e) => /\.(egg|dist)-info$/.test(e))
  if (!infoDir) throw labError(`${deb}: no .egg-info or .dist-info under /${DIST_PACKAGES}`)
  const info = join(site, infoDir)
  const isEgg = infoDir.endsWith('.egg-info')
  const metadata = readFileSync(join(info, isEgg ? 'PKG-INFO' : 'METADATA'), 'utf8')
  const name = metadataField(metadata, 'Name')
  const version = metadataField(metadata, 'Version')
  if (!name || !version) throw labError(`${deb}: ${infoDir} has no Name or Version`)
  const requires = isEgg
    ? existsSync(join(info, 'requires.txt'))
      ? requiresFromEggInfo(readFileSync(join(info, 'requires.txt'), 'utf8'))
      : []
    : requiresFromMetadata(metadata)
  return { name, version, requires, depends, metadata, infoDir }
}

/** Unpacks `deb` into `workDir`/root; the project it installs and where. */
async function unpack(deb: string, workDir: string): Promise<{ site: string; project: DebProject }> {
  const root = join(workDir, 'root')
  rmSync(workDir, { recursive: true, force: true })
  mkdirSync(workDir, { recursive: true })
  await run(['dpkg-deb', '-x', deb, root])
  const depends = (await run(['dpkg-deb', '-f', deb, 'Depends'])).stdout.trim()
  const site = join(root, DIST_PACKAGES)
  if (!existsSync(site)) throw labError(`${deb} installs nothing under /${DIST_PACKAGES}`)
  return { site, project: projectOf(site, depends, deb) }
}

/** The project `deb` installs, read from the package (work files under `workDir`, removed after). */
export async function readDebProject(deb: string, workDir: string): Promise<DebProject> {
  const { project } = await unpack(deb, workDir)
  rmSync(workDir, { recursive: true, force: true })
  return project
}

/** Today's rule for the wheel's Requires-Dist: the project's own, plus the Python packages of its Depends line. */
export const ownAndDebianRequires = (p: DebProject): string[] => mergeRequires(p.requires, requiresFromDebDepends(p.depends))

/** The metadata files of a .dist-info that pip reads besides METADATA (console scripts, top-level names). */
const KEPT_INFO_FILES = ['entry_points.txt', 'top_level.txt']

/**
 * Builds the wheel of `deb` into `outDir` (work files under `workDir`); returns its path.
 * `requires` gives its Requires-Dist (default: the project's own plus its Depends line's).
 */
export async function wheelFromDeb(deb: string, outDir: string, workDir: string, requires = ownAndDebianRequires): Promise<string> {
  const stage = join(workDir, 'stage')
  const { site, project } = await unpack(deb, workDir)
  mkdirSync(stage, { recursive: true })
  const { name, version, infoDir } = project
  const metadata = renderMetadata(project.metadata, requires(project))
  for (const entry of readdirSync(site)) {
    if (entry === infoDir || entry === '__pycache__') continue
    cpSync(join(site, entry), join(stage, entry), { recursive: true, filter: (src) => !src.endsWith('__pycache__') })
  }
  const distInfo = `${wheelNamePart(name)}-${version}.dist-info`
  const tag = wheelTag(filesUnder(stage))
  mkdirSync(join(stage, distInfo))
  writeFileSync(join(stage, distInfo, 'METADATA'), metadata)
  writeFileSync(join(stage, distInfo, 'WHEEL'), renderWheelFile(tag))
  for (const f of KEPT_INFO_FILES) if (existsSync(join(site, infoDir, f))) cpSync(join(site, infoDir, f), join(stage, distInfo, f))
  const record = `${distInfo}/RECORD`
  const files = filesUnder(stage).map((p) => ({ path: p.split('\\').join('/'), content: readFileSync(join(stage, p)) }))
  writeFileSync(join(stage, record), renderRecord(files, record))
  // A Debian version like 2.9.5-1+b1 is not the project's: the project's own version names the wheel.
  const wheel = join(outDir, `${wheelNamePart(name)}-${version}-${tag}.whl`)
  mkdirSync(outDir, { recursive: true })
  rmSync(wheel, { force: true })
  // python3's zipfile: on every controller (Ansible needs python3), unlike the zip command.
  const entries = readdirSync(stage).sort()
  await run(['python3', '-m', 'zipfile', '-c', wheel, ...entries], { cwd: stage })
  rmSync(workDir, { recursive: true, force: true })
  return wheel
}
