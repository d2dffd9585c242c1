// `rm-play HOSTPATTERN -m MODULE -a 'ARGS'`: Ansible's ad-hoc command. The module and its
// arguments become a one-play, one-task playbook (no facts gathered) that the normal run path
// loads, validates and runs; only the output differs: one result per host as `ansible` prints it
// (`web1 | CHANGED | rc=0 >>` for command/shell/raw, `web1 | SUCCESS => {json}` for the others).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getModule, allModules } from '../modules/index.js'
import { RmError, RmErrors, errorList } from '../playbook/errors.js'
import { loadPlaybook } from '../playbook/load.js'
import type { Playbook } from '../playbook/model.js'
import { parseYaml } from '../playbook/yaml.js'
import { UsageError } from './args.js'
import { loadConfig } from './config.js'
import { suggest } from '../text/suggest.js'

export interface AdHoc {
  module?: string
  args?: string
  /** argv without -m/-a, for the playbook flag parser. */
  rest: string[]
}

/** Takes -m/--module-name and -a/--args out of argv (every spelling: `-m ping`, `-mping`, `--args=...`). */
export function splitAdHoc(argv: string[]): AdHoc {
  const out: AdHoc = { rest: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      out.rest.push(...argv.slice(i))
      break
    }
    const m = /^(-m|--module-name|-a|--args)(?:=(.*))?$/s.exec(a) ?? /^(-m|-a)(.+)$/s.exec(a)
    if (!m) {
      out.rest.push(a)
      continue
    }
    const value = m[2] ?? argv[++i]
    if (value === undefined) throw new UsageError(`${m[1]} needs a value`)
    if (m[1] === '-m' || m[1] === '--module-name') out.module = value
    else out.args = value
  }
  return out
}

export function isAdHoc(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => /^(-m|--module-name|-a|--args)(=|$)/.test(a) || /^-[ma]./.test(a))
}

/** The task's arguments: a JSON/YAML mapping, or the string itself (k=v words or a free-form command). */
export function adHocTaskArgs(args: string | undefined): unknown {
  if (args === undefined || args.trim() === '') return null
  const t = args.trim()
  if (t.startsWith('{')) {
    const parsed = parseYaml(t, '-a')
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RmError(`-a ${args}: expected a mapping`)
    return parsed
  }
  return args
}

const adHocPlaybooks = new WeakSet<Playbook>()

/** Made by adHocPlaybook (listings print it as `ansible` does). */
export const isAdHocPlaybook = (pb: Playbook): boolean => adHocPlaybooks.has(pb)

/** The one-play playbook, loaded by the normal loader (every argument checked before a host is touched). */
export function adHocPlaybook(pattern: string, module: string, args: string | undefined, loadOpts: { rolesPath: string[] }): Playbook {
  if (!getModule(module)) {
    const near = suggest(
      module,
      allModules().map((m) => m.name),
    )
    throw new RmError(
      `no module named '${module}'`,
      undefined,
      near ? `did you mean '${near}'? (rm-play doc lists the modules)` : 'rm-play doc lists the modules',
    )
  }
  const play = [{ name: 'Ansible Ad-Hoc', hosts: pattern, gather_facts: false, tasks: [{ name: module, [module]: adHocTaskArgs(args) }] }]
  const dir = mkdtempSync(join(tmpdir(), 'rmp-adhoc-'))
  try {
    const file = join(dir, 'ad-hoc.yml')
    writeFileSync(file, JSON.stringify(play))
    const pb = loadPlaybook(file, loadOpts)
    // group_vars/ and host_vars/ beside the current directory apply, as for Ansible's ad-hoc runs.
    const adhoc = { ...pb, file: `ad-hoc: ${module}`, dir: process.cwd() }
    adHocPlaybooks.add(adhoc)
    return adhoc
  } catch (e) {
    // Positions point into the generated file: say which flag is wrong instead.
    throw new RmErrors(errorList(e).map((x) => new RmError(`-m ${module}${args !== undefined ? ` -a '${args}'` : ''}: ${x.message}`, undefined, x.hint)))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The module to run: -m, else ansible.cfg's module_name, else command. */
export function adHocModule(module: string | undefined): string {
  if (module) return module
  try {
    return (loadConfig().settings.get('module_name')?.value as string | undefined) ?? 'command'
  } catch {
    return 'command'
  }
}

/** Python's json.dumps(indent=4, sort_keys=True), as Ansible's minimal callback prints a result. */
export function pyJson(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => `${indent}    ${pyJson(x, indent + '    ')}`).join(',\n')}\n${indent}]` : '[]'
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
    return keys.length
      ? `{\n${keys.map((k) => `${indent}    ${JSON.stringify(k)}: ${pyJson((v as Record<string, unknown>)[k], indent + '    ')}`).join(',\n')}\n${indent}}`
      : '{}'
  }
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
