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
import { isTemplated } from './expression.js'
import { varsExpressionErrors } from './expression-check.js'
import { splitTemplate, tokenize, type Token } from '../jinja/index.js'
import type { Inventory } from './inventory.js'
import type { Cond, Inherited, Node, Playbook, Task } from './model.js'
import { loadVarsFile } from './vars-files.js'
import { valuePosOf } from './yaml.js'

/** Variables rm-play defines itself (engine/scope.ts and the loop), and Jinja's own globals. */
const BUILTIN = new Set([
  'inventory_hostname',
  'inventory_hostname_short',
  'group_names',
  'groups',
  'play_hosts',
  'playbook_dir',
  'inventory_dir',
  'inventory_file',
  'role_names',
  'omit',
  'role_name',
  'role_path',
  'hostvars',
  'vars',
  'item',
  // Jinja's literals, globals and functions rm-play registers
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
  'range',
  'dict',
  'namespace',
  'loop',
  'lookup',
  'query',
  'q',
  'lipsum',
  'cycler',
  'joiner',
  'varargs',
  'kwargs',
  'caller',
])
const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'if',
  'else',
  'elif',
  'for',
  'endfor',
  'endif',
  'recursive',
  'set',
  'endset',
  'with',
  'endwith',
  'macro',
  'endmacro',
  'call',
  'endcall',
  'filter',
  'endfilter',
  'block',
  'endblock',
  'raw',
  'endraw',
  'include',
  'import',
  'from',
  'as',
  'do',
  'break',
  'continue',
  'autoescape',
  'endautoescape',
])
const GUARD_TESTS = new Set(['defined', 'undefined'])
const GUARD_FILTERS = new Set(['default', 'd', 'ansible.builtin.default'])

const sigAt = (ts: Token[], k: number, step: 1 | -1): number => {
  while (k >= 0 && k < ts.length && ts[k].kind === 'space') k += step
  return k
}

/** The index just past a variable chain starting at `k` (`a.b[0]['c']`). */
function chainEnd(ts: Token[], k: number): number {
  let end = k
  for (;;) {
    const n = sigAt(ts, end + 1, 1)
    if (ts[n]?.text === '.' && ts[sigAt(ts, n + 1, 1)]?.kind === 'name') end = sigAt(ts, n + 1, 1)
    else if (ts[n]?.text === '[') {
      let depth = 0
      let m = n
      for (; m < ts.length; m++) {
        if (ts[m].text === '[') depth++
        else if (ts[m].text === ']' && --depth === 0) break
      }
      if (m >= ts.length) return end
      end = m
    } else return end
  }
}

/**
 * The names a template reads (a bare expression is passed as `{{ expr }}`): `free` unguarded,
 * `guarded` under `x | default`, `x is defined` or `x is undefined` (names a `{% for %}` or
 * `{% set %}` binds are not variables, nor attribute, filter, test or keyword-argument names).
 * Both empty when the template does not parse (the loader reports that).
 */
export function namesIn(template: string): { free: string[]; guarded: string[] } {
  const none = { free: [], guarded: [] }
  let parts
  try {
    parts = splitTemplate(template).map((p) => (p.kind === 'var' || p.kind === 'block' ? { block: p.kind === 'block', ts: tokenize(p.body) } : undefined))
  } catch {
    return none
  }
  const bound = new Set<string>()
  for (const p of parts) {
    if (!p?.block) continue
    const sig = p.ts.filter((t) => t.kind !== 'space')
    if (sig[0]?.text === 'for') for (let i = 1; i < sig.length && sig[i].text !== 'in'; i++) if (sig[i].kind === 'name') bound.add(sig[i].text)
    if (sig[0]?.text === 'set' || sig[0]?.text === 'macro')
      for (let i = 1; i < sig.length && sig[i].text !== '=' && sig[i].text !== '('; i++) if (sig[i].kind === 'name') bound.add(sig[i].text)
    if (sig[0]?.text === 'macro') sig.slice(2).forEach((t) => t.kind === 'name' && bound.add(t.text))
  }
  const free = new Set<string>()
  const guarded = new Set<string>()
  for (const p of parts) {
    if (!p) continue
    const ts = p.ts
    // the arguments of `| default(...)`: used only when the value is undefined, so never surely read
    let guardedUntil = -1
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k]
      if (
        t.text === '(' &&
        k > guardedUntil &&
        GUARD_FILTERS.has(ts[sigAt(ts, k - 1, -1)]?.text ?? '') &&
        ts[sigAt(ts, sigAt(ts, k - 1, -1) - 1, -1)]?.text === '|'
      ) {
        let depth = 0
        for (let m = k; m < ts.length; m++) {
          if (ts[m].text === '(') depth++
          else if (ts[m].text === ')' && --depth === 0) {
            guardedUntil = m
            break
          }
        }
      }
      if (t.kind !== 'name' || KEYWORDS.has(t.text) || BUILTIN.has(t.text) || bound.has(t.text)) continue
      const prev = ts[sigAt(ts, k - 1, -1)]
      const before = ts[sigAt(ts, sigAt(ts, k - 1, -1) - 1, -1)]
      if (prev?.text === '.' || prev?.text === '|' || prev?.text === 'is' || (prev?.text === 'not' && before?.text === 'is')) continue
      const next = ts[sigAt(ts, k + 1, 1)]
      // a keyword argument (`default(x, true)`'s kin) or a function (a macro): not a variable read
      if (next?.text === '=' || next?.text === '(') continue
      const end = chainEnd(ts, k)
      const a = sigAt(ts, end + 1, 1)
      let b = sigAt(ts, a + 1, 1)
      if (ts[a]?.text === 'is' && ts[b]?.text === 'not') b = sigAt(ts, b + 1, 1)
      const isGuard = (ts[a]?.text === 'is' && GUARD_TESTS.has(ts[b]?.text ?? '')) || (ts[a]?.text === '|' && GUARD_FILTERS.has(ts[b]?.text ?? ''))
      ;(isGuard || k <= guardedUntil ? guarded : free).add(t.text)
      k = end
    }
  }
  return { free: [...free].filter((n) => !guarded.has(n)), guarded: [...guarded] }
}

/** The names an expression reads that nothing in it guards. */
export function freeNames(expr: string): string[] {
  return namesIn(isTemplated(expr) ? expr : `{{ ${expr} }}`).free
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
      if (isTemplated(v)) out(v, pos)
    } else if (Array.isArray(v)) v.forEach((x, i) => templated(x, valuePosOf(v, String(i)) ?? pos))
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) templated(x, valuePosOf(v, k) ?? pos)
  }
  const bare = (conds: Cond[] | undefined): void => {
    for (const c of conds ?? []) {
      if (typeof c.expr !== 'string') continue
      const s = c.expr.trim()
      out(isTemplated(s) ? s : `{{ ${s} }}`, c.pos)
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
  // templates in vars sources first: a syntax error there is as sure as a typo in a task
  const bad = varsExpressionErrors(pb, inventory)
  let known: Set<string>
  try {
    known = definedNames(pb, inventory, extraVars)
  } catch (e) {
    if (e instanceof Unknowable) return bad
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
      for (const c of n.when) if (typeof c.expr === 'string') use(isTemplated(c.expr) ? c.expr : `{{ ${c.expr} }}`, c.pos)
      return [...(n.nodes ?? []), ...(n.handlers ?? [])].forEach(visit)
    }
    taskExpressions(n, use)
  }
  for (const play of pb.plays) [...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers].forEach(visit)
  const errors: RmError[] = [...bad]
  const seen = new Set<string>()
  for (const { name, pos } of uses) {
    if (known.has(name) || name.startsWith('ansible_') || guarded.has(name)) continue
    const key = `${name}@${pos.file}:${pos.line}:${pos.col}`
    if (seen.has(key)) continue
    seen.add(key)
    errors.push(
      new RmError(
        `undefined variable '${name}': no vars source, register, set_fact or fact defines it`,
        pos,
        'define it (vars, group_vars, -e), or guard it: x | default(...), x is defined',
      ),
    )
  }
  return errors
}
