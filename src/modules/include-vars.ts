/**
 * include_vars — load variables from a YAML/JSON file on the controller (vault files too).
 *
 *   - include_vars: { file: "vars/{{ ansible_distribution }}.yml" }
 */
import { loadVarsFile } from '../playbook/vars-files.js'
import type { ActionModule } from './types.js'

export const includeVars: ActionModule<{ file: string; name?: string }> = {
  kind: 'action',
  name: 'include_vars',
  doc: 'Load variables from a file on the controller.',
  args: {
    freeForm: 'file',
    options: {
      file: { type: 'path', required: true, doc: "The file, relative to the role's vars/ or the playbook." },
      name: { type: 'str', doc: 'Put the variables under this one name instead.' },
    },
  },
  act(a, ctx) {
    let path: string
    try {
      path = ctx.findFile('files', a.file)
    } catch {
      path = ctx.findFile('templates', `../vars/${a.file}`)
    }
    // a controller file, like vars_files: its templates are rendered when read, as in Ansible
    const vars = loadVarsFile(path)
    return { includedVars: a.name ? { [a.name]: vars } : vars, data: { ansible_included_var_files: [path] } }
  },
}
