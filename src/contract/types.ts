// The contract between the stages: a probe reads state (a script and a pure parser); a change is
// what a plan returns (a summary, steps, a diff); a step is what the connection runs. Modules make
// these, the engine and the connection consume them. Only types: it imports nothing but Script.
import type { Script } from '../shell/index.js'

/** What a probe's script printed. stderr is discarded: probes speak on stdout. */
export interface ProbeOutput {
  stdout: string
  code: number
}

/**
 * A read of current state: a POSIX sh snippet and a pure parser. Probes with the same id are run
 * once per batch, so the id must capture everything the script depends on.
 */
export interface Probe<T = unknown> {
  id: string
  /** Built with sh/code/argv/joinScripts: a string concatenated by hand does not compile. */
  script: Script
  parse(out: ProbeOutput): T
  /**
   * A path this probe stats (and, with sha1, checksums; `reads`: it reads the file's content at
   * all): a batch stats all such paths with one `stat` (and one `sha1sum`) ahead of its probes,
   * which take their line from it when it succeeded and run their own otherwise (shared-stat.ts).
   * `attrs`: it prints the path's `lsattr -d` line, which the batch reads ahead the same way.
   */
  sharedStat?: { path: string; sha1: boolean; reads: boolean; attrs?: boolean }
  /**
   * The script changes nothing in its shell but these variables (no exit, cd, function, option,
   * trap, IFS or positional parameter): a batch runs it in its own shell, which saves a fork per
   * probe, and unsets them after it. Without it, a probe runs in a subshell.
   */
  inline?: { sets: readonly string[] }
}

/** Parsed probe results by probe id (what one batch returns). */
export type ProbeState = Readonly<Record<string, unknown>>

/**
 * The probes a module asks for, by name: one probe, a list of them (one per path of a tree), or
 * none (a probe only some arguments need). The engine runs them all in one batch.
 */
export type Probes = { readonly [name: string]: Probe | readonly Probe[] | undefined }

/** What a probe (or a list of them) parses to. */
export type Parsed<X> = X extends readonly Probe<infer T>[] ? T[] : X extends Probe<infer T> ? T : undefined

/** The state a plan reads: each named probe's parsed result under the same name. */
export type StateOf<Q> = { readonly [K in keyof Q]: Parsed<Q[K]> }

/** Runs a shell script on the host. */
export interface ExecStep {
  kind: 'exec'
  /** Built with sh/code/argv/joinScripts: a string concatenated by hand does not compile. */
  script: Script
  /** A name for the step, for the module's own result() to find it (never matched on script text). */
  label?: string
  stdin?: string | Buffer
  env?: Record<string, string>
  cwd?: string
  /** Exit codes that mean success (default [0]). */
  okCodes?: number[]
  /** The script or its input holds a secret: never show it. */
  secret?: boolean
  timeoutMs?: number
}

/**
 * Writes a file atomically: a temp file in the destination's directory, owner and mode set on it,
 * optional validation (`%s` = the temp file), optional backup, then rename.
 */
export interface PutStep {
  kind: 'put'
  path: string
  content: string | Buffer
  /** Take the content from this path on the host instead (copy's remote_src); `content` is ignored. */
  from?: string
  mode?: string
  owner?: string
  group?: string
  validate?: string
  backup?: boolean
  secret?: boolean
}

export type Step = ExecStep | PutStep

export interface FileDiff {
  path?: string
  before: string
  after: string
}

export interface Change {
  /** One line: "install nginx", "write /etc/redis/redis.conf". */
  summary: string
  steps: Step[]
  diff?: FileDiff
  /** The module cannot know in advance whether this changes anything (a command without `creates`). */
  uncertain?: boolean
  /**
   * What check mode runs instead of nothing: steps that leave the host as it was and tell what the
   * real ones would do (postgres_query's SQL in a transaction that is rolled back, as Ansible's
   * check mode runs it). The module's changedBy reads their outputs.
   */
  checkSteps?: Step[]
  /**
   * Housekeeping that a real run does but that is not a change of the host's state, as Ansible
   * counts it (systemd's daemon-reload): its steps run (not in check mode), the task is not
   * "changed" by it and the report does not list it.
   */
  quiet?: boolean
  /**
   * What the change needs that is not there yet (a package, a user, a directory that an earlier
   * task would make). A real run fails with `msg` (and `data`) before running any step; check mode
   * reports the change as "may change". Modules never look at the run mode themselves.
   */
  needs?: { msg: string; data?: Record<string, unknown> }
  /**
   * Values the change's diff may show that are secrets, though no argument is marked no_log (a
   * password in a program's environment, the new one and the one on the host): the run adds them
   * to its secrets, which every reporter masks, as it does a vault value.
   */
  secrets?: readonly string[]
}

export interface StepOutput {
  step: Step
  code: number
  stdout: string
  stderr: string
}

/**
 * Ansible's marker on a debug result: the value is printed at every verbosity. Reporters read it;
 * `register` leaves it out, as Ansible does.
 */
export const VERBOSE_ALWAYS = '_ansible_verbose_always'
