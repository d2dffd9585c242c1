// Load-time checks of the templates that are not task arguments (those are checked as tasks load,
// tasks.ts): every `{{ }}` / `{% %}` of play vars, role defaults and vars, vars_files, inventory
// variables and group_vars/host_vars, and every `.j2` template file a task names. A syntax error,
// an unknown filter, test or lookup is an error at file:line:col before any host is touched.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { RmError, type SourcePos } from './errors.js'
import { compile } from './expression-jinja.js'
import { errorPosInValue } from './error-pos.js'
import { TemplateError } from '../jinja/index.js'
import { checkTemplateOnce } from './checked-templates.js'
import { ExpressionError } from './expression-errors.js'
import type { Inventory } from './inventory.js'
import type { Node, Playbook, RoleInstance } from './model.js'
import { isTemplated } from '../text/templated.js'
import { loadVarsFile } from './vars-files.js'
import { valuePosOf } from './yaml.js'

const HINT = 'expressions are Jinja2, as in Ansible: x | default(1), x is defined, a if c else b, xs + [y], s[1:]'

/** Errors of every templated string inside a value (lists and mappings walked), at each string's position. */
export function valueErrors(value: unknown, pos: SourcePos | undefined | (() => SourcePos | undefined), into: RmError[], seen = new Set<object>()): void {
  if (typeof value === 'string') {
    if (!isTemplated(value)) return
    try {
      compile(value)
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e
      into.push(new RmError(`bad expression '${value}': ${e.message}`, errorPosInValue(value, e.message, typeof pos === 'function' ? pos() : pos), HINT))
    }
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value)
    const at = (k: string) => valuePosOf(value, k) ?? pos
    if (Array.isArray(value)) value.forEach((x, i) => valueErrors(x, at(String(i)), into, seen))
    else for (const [k, x] of Object.entries(value)) valueErrors(x, at(k), into, seen)
  }
}

/** The line and column of a name in a template file's text (for errors MiniJinja gives no line for). */
function posOfName(file: string, text: string, name: string): SourcePos {
  const i = text.search(new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`))
  if (i < 0) return { file, line: 1, col: 1 }
  const before = text.slice(0, i)
  return { file, line: before.split('\n').length, col: i - before.lastIndexOf('\n') }
}

/** Where `key:` starts in a vars file named without its extension, or in the files of a directory of that name. */
function keyPos(base: string, key: string): SourcePos | undefined {
  const files = [base, `${base}.yml`, `${base}.yaml`, `${base}.json`].flatMap((f) => {
    try {
      return statSync(f).isDirectory()
        ? readdirSync(f)
            .sort()
            .map((x) => join(f, x))
        : [f]
    } catch {
      return []
    }
  })
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    const at = text.split('\n').findIndex((l) => l.startsWith(`${key}:`) || l.startsWith(`"${key}":`) || l.startsWith(`'${key}':`))
    if (at >= 0) return { file, line: at + 1, col: key.length + 3 }
  }
  return undefined
}

/** The load error of one `.j2` template file, if any. */
export function templateFileError(file: string): RmError | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined // a missing file is reported by references.ts
  }
  try {
    checkTemplateOnce(text, { file: true })
    return undefined
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e
    const named = /(?:named '([^']+)'|\(([^)]+)\) not found)/.exec(e.message)
    // MiniJinja counts lines of the text after a `#jinja2:` header line
    const line = (e.line ?? 1) + (text.startsWith('#jinja2:') ? 1 : 0)
    const pos = named ? posOfName(file, text, named[1] ?? named[2]!) : { file, line: Math.min(line, text.split('\n').length), col: 1 }
    return new RmError(`template ${file}: ${e.message}`, pos, HINT)
  }
}

/** Every vars source of a playbook run whose templates the task loader does not see. */
export function varsExpressionErrors(pb: Playbook, inventory: Inventory): RmError[] {
  const errors: RmError[] = []
  const seen = new Set<object>()
  const check = (values: unknown, pos?: SourcePos | (() => SourcePos | undefined)) => valueErrors(values, pos, errors, seen)
  // roles.ts merges a role's files into one object, which keeps no positions: find each key's line
  const roleErrors = (r: RoleInstance) => {
    for (const dir of ['defaults', 'vars'] as const) {
      const values = r[dir]
      if (seen.has(values)) continue
      for (const [k, v] of Object.entries(values)) check(v, valuePosOf(values, k) ?? (() => keyPos(join(r.path, dir, 'main'), k)))
      seen.add(values)
    }
  }
  // group_vars/ and host_vars/ files are merged without positions too (inventory.ts): found by key
  const layerErrors = (name: string, values: Readonly<Record<string, unknown>>) => {
    if (seen.has(values)) return
    const fromFiles = /\/(group|host)_vars\//.test(name)
    for (const [k, v] of Object.entries(values)) check(v, valuePosOf(values, k) ?? (() => (fromFiles ? keyPos(name, k) : undefined)))
    seen.add(values)
  }
  for (const h of inventory.hosts.keys()) for (const l of inventory.varLayers(h, pb.dir)) layerErrors(l.name, l.values)
  for (const g of inventory.groups.values()) check(g.vars)
  const visit = (n: Node): void => {
    n.vars.forEach((v) => check(v))
    if (n.role) roleErrors(n.role)
    if (n.kind === 'block') return [...n.block, ...n.rescue, ...n.always].forEach(visit)
    if (n.kind === 'include') return [...(n.nodes ?? []), ...(n.handlers ?? [])].forEach(visit)
  }
  for (const play of pb.plays) {
    check(play.vars)
    for (const r of play.roles) {
      roleErrors(r)
      check(r.params)
    }
    for (const vf of play.varsFiles) {
      if (isTemplated(vf.file)) continue
      try {
        check(loadVarsFile(isAbsolute(vf.file) ? vf.file : join(pb.dir, vf.file)))
      } catch {
        /* an unreadable vars file is reported where it is loaded */
      }
    }
    ;[...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers].forEach(visit)
  }
  // one error per place: the same role defaults reach the check through every host and play
  const unique = new Map<string, RmError>()
  for (const e of errors) unique.set(`${e.message}@${e.pos?.file}:${e.pos?.line}:${e.pos?.col}`, e)
  return [...unique.values()]
}
