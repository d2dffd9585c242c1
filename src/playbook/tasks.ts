// Task lists → Nodes: tasks, blocks, imports and includes, with inherited keywords and positions.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { canonicalModuleName, getModule, moduleNames } from '../modules/index.js'
import { checkArgs } from '../modules/schema.js'
import { fixedBool, keywordBool } from './bool.js'
import type { SourcePos } from './errors.js'
import { compile, ExpressionError, isTemplated } from './expression.js'
import { errorPosInValue } from './error-pos.js'
import { splitKeyValues } from './inventory-ini.js'
import { inherit, type LoadState, type Where } from './load-context.js'
import type { Cond, Inherited, LoopControl, Node, Task } from './model.js'
import { isLookup } from '../jinja/index.js'
import { lookupSubdir, type WithLookup } from './loop-items.js'
import { loadRoleInto } from './roles.js'
import { keyPosOf, loadYamlFile, posOf, valuePosOf } from './yaml.js'

type Dict = Record<string, unknown>

const KEYWORDS = new Set([
  'name',
  'when',
  'loop',
  'with_items',
  'with_list',
  'with_dict',
  'with_indexed_items',
  'loop_control',
  'register',
  'notify',
  'tags',
  'become',
  'become_user',
  'become_method',
  'changed_when',
  'failed_when',
  'ignore_errors',
  'ignore_unreachable',
  'check_mode',
  'diff',
  'no_log',
  'retries',
  'until',
  'delay',
  'delegate_to',
  'run_once',
  'environment',
  'vars',
  'args',
  'listen',
  'any_errors_fatal',
  'collections',
  'remote_user',
  'connection',
])
/** Ansible keywords rm-play does not implement: an error, never a silent no-op. */
export const UNSUPPORTED_KEYWORDS = new Set(['throttle', 'timeout', 'delegate_facts', 'debugger', 'port'])
const BLOCK_KEYS = new Set(['block', 'rescue', 'always'])
const INCLUDES = new Set([
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
  'ansible.builtin.include_tasks',
  'ansible.builtin.import_tasks',
  'ansible.builtin.include_role',
  'ansible.builtin.import_role',
])

export const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v)

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v)
}

function list(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]
}

function tagsOf(v: unknown): string[] {
  return list(v)
    .flatMap((t) => String(t).split(','))
    .map((t) => t.trim())
    .filter(Boolean)
}

/** Checks that every expression in a value compiles; reports at the value's position. */
export function checkExpressions(state: LoadState, value: unknown, pos: SourcePos | undefined, bare = false): void {
  const visit = (v: unknown, p: SourcePos | undefined) => {
    if (typeof v === 'string') {
      // the whole string: a `{% %}` statement is checked as well as each `{{ }}`
      const exprs = bare || isTemplated(v) ? [v] : []
      for (const e of exprs) {
        try {
          compile(e)
        } catch (err) {
          if (err instanceof ExpressionError)
            state.error(
              `bad expression '${e}': ${err.message}`,
              errorPosInValue(e, err.message, p),
              'expressions are Jinja2, as in Ansible: x | default(1), x is defined, a if c else b, xs + [y], s[1:]',
            )
          else throw err
        }
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, valuePosOf(v, String(i)) ?? p))
    else if (isDict(v)) for (const [k, x] of Object.entries(v)) visit(x, valuePosOf(v, k) ?? p)
  }
  visit(value, pos)
}

function conds(state: LoadState, task: Dict, key: string): Cond[] | undefined {
  if (!(key in task)) return undefined
  const pos = valuePosOf(task, key)!
  const raw = task[key]
  const items = Array.isArray(raw) ? raw : [raw]
  return items.map((expr, i) => {
    const p = Array.isArray(raw) ? (valuePosOf(raw, String(i)) ?? pos) : pos
    if (typeof expr === 'string') checkExpressions(state, expr, p, true)
    return { expr, pos: p }
  })
}

/** The keywords `inheritable` reads (besides vars): also what a role entry in roles: may carry. */
export const INHERITABLE_KEYS = new Set([
  'when',
  'tags',
  'become',
  'become_user',
  'become_method',
  'environment',
  'ignore_errors',
  'ignore_unreachable',
  'check_mode',
  'diff',
  'no_log',
  'delegate_to',
  'run_once',
  'any_errors_fatal',
  'remote_user',
  'connection',
])

/** Keywords a task, block, include or role entry passes to what it contains. */
export function inheritable(state: LoadState, d: Dict): Partial<Inherited> {
  const out: Partial<Inherited> = {}
  const w = conds(state, d, 'when')
  if (w) out.when = w
  if ('tags' in d) out.tags = tagsOf(d.tags)
  const flag = (key: string, templated: boolean) => keywordBool(key, d[key], templated, (m, h) => state.error(m, valuePosOf(d, key), h))
  const fixed = (key: string) => fixedBool(key, d[key], (m, h) => state.error(m, valuePosOf(d, key), h))
  if ('become' in d) out.become = flag('become', true)
  if ('become_user' in d) out.becomeUser = str(d.become_user)
  const becomeMethod = checkBecomeMethod(state, d)
  if (becomeMethod) out.becomeMethod = becomeMethod
  if ('environment' in d) {
    if (!isDict(d.environment) && !(typeof d.environment === 'string' && isTemplated(d.environment)))
      state.error('environment must be a mapping of names to values', valuePosOf(d, 'environment'))
    else out.environment = [d.environment as Dict]
    checkExpressions(state, d.environment, valuePosOf(d, 'environment'))
  }
  if ('ignore_errors' in d) out.ignoreErrors = flag('ignore_errors', true)
  if ('ignore_unreachable' in d) out.ignoreUnreachable = fixed('ignore_unreachable')
  if ('check_mode' in d) out.checkMode = flag('check_mode', true)
  if ('diff' in d) out.diff = flag('diff', true)
  if ('no_log' in d) out.noLog = flag('no_log', true)
  if ('delegate_to' in d) out.delegateTo = str(d.delegate_to)
  if ('run_once' in d) out.runOnce = fixed('run_once')
  if ('any_errors_fatal' in d) out.anyErrorsFatal = fixed('any_errors_fatal')
  if ('remote_user' in d) {
    out.remoteUser = str(d.remote_user)
    checkExpressions(state, d.remote_user, valuePosOf(d, 'remote_user'))
  }
  if ('connection' in d) {
    out.connection = str(d.connection)
    checkConnection(state, out.connection, valuePosOf(d, 'connection'))
  }
  if ('vars' in d) {
    if (!isDict(d.vars)) state.error('vars must be a mapping', valuePosOf(d, 'vars'))
    else {
      out.vars = [d.vars]
      checkExpressions(state, d.vars, valuePosOf(d, 'vars'))
    }
  }
  return out
}

/** rm-play becomes with sudo or su: any other method would silently be one of them, so it is an error. */
export function checkBecomeMethod(state: LoadState, d: Dict): 'sudo' | 'su' | undefined {
  if (!('become_method' in d)) return undefined
  if (d.become_method === 'sudo' || d.become_method === 'su') return d.become_method
  state.error(
    `become_method '${String(d.become_method)}' is not supported`,
    valuePosOf(d, 'become_method'),
    'rm-play becomes with sudo or su: use one of them or leave it out',
  )
  return undefined
}

/** The connection keyword takes the plugins rm-play has (a templated value is checked when it runs). */
export function checkConnection(state: LoadState, connection: string | undefined, pos: SourcePos | undefined): void {
  if (connection === undefined || isTemplated(connection)) return
  if (!['ssh', 'local', 'smart', 'paramiko'].includes(connection)) state.error(`connection '${connection}' is not supported`, pos, 'use ssh or local')
}

/** Splits Ansible's `k=v k2=v2` module argument string (and a free-form command's options). */
export function parseArgString(s: string, freeForm: string | undefined, knownKeys: string[]): Dict {
  if (!freeForm) {
    const out: Dict = {}
    for (const kv of splitKeyValues(s)) out[kv.key] = kv.value
    return out
  }
  // `debug: msg="hi"`: the whole string is known k=v pairs
  try {
    const kvs = splitKeyValues(s)
    if (kvs.length && kvs.every((kv) => knownKeys.includes(kv.key))) return Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]))
  } catch {
    // not k=v words: a free-form string
  }
  // A free-form command may carry known options as k=v words: `cmd creates=/x chdir=/y`
  const out: Dict = {}
  const words: string[] = []
  const re = /(\S+?)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)|("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/g
  let m: RegExpExecArray | null
  let rest = s
  const opts: string[] = []
  while ((m = re.exec(s))) {
    if (m[1] && knownKeys.includes(m[1]) && m[1] !== freeForm) {
      out[m[1]] = m[2]!.replace(/^(["'])(.*)\1$/, '$2')
      opts.push(m[0])
    } else words.push(m[0])
  }
  for (const o of opts) rest = rest.replace(o, '')
  rest = rest.trim()
  if (rest) out[freeForm] = rest
  return out
}

function loopControl(state: LoadState, d: Dict): LoopControl | undefined {
  if (!('loop_control' in d)) return undefined
  const lc = d.loop_control
  if (!isDict(lc)) {
    state.error('loop_control must be a mapping', valuePosOf(d, 'loop_control'))
    return undefined
  }
  for (const k of Object.keys(lc))
    if (!['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems'].includes(k))
      state.error(`unknown loop_control key '${k}'`, keyPosOf(lc, k), 'known: loop_var, index_var, label, pause, extended')
  return {
    loopVar: str(lc.loop_var) ?? 'item',
    indexVar: str(lc.index_var),
    label: lc.label,
    pause: lc.pause === undefined ? undefined : Number(lc.pause),
    extended: fixedBool('loop_control.extended', lc.extended, (m, h) => state.error(m, valuePosOf(lc, 'extended'), h)),
  }
}

/** `with_<name>` keys: Ansible maps each to the lookup of that name. */
const isWithKey = (k: string): boolean => k.startsWith('with_')

function loopOf(state: LoadState, d: Dict, module = ''): unknown {
  const forms = Object.keys(d).filter((k) => k === 'loop' || isWithKey(k))
  if (forms.length > 1) state.error(`use one of ${forms.join(', ')}, not several`, keyPosOf(d, forms[1]!))
  const k = forms[0]
  if (!k) return undefined
  checkExpressions(state, d[k], valuePosOf(d, k))
  const v = d[k]
  // The with_* forms become loop expressions with Ansible's meaning.
  if (k === 'with_items') return typeof v === 'string' ? `{{ (${v.replace(/^\s*\{\{|\}\}\s*$/g, '')}) | flatten(1) }}` : list(v).flat(1)
  if (k === 'with_dict') return `{{ (${String(v).replace(/^\s*\{\{|\}\}\s*$/g, '')}) | dict2items }}`
  if (k === 'with_indexed_items') return `{{ (${String(v).replace(/^\s*\{\{|\}\}\s*$/g, '')}) | list | map('items') }}`
  if (k === 'loop' || k === 'with_list') return v
  const lookup = k.slice('with_'.length)
  if (!isLookup(lookup)) {
    state.error(
      `unknown loop '${k}': rm-play has no lookup named '${lookup}'`,
      keyPosOf(d, k),
      'with_<name> loops over lookup(<name>); see docs/jinja.md for the lookups',
    )
    return undefined
  }
  const loop: WithLookup = { kind: 'with-lookup', lookup, terms: v, subdir: lookupSubdir(module) }
  return loop
}

/**
 * The files a templated include_tasks may name (`setup-{{ ansible_os_family }}.yml` matches every
 * setup-*.yml where it would be looked for), parsed now so their mistakes show as warnings before
 * any host is touched; the file a host renders is loaded again (strictly) when it runs.
 */
function checkCandidates(state: LoadState, where: Where, target: string, inh: Inherited, from: SourcePos): void {
  const parts = target.split(/\{\{[\s\S]*?\}\}/)
  // a bare `{{ file }}` (or `{{ x }}.yml`) may name anything: only a name with words of its own is checked
  if (parts.length < 2 || target.includes('{%') || !parts.join('').replace(/\.ya?ml$/, '')) return
  const re = new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`)
  const role = where.inherited.role
  const dirs = [...new Set([...(role ? [join(role.path, 'tasks')] : []), where.baseDir, state.playbookDir])]
  const seen = new Set<string>()
  for (const dir of dirs) {
    let names: string[]
    try {
      names = readdirSync(dir).sort()
    } catch {
      continue
    }
    for (const n of names) {
      const file = join(dir, n)
      if (!re.test(n) || seen.has(n) || !statSync(file).isFile()) continue
      seen.add(n)
      // a file that matches may still never be included: what is wrong in it is a warning
      const errorsBefore = state.errors.length
      loadTaskFile(state, file, { ...where, inherited: { ...inh, when: [] } }, from)
      state.warnings.push(...state.errors.splice(errorsBefore))
    }
  }
}

/** Resolves a file an import or include names: the role's tasks/, the current dir, the playbook dir. */
function resolveTaskFile(state: LoadState, where: Where, name: string): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined
  const role = where.inherited.role
  const candidates = [
    ...(role ? [join(role.path, 'tasks', name), join(role.path, 'tasks', `${name}.yml`)] : []),
    join(where.baseDir, name),
    join(state.playbookDir, name),
  ]
  return candidates.find((c) => existsSync(c))
}

export function loadTaskFile(state: LoadState, file: string, where: Where, from?: SourcePos, handlers = false): Node[] {
  const doc = state.collect(() => loadYamlFile(file, from))
  if (doc === undefined || doc === null) return []
  if (!Array.isArray(doc)) {
    state.error('a task file must be a list of tasks', posOf(doc) ?? { file, line: 1, col: 1 })
    return []
  }
  return parseTaskList(state, doc, { ...where, file, baseDir: dirname(file) }, handlers)
}

export function parseTaskList(state: LoadState, items: unknown, where: Where, handlers = false): Node[] {
  if (items === undefined || items === null) return []
  if (!Array.isArray(items)) {
    state.error('expected a list of tasks', posOf(items) ?? { file: where.file, line: 1, col: 1 })
    return []
  }
  const out: Node[] = []
  items.forEach((item, i) => {
    const pos = posOf(item) ?? valuePosOf(items, String(i)) ?? { file: where.file, line: 1, col: 1 }
    if (!isDict(item)) {
      state.error('a task must be a mapping (name, module, keywords)', pos)
      return
    }
    out.push(...parseTask(state, item, pos, where, handlers))
  })
  return out
}

export function unsupportedKeyword(state: LoadState, d: Dict, k: string, on: string): void {
  state.error(`the Ansible keyword '${k}' is not supported on ${on}`, keyPosOf(d, k), 'rm-play would ignore it: remove it')
}

function parseTask(state: LoadState, d: Dict, pos: SourcePos, where: Where, handler: boolean): Node[] {
  const keys = Object.keys(d)
  for (const k of keys) if (UNSUPPORTED_KEYWORDS.has(k)) unsupportedKeyword(state, d, k, 'a task or block')
  if (keys.some((k) => BLOCK_KEYS.has(k))) return [parseBlock(state, d, pos, where)]
  const actionKeys = keys.filter((k) => !KEYWORDS.has(k) && !UNSUPPORTED_KEYWORDS.has(k) && !isWithKey(k))
  const include = actionKeys.find((k) => INCLUDES.has(k))
  if (include) return parseInclude(state, d, include.replace('ansible.builtin.', ''), pos, where, handler)
  if (actionKeys.includes('import_playbook')) {
    state.error('import_playbook belongs at the top level of a playbook, not in a task list', keyPosOf(d, 'import_playbook'))
    return []
  }
  if (actionKeys.length === 0) {
    state.error(`task has no module${d.name ? ` ('${String(d.name)}')` : ''}`, pos, `add one of: ${moduleNames().join(', ')}`)
    return []
  }
  if (actionKeys.length > 1) {
    const unknown = actionKeys.filter((k) => !canonicalModuleName(k))
    const k = unknown[0] ?? actionKeys[1]!
    state.error(
      unknown.length ? `unknown module or keyword '${k}'` : `a task takes one module, this one has ${actionKeys.join(' and ')}`,
      keyPosOf(d, k),
      unknown.length ? suggest(k) : undefined,
    )
    return []
  }
  const written = actionKeys[0]!
  const module = canonicalModuleName(written)
  if (!module) {
    state.lacking(`unknown module '${written}'`, keyPosOf(d, written), suggest(written))
    return []
  }
  const inh = inherit(where.inherited, inheritable(state, d))
  const mod = getModule(module)!
  const rawArgs = d[written]
  let args: Dict = {}
  const argsPos = valuePosOf(d, written) ?? pos
  const argsHolder: unknown = isDict(rawArgs) ? rawArgs : isDict(d.args) ? d.args : d
  if (typeof rawArgs === 'string') args = parseArgString(rawArgs, mod.args.freeForm, Object.keys(mod.args.options))
  else if (isDict(rawArgs)) args = { ...rawArgs }
  else if (rawArgs !== null && rawArgs !== undefined)
    state.error(`arguments of '${written}' must be a mapping${mod.args.freeForm ? ' or a command string' : ' or k=v words'}`, argsPos)
  if ('args' in d) {
    if (!isDict(d.args)) state.error('args must be a mapping', valuePosOf(d, 'args'))
    else args = { ...d.args, ...args }
  }
  const argPos: Record<string, SourcePos> = {}
  for (const k of Object.keys(args))
    argPos[k] = (isDict(rawArgs) && k in rawArgs ? valuePosOf(rawArgs, k) : isDict(d.args) && k in d.args ? valuePosOf(d.args, k) : argsPos) ?? argsPos
  // Arguments: schema on literal values now; templated values again at run time.
  const raw = mod.kind === 'action' ? new Set(mod.rawArgs ?? []) : new Set<string>()
  const { args: normal, problems } = checkArgs(mod.args, args, true)
  const deferredBefore = state.deferred.length
  for (const p of problems)
    state.lacking(`${module}: ${p.message}`, p.key && argPos[p.key] ? (isDict(argsHolder) ? keyPosOf(argsHolder, p.key) : argPos[p.key]) : argsPos)
  // Cross-argument checks need every value: with a templated one they run at run time instead
  // (task-runner), or `line: "{{ x }}"` would read as a missing line.
  const templated = Object.values(normal).some((v) => typeof v === 'string' && isTemplated(v))
  if (!problems.length && mod.validate && !templated) {
    for (const msg of mod.validate(normal as never)) state.lacking(`${module}: ${msg}`, argsPos)
  }
  // behind a conditional include, a task with arguments rm-play lacks is left out: its include fails when it runs
  if (state.deferred.length > deferredBefore) return []
  for (const [k, v] of Object.entries(args)) checkExpressions(state, v, argPos[k], raw.has(k))
  if ('name' in d) checkExpressions(state, d.name, valuePosOf(d, 'name'))
  const register = str(d.register)
  if (register !== undefined && !/^[A-Za-z_][\w]*$/.test(register)) state.error(`register needs a variable name, got '${register}'`, valuePosOf(d, 'register'))
  const notify = list(d.notify).map(String)
  const task: Task = {
    kind: 'task',
    index: state.nextIndex(),
    name: str(d.name),
    // An unnamed task shows its module and short string arguments, unless they may hold secrets.
    title: str(d.name) ?? (typeof rawArgs === 'string' && !('no_log' in d) && rawArgs.length <= 60 ? `${module} ${rawArgs}` : module),
    pos,
    module,
    // As written: defaults are applied when the task runs, so they never count as given.
    args,
    argsPos,
    argPos,
    loop: loopOf(state, d, module),
    loopControl: loopControl(state, d),
    register,
    notify,
    listen: handler ? list(d.listen).map(String) : [],
    changedWhen: conds(state, d, 'changed_when'),
    failedWhen: conds(state, d, 'failed_when'),
    until: conds(state, d, 'until'),
    retries: d.retries,
    delay: d.delay,
    ...inh,
  }
  if ('listen' in d && !handler) state.error('listen belongs on handlers', keyPosOf(d, 'listen'))
  return [task]
}

/**
 * Handlers from an import_tasks or include_tasks in a handlers list: an imported file's tasks are
 * handlers of their own; notifying an include's name runs every task it includes, in order.
 */
function handlersOf(state: LoadState, d: Dict, nodes: Node[], isImport: boolean): Node[] {
  const tasks = nodes.filter((n): n is Task => n.kind === 'task')
  if (tasks.length < nodes.length) state.error('a handlers file included here may hold tasks only, not blocks', posOf(d))
  const name = str(d.name)
  if (isImport || !name) return tasks
  return tasks.map((t) => ({ ...t, listen: [...t.listen, name] }))
}

function suggest(k: string): string {
  const names = moduleNames()
  const near = names.filter((n) => n.includes(k) || k.includes(n) || n.slice(0, 3) === k.slice(0, 3))
  return near.length ? `did you mean ${near.slice(0, 3).join(', ')}? (rm-play doc lists every module)` : 'rm-play doc lists every module'
}

function parseBlock(state: LoadState, d: Dict, pos: SourcePos, where: Where): Node {
  for (const k of Object.keys(d)) {
    if (!KEYWORDS.has(k) && !BLOCK_KEYS.has(k) && !UNSUPPORTED_KEYWORDS.has(k) && !isWithKey(k))
      state.error(`unknown keyword '${k}' on a block`, keyPosOf(d, k), 'a block takes block, rescue, always and task keywords (when, become, tags ...)')
  }
  const inh = inherit(where.inherited, inheritable(state, d))
  const inner = { ...where, inherited: inh }
  const index = state.nextIndex()
  return {
    kind: 'block',
    index,
    name: str(d.name),
    pos,
    block: parseTaskList(state, d.block ?? [], inner),
    rescue: parseTaskList(state, d.rescue ?? [], inner),
    always: parseTaskList(state, d.always ?? [], inner),
    ...inh,
  }
}

const INCLUDE_OPTIONS = {
  role: ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'apply', 'public', 'allow_duplicates', 'rolespec_validate'],
  tasks: ['file', 'apply', '_raw_params'],
}

function parseInclude(state: LoadState, d: Dict, kind: string, pos: SourcePos, where: Where, handler: boolean): Node[] {
  const v = d[kind] ?? d[`ansible.builtin.${kind}`]
  const isRole = kind.endsWith('role')
  const allowed = INCLUDE_OPTIONS[isRole ? 'role' : 'tasks']
  // `include_role: name=x tasks_from=y` and `include_tasks: file=x.yml`: k=v words, as Ansible reads them
  const spec: Dict = isDict(v) ? v : typeof v === 'string' ? parseArgString(v, isRole ? 'name' : 'file', allowed) : { [isRole ? 'name' : 'file']: v }
  const target = str(isRole ? spec.name : (spec.file ?? spec._raw_params))
  const vpos = valuePosOf(d, kind) ?? pos
  if (!target) {
    state.error(`${kind} needs ${isRole ? 'a role name' : 'a file'}`, vpos)
    return []
  }
  for (const k of Object.keys(spec))
    if (!allowed.includes(k)) state.error(`unknown ${kind} option '${k}'`, isDict(v) ? keyPosOf(spec, k) : vpos, `known: ${allowed.join(', ')}`)
  const params: Dict = isDict(d.vars) ? d.vars : {}
  const { vars: _params, ...rest } = d
  const own = inheritable(state, rest)
  const applied = isDict(spec.apply) ? inheritable(state, spec.apply) : {}
  // rm-play passes tags and keywords of includes and imports alike to every task inside.
  const inh = inherit(where.inherited, {
    ...own,
    ...applied,
    tags: [...(own.tags ?? []), ...(applied.tags ?? [])],
    vars: Object.keys(params).length ? [params] : [],
  })
  const isImport = kind.startsWith('import')
  const dynamic = isTemplated(target)
  if (isImport && dynamic) {
    state.error(`${kind} cannot take a templated name; use include_${isRole ? 'role' : 'tasks'}`, vpos)
    return []
  }
  if (isImport && ('loop' in d || 'with_items' in d)) state.error(`${kind} cannot loop; use include_${isRole ? 'role' : 'tasks'}`, keyPosOf(d, 'loop'))
  let nodes: Node[] | undefined
  let handlers: Task[] | undefined
  // A file reached only when a condition holds or a name renders (the other OS's setup-RedHat.yml):
  // what rm-play lacks there is a warning now and the include's failure on a host that runs it.
  const lenient = !isImport && (dynamic || (own.when?.length ?? 0) > 0)
  if (lenient) state.lenient++
  const deferredBefore = state.deferred.length
  if (dynamic && !isRole) checkCandidates(state, where, target, inh, vpos)
  else if (!dynamic) {
    if (isRole) {
      // Ansible's play.roles has an imported role, and an included one only once it runs (and is public)
      if (isImport) state.importedRoles.push(target.split('/').pop()!)
      const loaded = loadRoleInto(
        state,
        target,
        params,
        inh,
        vpos,
        { tasksFrom: str(spec.tasks_from), varsFrom: str(spec.vars_from), defaultsFrom: str(spec.defaults_from), handlersFrom: str(spec.handlers_from) },
        true,
      )
      nodes = loaded?.tasks
      handlers = loaded?.handlers
    } else {
      const file = resolveTaskFile(state, where, target)
      if (!file)
        state.error(
          `task file not found: ${target}`,
          vpos,
          `looked in ${where.inherited.role ? 'the role tasks/, ' : ''}${where.baseDir} and ${state.playbookDir}`,
        )
      else if (handler) return handlersOf(state, d, loadTaskFile(state, file, { ...where, inherited: inh }, vpos, true), isImport)
      else nodes = loadTaskFile(state, file, { ...where, inherited: isImport ? inh : { ...inh, when: [] } }, vpos)
    }
  }
  const lacking = state.deferred.splice(deferredBefore)
  if (lenient) state.lenient--
  if (isImport) {
    // An imported role's handlers belong to the play, like those of a role listed in roles:.
    if (handlers) state.roleHandlers.push(...handlers)
    return nodes ?? []
  }
  const inc: Node = {
    kind: 'include',
    what: isRole ? 'role' : 'tasks',
    index: state.nextIndex(),
    name: str(d.name),
    title: str(d.name) ?? `${kind} ${target}`,
    pos,
    target,
    tasksFrom: str(spec.tasks_from),
    nodes,
    handlers,
    ...(lacking.length && !dynamic ? { lacking } : {}),
    loop: loopOf(state, d),
    loopControl: loopControl(state, d),
    params,
    baseDir: where.baseDir,
    ...inh,
  }
  return [inc]
}
