// Files that tasks name (templates, files to copy, vars files) must exist before anything runs,
// and a `.j2` template must parse.
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { getModule } from '../modules/index.js'
import { checkArgs } from '../modules/schema.js'
import { isTemplated } from './expression.js'
import { templateFileError } from './expression-check.js'
import type { LoadState } from './load-context.js'
import type { Node, RoleInstance } from './model.js'

/** Where a template or file named by a task is looked for (Ansible's search order, simplified). */
export function fileCandidates(kind: 'templates' | 'files', name: string, role: RoleInstance | undefined, playbookDir: string): string[] {
  if (isAbsolute(name)) return [name]
  return [...(role ? [join(role.path, kind, name), join(role.path, name)] : []), join(playbookDir, kind, name), join(playbookDir, name)]
}

export function findLocalFile(kind: 'templates' | 'files', name: string, role: RoleInstance | undefined, playbookDir: string): string | undefined {
  return fileCandidates(kind, name, role, playbookDir).find((p) => existsSync(p))
}

export function checkFileReferences(state: LoadState, nodes: Node[]): void {
  const visit = (n: Node) => {
    if (n.kind === 'block') return [...n.block, ...n.rescue, ...n.always].forEach(visit)
    if (n.kind === 'include') return (n.nodes ?? []).forEach(visit)
    const mod = getModule(n.module)
    if (!mod || mod.kind !== 'host' || !mod.localFiles) return
    for (const ref of mod.localFiles(checkArgs(mod.args, n.args, true).args as never)) {
      if (isTemplated(ref.name) || (n.loop !== undefined && ref.name.includes('item'))) continue
      const found = findLocalFile(ref.kind, ref.name, n.role, state.playbookDir)
      // a .j2 file is parsed now: its syntax errors and unknown filters are load errors in the file
      const bad = found && ref.kind === 'templates' && found.endsWith('.j2') ? templateFileError(found) : undefined
      if (bad) state.error(bad.message, bad.pos, bad.hint)
      if (!found) {
        state.error(
          `${n.module}: ${ref.kind === 'templates' ? 'template' : 'file'} not found: ${ref.name}`,
          n.argPos[ref.arg] ?? n.argsPos,
          `looked in ${fileCandidates(ref.kind, ref.name, n.role, state.playbookDir).join(', ')}`,
        )
      }
    }
  }
  nodes.forEach(visit)
}
