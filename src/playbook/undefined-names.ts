// Before any host is touched: a variable that no source can ever define is a typo, reported at the
// expression's file:line:col. A name counts as defined if any vars source of the run defines it
// (inventory and its group_vars/host_vars, the playbook's group_vars/host_vars, play vars,
// vars_files, roles, blocks, tasks, include parameters, extra vars), if any task registers it or
// sets it with set_fact, if it is a loop variable, a magic variable or a fact (ansible_*).
// Where the set of names cannot be known (include_vars, a templated vars_files or include, a
// templated set_fact key), nothing is reported: the check only speaks when it is sure.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { RmError, type SourcePos } from './errors.js'
import { expressionsIn, isTemplated } from './expression.js'
import { translateExpression } from './expression-translate.js'
import { FILTER_NAMES, TEST_NAMES } from './filters.js'
import type { Inventory } from './inventory.js'
import type { Cond, Inherited, Node, Playbook, Task } from './model.js'
import { loadVarsFile } from './vars-files.js'
import { valuePosOf } from './yaml.js'

/** Variables rm-play defines itself (engine/scope.ts and the loop), and JavaScript's globals. */
const BUILTIN = new Set([
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'play_hosts', 'playbook_dir', 'inventory_dir', 'omit',
  'role_name', 'role_path', 'hostvars', 'vars', 'item',
  'Math', 'JSON', 'Object', 'Array', 'String', 'Number', 'Boolean', 'Date', 'RegExp', 'Set', 'Map', 'parseInt', 'parseFloat', 'isNaN',
  'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'undefined', 'NaN', 'Infinity', 'true', 'false', 'null',
  // JavaScript words that are not variables
  'typeof', 'instanceof', 'in', 'of', 'new', 'void', 'delete', 'this', 'function', 'return', 'let', 'const', 'var', 'if', 'else', 'async', 'await',
  '__f', '__t', '__g',
])

/**
 * The names an expression reads: `free` unguarded, `guarded` under `x | default`, `x is defined`,
 * `x ?? y` or `typeof x` (arrow parameters are bound, member names are not variables). Both empty
 * when the expression is not plain enough to be sure (template literals, comprehensions).
 */
export function namesIn(expr: string): { free: string[]; guarded: string[] } {
  const none = { free: [], guarded: [] }
  let js: string
  try {
    js = translateExpression(expr, FILTER_NAMES, TEST_NAMES)
  } catch {
    return none // a syntax error is reported by the loader already
  }
  if (js.includes('`')) return none
  // Strings out, keeping the structure.
  const src = js.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""')
  const toks: string[] = src.match(/[A-Za-z_$][\w$]*|=>|\?\.|\d[\w.]*|\S/g) ?? []
  if (toks.includes('for')) return none
  const bound = new Set<string>()
  toks.forEach((t, i) => {
    if (t !== '=>') return
    const prev = toks[i - 1]
    if (prev === ')') {
      for (let j = i - 2, depth = 0; j >= 0; j--) {
        if (toks[j] === ')') depth++
        else if (toks[j] === '(' && depth-- === 0) break
        else if (/^[A-Za-z_$]/.test(toks[j]!)) bound.add(toks[j]!)
      }
    } else if (prev && /^[A-Za-z_$]/.test(prev)) bound.add(prev)
  })
  const free = new Set<string>()
  const guarded = new Set<string>()
  let depth = 0
  let guardedBelow = Infinity // inside a zero-parameter arrow (a guard thunk) until its group closes
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!
    if (t === '(' || t === '[' || t === '{') depth++
    else if (t === ')' || t === ']' || t === '}') {
      depth--
      if (depth < guardedBelow) guardedBelow = Infinity
    } else if (t === '=>' && toks[i - 1] === ')' && toks[i - 2] === '(') guardedBelow = Math.min(guardedBelow, depth)
    if (!/^[A-Za-z_$]/.test(t)) continue
    const prev = toks[i - 1]
    const next = toks[i + 1]
    if (prev === '.' || prev === '?.' || next === ':' || next === '=>' || bound.has(t) || BUILTIN.has(t)) continue
    if (guardedBelow !== Infinity || prev === 'typeof') guarded.add(t)
    else free.add(t)
  }
  return { free: [...free].filter((n) => !guarded.has(n)), guarded: [...guarded] }
}

/** The names an expression reads that nothing in it guards. */
export function freeNames(expr: string): string[] {
  return namesIn(expr).free
}

class Unknowable extends Error {}

function keysOf(v: unknown, into: Set<string>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) into.add(k)
}

function varsDirNames(dir: string, into: Set<string>): void {
  for (const sub of ['group_vars', 'host_vars']) {
    const root = join(dir, sub)
    if (!existsSync(root)) continue
    const walk = (p: string): void => {
      if (statSync(p).isDirectory()) return readdirSync(p).forEach((f) => walk(join(p, f)))
      if (!/\.(ya?ml|json)$/.test(p) && !/^[^.]+$/.test(p.split('/').pop()!)) return
      keysOf(loadVarsFile(p), into)
    }
    // Anything unreadable here is reported by the inventory; this check just cannot be sure.
    try {
      walk(root)
    } catch {
      throw new Unknowable()
    }
  }
}

function inheritedNames(n: Inherited, into: Set<string>): void {
  n.vars.forEach((v) => keysOf(v, into))
}

/** Every name some source of this run can define; throws Unknowable when it cannot be known. */
function definedNames(pb: Playbook, inventory: Inventory, extraVars: Record<string, unknown>): Set<string> {
  const names = new Set<string>(BUILTIN)
  keysOf(extraVars, names)
  for (const h of inventory.hosts.keys()) for (const l of inventory.varLayers(h, pb.dir)) keysOf(l.values, names)
  for (const g of inventory.groups.values()) keysOf(g.vars, names)
  for (const d of [...inventory.varDirs, pb.dir]) varsDirNames(d, names)
  const visit = (n: Node): void => {
    inheritedNames(n, names)
    if (n.role) {
      for (const k of ['defaults', 'vars', 'params'] as const) keysOf(n.role[k], names)
    }
    if (n.kind === 'block') return [...n.block, ...n.rescue, ...n.always].forEach(visit)
    if (n.kind === 'include') {
      keysOf(n.params, names)
      if (n.loopControl) [n.loopControl.loopVar, n.loopControl.indexVar].forEach((v) => v && names.add(v))
      if (!n.nodes) throw new Unknowable()
      n.nodes.forEach(visit)
      n.handlers?.forEach(visit)
      return
    }
    if (n.register) names.add(n.register)
    if (n.loopControl) [n.loopControl.loopVar, n.loopControl.indexVar].forEach((v) => v && names.add(v))
    if (n.module === 'include_vars') {
      if (typeof n.args.name === 'string' && !isTemplated(n.args.name)) names.add(n.args.name)
      else throw new Unknowable()
    }
    if (n.module === 'set_fact') {
      for (const k of Object.keys(n.args)) {
        if (isTemplated(k)) throw new Unknowable()
        names.add(k)
      }
    }
  }
  for (const play of pb.plays) {
    keysOf(play.vars, names)
    for (const r of play.roles) for (const k of ['defaults', 'vars', 'params'] as const) keysOf(r[k], names)
    for (const vf of play.varsFiles) {
      if (isTemplated(vf.file)) throw new Unknowable()
      try {
        keysOf(loadVarsFile(isAbsolute(vf.file) ? vf.file : join(pb.dir, vf.file)), names)
      } catch {
        throw new Unknowable()
      }
    }
    ;[...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers].forEach(visit)
  }
  return names
}

/** Every expression a task evaluates, with where it is written. */
function taskExpressions(t: Task, out: (expr: string, pos: SourcePos) => void): void {
  const templated = (v: unknown, pos: SourcePos): void => {
    if (typeof v === 'string') {
      if (isTemplated(v)) for (const e of expressionsIn(v)) out(e, pos)
    } else if (Array.isArray(v)) v.forEach((x, i) => templated(x, valuePosOf(v, String(i)) ?? pos))
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) templated(x, valuePosOf(v, k) ?? pos)
  }
  const bare = (conds: Cond[] | undefined): void => {
    for (const c of conds ?? []) {
      if (typeof c.expr !== 'string') continue
      const s = c.expr.trim()
      if (s.startsWith('{{')) templated(s, c.pos)
      else out(s, c.pos)
    }
  }
  for (const [k, v] of Object.entries(t.args)) {
    // debug's `var` names a variable to show: an undefined one prints as such, as in Ansible.
    if (t.module === 'debug' && k === 'var') continue
    // assert's `that` holds bare conditions (`x is defined` there guards x for the whole playbook).
    if (t.module === 'assert' && k === 'that') {
      const pos = t.argPos[k] ?? t.argsPos
      bare(Array.isArray(v) ? v.map((expr, i) => ({ expr, pos: valuePosOf(v, String(i)) ?? pos })) : [{ expr: v, pos }])
      continue
    }
    templated(v, t.argPos[k] ?? t.argsPos)
  }
  bare(t.when)
  bare(t.changedWhen)
  bare(t.failedWhen)
  bare(t.until)
  if (t.loop !== undefined) templated(t.loop, t.pos)
}

/**
 * Undefined variables the loader can be sure of, as errors at file:line:col (none when it cannot
 * be sure). Called before any connection is opened.
 */
export function undefinedVariables(pb: Playbook, inventory: Inventory, extraVars: Record<string, unknown>): RmError[] {
  let known: Set<string>
  try {
    known = definedNames(pb, inventory, extraVars)
  } catch (e) {
    if (e instanceof Unknowable) return []
    throw e
  }
  const uses: { name: string; pos: SourcePos }[] = []
  // A name guarded anywhere (`x is defined`, `x | default`) may be meant to be optional: never reported.
  const guarded = new Set<string>()
  const visit = (n: Node): void => {
    if (n.kind === 'block') return [...n.block, ...n.rescue, ...n.always].forEach(visit)
    const use = (expr: string, pos: SourcePos) => {
      const { free, guarded: g } = namesIn(expr)
      g.forEach((x) => guarded.add(x))
      for (const name of free) uses.push({ name, pos })
    }
    if (n.kind === 'include') {
      // The include's own conditions count (their guards too); its parameters are vars, rendered lazily.
      for (const c of n.when) if (typeof c.expr === 'string') (c.expr.trim().startsWith('{{') ? expressionsIn(c.expr) : [c.expr]).forEach((e) => use(e, c.pos))
      return [...(n.nodes ?? []), ...(n.handlers ?? [])].forEach(visit)
    }
    taskExpressions(n, use)
  }
  for (const play of pb.plays) [...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers].forEach(visit)
  const errors: RmError[] = []
  const seen = new Set<string>()
  for (const { name, pos } of uses) {
    if (known.has(name) || name.startsWith('ansible_') || guarded.has(name)) continue
    const key = `${name}@${pos.file}:${pos.line}:${pos.col}`
    if (seen.has(key)) continue
    seen.add(key)
    errors.push(new RmError(`undefined variable '${name}': no vars source, register, set_fact or fact defines it`, pos, 'define it (vars, group_vars, -e), or guard it: x | default(...), x is defined'))
  }
  return errors
}
