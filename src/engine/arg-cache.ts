// A task's arguments and keywords as read-ahead rendered them for a host (to learn its probes),
// kept for the task's own turn: rendered once per host, not twice. Reused only when the render
// cannot come out different:
//   - nothing ran on any host since (the same read-ahead generation: no step, impure action or
//     retry), so a template that reads the clock or a controller file renders where it did;
//   - every variable the render read (looked up, or asked for with `has`) is the very same value in
//     the task's own scope (===): a register or set_fact in between, another loop item, a templated
//     variable rendered again into a new object, a fresh hostvars view — each one misses;
//   - the task is the same: its arguments object and every keyword the render reads.
// Anything else renders again, as before. The task's turn takes its entry out.
import { getModule } from '../modules/index.js'
import { secretOptions } from '../modules/schema.js'
import type { Task } from '../playbook/model.js'
import { currentRun } from '../playbook/run-context.js'
import { HAS_KEY, type VarScope } from '../playbook/vars.js'
import type { ResolvedTask } from './resolved-task.js'

export interface RenderedTask {
  args: Record<string, unknown>
  resolved: ResolvedTask
}

interface Entry extends RenderedTask {
  gen: number
  keywords: unknown[]
  reads: ReadonlyMap<string, unknown>
}

/** The keywords a task's render reads besides its arguments and variables (resolved-task.ts). */
const keywordsOf = (t: Task): unknown[] => [
  t.module,
  t.checkMode,
  t.diff,
  t.delegateTo,
  t.remoteUser,
  t.connection,
  t.become,
  t.becomeUser,
  t.becomeMethod,
  t.environment,
  t.noLog,
  t.role,
]

function sameReads(scope: VarScope, reads: ReadonlyMap<string, unknown>): boolean {
  try {
    for (const [k, v] of reads) {
      const now = k.startsWith('\0') ? scope.has(k.slice(HAS_KEY('').length)) : scope.lookup(k)
      if (!Object.is(now, v)) return false
    }
    return true
  } catch {
    return false
  }
}

export class ArgCache {
  private readonly byTask = new WeakMap<object, Map<string, Entry>>()

  /** Keeps what a render of `task` for `host` gave; `reads` is the render scope's recordReads(). */
  keep(gen: number, task: Task, host: string, reads: ReadonlyMap<string, unknown>, r: RenderedTask): void {
    let byHost = this.byTask.get(task.args)
    if (!byHost) this.byTask.set(task.args, (byHost = new Map()))
    byHost.set(host, { ...r, gen, keywords: keywordsOf(task), reads: new Map(reads) })
  }

  /**
   * The kept render of `task` for `host`, if it still holds in `scope` (see the top of the file);
   * `take`: the task's own turn, which uses it up.
   */
  find(gen: number, task: Task, host: string, scope: VarScope, take: boolean): RenderedTask | undefined {
    const byHost = this.byTask.get(task.args)
    const e = byHost?.get(host)
    if (!e) return undefined
    if (take) byHost!.delete(host)
    const kw = keywordsOf(task)
    if (e.gen !== gen || kw.some((k, i) => k !== e.keywords[i]) || !sameReads(scope, e.reads)) return undefined
    if (take) currentRun().counters.argsReused++
    return { args: e.args, resolved: e.resolved }
  }
}

// Which arguments of a module are secret, by its schema: pure, found once (it was asked per task and host).
const secretKeys = new WeakMap<object, readonly string[]>()

/** Secret arguments join the run's secrets, whether the arguments were rendered now or kept. */
export function noteSecretArgs(secrets: Set<string>, task: Task, args: Record<string, unknown>): void {
  const schema = getModule(task.module)!.args
  let keys = secretKeys.get(schema)
  if (!keys) secretKeys.set(schema, (keys = secretOptions(schema)))
  for (const k of keys) if (args[k] !== undefined && String(args[k]).length >= 3) secrets.add(String(args[k]))
}
