// Loading a playbook written on the fly: a project of files in a fresh temp dir, and the errors
// (or the plays) the loader returns for it, without running anything.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { RmErrors, type RmError } from '../../src/playbook/errors.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import type { Playbook } from '../../src/playbook/model.js'

/** Writes files (path → text) into a fresh temp dir; returns the dir. */
export function project(files: Record<string, string>, prefix = 'rmp-load-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(d, p)), { recursive: true })
    writeFileSync(join(d, p), c)
  }
  return d
}

/** Loads site.yml of a project (or a bare playbook text): its plays, or every error found. */
export function loadProject(files: Record<string, string> | string): { playbook?: Playbook; errors: RmError[] } {
  const d = project(typeof files === 'string' ? { 'site.yml': files } : files)
  try {
    return { playbook: loadPlaybook(join(d, 'site.yml')), errors: [] }
  } catch (e) {
    if (e instanceof RmErrors) return { errors: e.errors }
    throw e
  }
}

/** The errors loading reports for a project (none: an empty list). */
export function loadErrors(files: Record<string, string> | string): RmError[] {
  return loadProject(files).errors
}
