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

/** Name, version and METADATA text of the project the package installs. */
function projectMetadata(site: string, depends: string, deb: string): { name: string; version: string; metadata: string; infoDir: string } {
  const infoDir = readdirSync(site).find((e) => /\.(egg|dist)-info$/.test(e))
  if (!infoDir) throw labError(`${deb}: no .egg-info or .dist-info under /${DIST_PACKAGES}`)
  const info = join(site, infoDir)
  const isEgg = infoDir.endsWith('.egg-info')
  const meta = readFileSync(join(info, isEgg ? 'PKG-INFO' : 'METADATA'), 'utf8')
  const name = metadataField(meta, 'Name')
  const version = metadataField(meta, 'Version')
  if (!name || !version) throw labError(`${deb}: ${infoDir} has no Name or Version`)
  const own = isEgg
    ? existsSync(join(info, 'requires.txt'))
      ? requiresFromEggInfo(readFileSync(join(info, 'requires.txt'), 'utf8'))
      : []
    : requiresFromMetadata(meta)
  const requires = mergeRequires(own, requiresFromDebDepends(depends))
  return { name, version, metadata: renderMetadata(meta, requires), infoDir }
}

/** Builds the wheel of `deb` into `outDir` (work files under `workDir`); returns its path. */
export async function wheelFromDeb(deb: string, outDir: string, workDir: string): Promise<string> {
  const root = join(workDir, 'root')
  const stage = join(workDir, 'stage')
  rmSync(workDir, { recursive: true, force: true })
  mkdirSync(stage, { recursive: true })
  await run(['dpkg-deb', '-x', deb, root])
  const depends = (await run(['dpkg-deb', '-f', deb, 'Depends'])).stdout.trim()
  const site = join(root, DIST_PACKAGES)
  if (!existsSync(site)) throw labError(`${deb} installs nothing under /${DIST_PACKAGES}`)
  const { name, version, metadata, infoDir } = projectMetadata(site, depends, deb)
  for (const entry of readdirSync(site)) {
    if (entry === infoDir || entry === '__pycache__') continue
    cpSync(join(site, entry), join(stage, entry), { recursive: true, filter: (src) => !src.endsWith('__pycache__') })
  }
  const distInfo = `${wheelNamePart(name)}-${version}.dist-info`
  const tag = wheelTag(filesUnder(stage))
  mkdirSync(join(stage, distInfo))
  writeFileSync(join(stage, distInfo, 'METADATA'), metadata)
  writeFileSync(join(stage, distInfo, 'WHEEL'), renderWheelFile(tag))
  const topLevel = join(site, infoDir, 'top_level.txt')
  if (existsSync(topLevel)) cpSync(topLevel, join(stage, distInfo, 'top_level.txt'))
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
