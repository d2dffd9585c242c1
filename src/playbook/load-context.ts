// What the loader carries while it walks files: where it is, what the enclosing blocks and roles
// pass down, and the errors found so far (loading reports all of them at once).
import { RmError, RmErrors, type SourcePos } from './errors.js'
import type { Inherited, RoleInstance, Task } from './model.js'

export interface LoadOptions {
  /** Extra directories searched for roles, after the playbook's. */
  rolesPath: string[]
}

export class LoadState {
  readonly errors: RmError[] = []
  /** What a conditional or templated include lacks: said now, an error only on a host that runs it. */
  readonly warnings: RmError[] = []
  /** Problems found while loading a file reached only through such an include (its include fails when it runs). */
  readonly deferred: RmError[] = []
  /** > 0 while loading a file reached only through a conditional or templated include_tasks/include_role. */
  lenient = 0
  private n = 0
  /** Handlers of roles loaded so far, in the order met. */
  readonly roleHandlers: Task[] = []
  /** Roles already expanded in this play (name + params), for Ansible's run-once-per-play rule. */
  readonly seenRoles = new Set<string>()
  readonly rolesInPlay: RoleInstance[] = []
  /** The roles the play lists under roles: and those it imports, by name (Ansible's play.roles). */
  readonly listedRoles: string[] = []
  readonly importedRoles: string[] = []

  constructor(
    readonly playbookDir: string,
    readonly options: LoadOptions,
    /** Where indices come from when loading at run time (they must not repeat the play's). */
    private readonly indices?: () => number,
  ) {}

  nextIndex(): number {
    return this.indices ? this.indices() : ++this.n
  }

  error(message: string, pos: SourcePos | undefined, hint?: string): void {
    this.errors.push(new RmError(message, pos, hint))
  }

  /**
   * A module or argument rm-play lacks: an error where the task is statically reachable; a warning
   * (and a failure of the include on a host that runs it, as in Ansible) behind a conditional include.
   */
  lacking(message: string, pos: SourcePos | undefined, hint?: string): void {
    if (this.lenient === 0) return this.error(message, pos, hint)
    const e = new RmError(message, pos, hint)
    this.warnings.push(e)
    this.deferred.push(e)
  }

  /** Runs `fn`, collecting its errors instead of stopping. */
  collect<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (e) {
      if (e instanceof RmErrors) this.errors.push(...e.errors)
      else if (e instanceof RmError) this.errors.push(e)
      else throw e
      return undefined
    }
  }
}

/** Where the loader is: the file, the directory relative names resolve from, the inherited keywords. */
export interface Where {
  file: string
  baseDir: string
  inherited: Inherited
}

export function emptyInherited(): Inherited {
  return { when: [], tags: [], environment: [], vars: [] }
}

/** Merges what a block, role or import passes down with what it inherits. */
export function inherit(outer: Inherited, inner: Partial<Inherited>): Inherited {
  return {
    when: [...outer.when, ...(inner.when ?? [])],
    tags: [...new Set([...outer.tags, ...(inner.tags ?? [])])],
    become: inner.become ?? outer.become,
    becomeUser: inner.becomeUser ?? outer.becomeUser,
    becomeMethod: inner.becomeMethod ?? outer.becomeMethod,
    environment: [...outer.environment, ...(inner.environment ?? [])],
    ignoreErrors: inner.ignoreErrors ?? outer.ignoreErrors,
    ignoreUnreachable: inner.ignoreUnreachable ?? outer.ignoreUnreachable,
    checkMode: inner.checkMode ?? outer.checkMode,
    diff: inner.diff ?? outer.diff,
    noLog: inner.noLog ?? outer.noLog,
    delegateTo: inner.delegateTo ?? outer.delegateTo,
    runOnce: inner.runOnce ?? outer.runOnce,
    anyErrorsFatal: inner.anyErrorsFatal ?? outer.anyErrorsFatal,
    remoteUser: inner.remoteUser ?? outer.remoteUser,
    connection: inner.connection ?? outer.connection,
    vars: [...outer.vars, ...(inner.vars ?? [])],
    role: inner.role ?? outer.role,
  }
}
