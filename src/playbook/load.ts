// Playbook files → Plays. Every problem in the playbook, its roles, task files, module arguments,
// expressions and referenced files is collected and reported at once, before any host is touched.
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { RmError, RmErrors, type SourcePos } from './errors.js'
import { LoadState, type LoadOptions } from './load-context.js'
import { loadPlay } from './load-play.js'
import type { Play, Playbook } from './model.js'
import { isDict } from './tasks.js'
import { loadYamlFile, posOf, valuePosOf } from './yaml.js'

export function loadPlaybook(file: string, options: LoadOptions = { rolesPath: [] }): Playbook {
  const full = resolve(file)
  const dir = dirname(full)
  const errors: RmError[] = []
  const warnings: RmError[] = []
  const plays = loadPlaybookFile(full, options, errors, new Set(), undefined, warnings)
  if (errors.length) throw new RmErrors(errors)
  return { file: full, dir, plays, ...(warnings.length ? { warnings } : {}) }
}

function loadPlaybookFile(file: string, options: LoadOptions, errors: RmError[], seen: Set<string>, from?: SourcePos, warnings: RmError[] = []): Play[] {
  if (seen.has(file)) {
    errors.push(new RmError(`import_playbook loop: ${file} imports itself`, from))
    return []
  }
  seen.add(file)
  if (!existsSync(file)) {
    errors.push(new RmError(`playbook not found: ${file}`, from))
    return []
  }
  let doc: unknown
  try {
    doc = loadYamlFile(file, from)
  } catch (e) {
    if (e instanceof RmErrors) errors.push(...e.errors)
    else if (e instanceof RmError) errors.push(e)
    else throw e
    return []
  }
  if (doc === null || doc === undefined) return []
  if (!Array.isArray(doc)) {
    errors.push(new RmError('a playbook is a list of plays', posOf(doc) ?? { file, line: 1, col: 1 }, 'start each play with "- hosts: ..."'))
    return []
  }
  const plays: Play[] = []
  doc.forEach((item, i) => {
    const pos = posOf(item) ?? valuePosOf(doc, String(i)) ?? { file, line: 1, col: 1 }
    if (!isDict(item)) {
      errors.push(new RmError('a play must be a mapping with hosts: and tasks:', pos))
      return
    }
    if ('import_playbook' in item || 'ansible.builtin.import_playbook' in item) {
      const target = String(item.import_playbook ?? item['ansible.builtin.import_playbook'])
      const p = resolve(dirname(file), target)
      plays.push(...loadPlaybookFile(p, options, errors, new Set(seen), valuePosOf(item, 'import_playbook'), warnings))
      return
    }
    const state = new LoadState(dirname(file), options)
    const play = loadPlay(state, item, pos, file)
    errors.push(...state.errors)
    warnings.push(...state.warnings)
    if (play) plays.push(play)
  })
  return plays
}
