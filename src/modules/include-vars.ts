/**
 * include_vars — load variables from a YAML/JSON file on the controller (vault files too), or from
 * every file of a directory, as Ansible walks it: the directories in sorted order (`depth` counts
 * them in that order, as Ansible does), each one's files sorted by name, later files overriding
 * earlier ones' top-level names. `files_matching` is a regex searched in the file name,
 * `ignore_files` regexes anchored at its end, `extensions` the ones loaded (yaml, yml, json); a file
 * with another extension fails the task unless `ignore_unknown_extensions`. A relative `dir` is
 * the role's vars/ (or the role's own dir if it starts with `vars/`), else the task file's dir.
 * The registered result lists the files read in `ansible_included_var_files`.
 *
 *   - include_vars: { file: "vars/{{ ansible_distribution }}.yml" }
 *   - include_vars: { dir: vars/conf.d, files_matching: '^web', ignore_unknown_extensions: true }
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { loadVarsFile } from '../playbook/vars-files.js'
import { dirOptionProblems, filesInDir, type DirOptions } from './include-vars-dir.js'
import type { ActionModule, PrepareContext } from './types.js'

interface IncludeVarsArgs extends DirOptions {
  file?: string
  dir?: string
  name?: string
}

const DIR_ONLY = ['depth', 'files_matching', 'ignore_files', 'extensions', 'ignore_unknown_extensions'] as const

/** Ansible's argument rules: file or dir, never the dir-only options beside a file. */
function problems(a: IncludeVarsArgs): string[] {
  const dirArgs = DIR_ONLY.filter((k) => a[k] !== undefined)
  if (a.file !== undefined && (a.dir !== undefined || dirArgs.length))
    return [
      `file cannot be given with ${a.dir !== undefined ? 'dir' : dirArgs.join(', ')}: they are dir only (Ansible: "You are mixing file only and dir only arguments")`,
    ]
  if (a.file === undefined && a.dir === undefined) return ['one of file or dir is required']
  return dirOptionProblems(a)
}

/** Ansible's _set_root_dir. */
function rootDir(dir: string, origin: PrepareContext['origin']): string {
  if (isAbsolute(dir) || !origin) return dir
  if (!origin.rolePath) return join(dirname(origin.file), dir)
  if (dir.split('/')[0] === 'vars' && existsSync(join(origin.rolePath, dir))) return join(origin.rolePath, dir)
  return join(origin.rolePath, 'vars', dir)
}

export const includeVars: ActionModule<IncludeVarsArgs> = {
  kind: 'action',
  name: 'include_vars',
  doc: 'Load variables from a file, or the files of a directory, on the controller.',
  args: {
    freeForm: 'file',
    options: {
      file: { type: 'path', doc: "The file, relative to the role's vars/ or the playbook." },
      dir: { type: 'path', doc: "A directory: every vars file in it and below, in Ansible's order." },
      name: { type: 'str', doc: 'Put the variables under this one name instead.' },
      depth: { type: 'int', doc: 'With dir: how many directories of the sorted walk to read (0: all).' },
      files_matching: { type: 'str', doc: 'With dir: only files whose name this regex matches.' },
      ignore_files: { type: 'raw', doc: 'With dir: regexes (a list, or a space-separated string) of file names to skip.' },
      extensions: { type: 'raw', doc: 'With dir: the extensions loaded (default yaml, yml, json).' },
      ignore_unknown_extensions: { type: 'bool', doc: 'With dir: skip files of other extensions instead of failing.' },
    },
  },
  returns: { ansible_included_var_files: 'The files read, in order.' },
  validate: problems,
  act(a, ctx) {
    const bad = problems(a)
    if (bad.length) return { failed: true, msg: bad.join('; ') }
    let files: string[]
    let error: string | undefined
    if (a.dir !== undefined) {
      const dir = rootDir(a.dir, ctx.origin)
      const st = statSync(dir, { throwIfNoEntry: false })
      if (!st) return { failed: true, msg: `${dir} directory does not exist`, data: { ansible_included_var_files: [] } }
      if (!st.isDirectory()) return { failed: true, msg: `${dir} is not a directory`, data: { ansible_included_var_files: [] } }
      ;({ files, error } = filesInDir(dir, a))
    } else {
      let path: string
      try {
        path = ctx.findFile('files', a.file!)
      } catch {
        path = ctx.findFile('templates', `../vars/${a.file}`)
      }
      files = [path]
    }
    // controller files, like vars_files: their templates are rendered when read, as in Ansible
    const vars: Record<string, unknown> = {}
    for (const f of files) Object.assign(vars, loadVarsFile(f))
    const data = { ansible_included_var_files: files }
    if (error) return { failed: true, msg: error, data }
    return { includedVars: a.name ? { [a.name]: vars } : vars, data }
  },
}
