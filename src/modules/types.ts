// The module contract: a module describes; the engine executes. Facts in (probes), changes out
// (plan). Check mode and apply share the same plan: --check reports the changes, apply runs their
// steps. Modules import neither connection/ nor report/.
import type { Change, Probes, StateOf, StepOutput } from '../contract/types.js'
import type { ArgsOf, Schema } from './schema.js'

export { VERBOSE_ALWAYS } from '../contract/types.js'
export type { Change, ExecStep, FileDiff, Parsed, Probe, ProbeOutput, ProbeState, Probes, PutStep, StateOf, Step, StepOutput } from '../contract/types.js'

/** A template task as written: src, dest and the Jinja whitespace options (a `#jinja2:` line overrides them). */
export interface TemplateTask {
  src: string
  dest?: string
  trimBlocks?: boolean
  lstripBlocks?: boolean
}

/** Controller-side services for prepare(): nothing here touches a host. */
export interface PrepareContext {
  /** Finds a file in the role's templates/ or files/ (then the playbook's), or throws. */
  findFile(kind: 'templates' | 'files', name: string): string
  /**
   * Renders a template file with the task's variables (.j2: Jinja2; others: EJS); `task` is src and
   * dest as written (template_path, template_destpath) and the module's Jinja whitespace options.
   */
  renderTemplate(path: string, task?: TemplateTask): string
  /** Where the task is written: its file, and its role's directory (include_vars' dir is found from them). */
  origin?: { file: string; rolePath?: string }
  readFile(path: string): Buffer
  /** Evaluates an expression in the task's scope (for modules whose arguments are conditions). */
  evaluate(expr: string): unknown
  /** Whether the task's expressions read a result that check mode cannot know (a command's that would run). */
  readUnknown(): boolean
  /** Whether an error of evaluate() is an undefined variable (not a syntax or type error). */
  isUndefined(e: unknown): boolean
  /** Evaluates a condition as `when` does. */
  condition(expr: unknown): boolean
  vars: Readonly<Record<string, unknown>>
}

/** What a module sees when planning: the host's facts and whether diffs are shown. */
export interface PlanContext {
  host: string
  facts: Readonly<Record<string, unknown>>
  diff: boolean
}

/** What probes see: also the run mode, for the one read that waits (wait_for only looks in check mode). */
export interface ProbeContext extends PlanContext {
  check: boolean
}

/** What a result is worded from: also the run mode (Ansible's command says "Would not run" in check mode). */
export type ResultContext = ProbeContext

/**
 * A module that changes (or reads) a host. `probes` names what it reads (`{ group: groupProbe(name) }`);
 * plan and result get the parsed results under the same names, typed (`state.group: GroupEntry | null`).
 */
export interface HostModule<A = Record<string, unknown>, P = A, Q extends Probes = Probes> {
  kind: 'host'
  name: string
  /** User documentation: the first line is the summary; shown by `rm-play doc`. */
  doc: string
  args: Schema
  /** Values the module returns besides changed/failed (documented in `rm-play doc`). */
  returns?: Record<string, string>
  /** Cross-argument checks beyond the schema; run at load time on literal arguments. */
  validate?(a: A): string[]
  /** Controller-side files the arguments name (a template's src): checked to exist at load time. */
  localFiles?(a: A): { kind: 'templates' | 'files'; name: string; arg: string }[]
  /** Turns arguments into what the plan needs, on the controller (render templates, read files). */
  prepare?(a: A, ctx: PrepareContext): P | Promise<P>
  probes(p: P, ctx: ProbeContext): Q
  plan(p: P, state: StateOf<Q>, ctx: PlanContext): Change[]
  /**
   * A reason, read from the state, why the task is skipped rather than planned (unarchive whose
   * `creates` exists: Ansible's action reports it skipped, with this as msg).
   */
  skip?(p: P, state: StateOf<Q>): string | undefined
  /** What `register` holds, from the state and the outputs of the steps that ran. */
  result?(p: P, state: StateOf<Q>, outputs: StepOutput[], ctx: ResultContext): Record<string, unknown>
  /**
   * The module knows whether it changed anything only once its steps ran (postgres_query reads the
   * status of its statements, as Ansible does): `changed` from their outputs (in check mode, those
   * of the changes' checkSteps). Undefined: cannot tell (a check run that could not reach the
   * server an earlier task would set up), the change stays "would run".
   */
  changedBy?(p: P, outputs: StepOutput[]): boolean | undefined
  /** The module only reads (stat, a GET request): its steps run in check mode too. */
  readOnly?: boolean | ((p: P) => boolean)
  /**
   * Its probes and plan read the host's facts (package: ansible_pkg_mgr): when the play gathered
   * none, they are gathered for this task only, as Ansible's package action runs setup.
   */
  facts?: boolean
  /** false: Ansible's module does not support check mode, so the task is skipped in check mode (tempfile). */
  checkMode?: false
}

/**
 * A host module whose argument type comes from its schema and whose state type comes from its
 * probes: `hostModule({ args: { options: {...} }, probes: (a) => ({ group: groupProbe(a.name) }), plan: (a, { group }) => ... })`.
 */
export function hostModule<const S extends Schema, Q extends Probes, P = ArgsOf<S>>(
  m: HostModule<ArgsOf<S>, P, Q> & { args: S },
): HostModule<ArgsOf<S>, P, Q> & { args: S } {
  return m
}

/** What a controller-side action produced. */
export interface ActionResult {
  changed?: boolean
  failed?: boolean
  skipped?: boolean
  msg?: string
  /** Variables to set on the host (set_fact). */
  facts?: Record<string, unknown>
  /** Variables from a controller file (include_vars): templated when read, as vars files are. */
  includedVars?: Record<string, unknown>
  /** meta: flush_handlers, end_play, end_host, ... */
  meta?: 'flush_handlers' | 'end_play' | 'end_host' | 'clear_host_errors' | 'refresh_inventory' | 'noop' | 'reset_connection' | 'end_batch' | 'clear_facts'
  data?: Record<string, unknown>
}

/** A module that runs on the controller only (debug, set_fact, assert, fail, meta). */
export interface ActionModule<A = Record<string, unknown>> {
  kind: 'action'
  name: string
  doc: string
  args: Schema
  returns?: Record<string, string>
  validate?(a: A): string[]
  /** Names of arguments that hold expressions, not templated values (assert's `that`). */
  rawArgs?: readonly string[]
  /** `verbosity`: the run's -v count (debug's `verbosity:` is compared with it). */
  act(a: A, ctx: PrepareContext & PlanContext & { verbosity: number }): ActionResult | Promise<ActionResult>
}

export type Module = HostModule<unknown, unknown> | ActionModule<unknown>

/** Thrown by a module's prepare, plan or result: the task fails with this message (no stack). */
export class ModuleFailure extends Error {
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ModuleFailure'
  }
}

/**
 * These changes need what is not there yet (see Change.needs): a real run fails with `msg`, check
 * mode reports them as "may change". With no change to report, a quiet one carries the need.
 */
export function needing(msg: string, changes: Change[], data?: Record<string, unknown>): Change[] {
  const needs = { msg, ...(data ? { data } : {}) }
  return changes.length ? changes.map((c) => ({ ...c, needs })) : [{ summary: msg, steps: [], quiet: true, needs }]
}
