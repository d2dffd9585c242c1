// The PEP 503 "simple" pages of a directory of wheels: simple/index.html names every project,
// simple/NAME/index.html links its files (../../files/FILE#sha256=…), as a static web server
// serves them.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from './fs-util.js'
import { normalizeName } from './wheel-metadata.js'

/** The project a distribution file belongs to, normalised (wheels: the part before the version). */
export function projectOfFile(file: string): string | undefined {
  const m = /^(.+?)-\d[^-]*(?:-[^-]+){2,3}\.whl$/.exec(file) ?? /^(.+)-[^-]+\.(?:tar\.gz|zip)$/.exec(file)
  return m ? normalizeName(m[1]!) : undefined
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function renderProjectPage(files: { name: string; sha256: string }[]): string {
  const links = files.map((f) => `<a href="../../files/${escapeHtml(encodeURIComponent(f.name))}#sha256=${f.sha256}">${escapeHtml(f.name)}</a><br>`)
  return `<!DOCTYPE html>\n<html><body>\n${links.join('\n')}\n</body></html>\n`
}

export function renderRootPage(projects: string[]): string {
  const links = projects.map((p) => `<a href="${p}/">${p}</a><br>`)
  return `<!DOCTYPE html>\n<html><body>\n${links.join('\n')}\n</body></html>\n`
}

/** Writes `dir`/simple/ for the files in `dir`/files/ (replacing what was there). */
export function renderSimpleIndex(dir: string): void {
  const files = readdirSync(join(dir, 'files'))
    .filter((f) => projectOfFile(f))
    .sort()
  const byProject = new Map<string, { name: string; sha256: string }[]>()
  for (const f of files) {
    const p = projectOfFile(f)!
    const sha256 = createHash('sha256')
      .update(readFileSync(join(dir, 'files', f)))
      .digest('hex')
    byProject.set(p, [...(byProject.get(p) ?? []), { name: f, sha256 }])
  }
  const simple = join(dir, 'simple')
  rmSync(simple, { recursive: true, force: true })
  for (const [p, list] of byProject) writeFileAtomic(join(simple, p, 'index.html'), renderProjectPage(list))
  writeFileAtomic(join(simple, 'index.html'), renderRootPage([...byProject.keys()].sort()))
}
