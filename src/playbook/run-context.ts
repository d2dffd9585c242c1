// One run's state that used to live at module level: the vault password, the secret values every
// reporter masks, the group_vars/host_vars read so far, and the counters tests read. The CLI makes
// one per invocation and `runPlaybook` runs inside it, so two runs in one process (tests, a future
// server) share none of it. The run is passed explicitly where the engine holds it; the leaves
// that load and evaluate (the YAML `!vault` tag, vars files, the taint frames of an expression)
// are reached through a few layers that do not know about runs, so they read the current run from
// AsyncLocalStorage, which follows the run's awaits and callbacks and nothing else (a run alone in the process is a
// module variable instead: see `solo`).
import { AsyncLocalStorage } from 'node:async_hooks'

export const DEFAULT_PASSWORD_HINT = 'give the vault password with --vault-password-file FILE (or ANSIBLE_VAULT_PASSWORD_FILE)'

export interface RunCounters {
  /** PBKDF2 runs: tests use it to prove a file is decrypted once. */
  keyDerivations: number
  /** vars files read: a play reads a fixed vars_file once. */
  varsFileReads: number
  /** template files read: one read per file version. */
  templateReads: number
  /** task arguments read-ahead rendered and the task's turn used as they were (engine/arg-cache.ts). */
  argsReused: number
}

export class RunContext {
  vaultPassword: string | undefined
  /** --vault-id: more passwords, each with its label; a file's 1.2 header label picks its own first. */
  vaultIds: { label: string; password: string }[] = []
  passwordHint = DEFAULT_PASSWORD_HINT
  /** Values that came from the vault, or were computed from one: the reporter masks these. Only grows. */
  readonly secrets = new Set<string>()
  /** group_vars / host_vars by directory and name: read once per run (a later run reads the files again). */
  readonly varsDirs = new Map<string, Record<string, unknown> | undefined>()
  /** Whether an object holds one of this run's secrets, by object, at a size of `secrets`. */
  readonly taintVerdicts = new WeakMap<object, { size: number; holds: boolean }>()
  /** Source files by path, split in lines, for the line an error quotes. */
  readonly sourceLines = new Map<string, string[]>()
  readonly counters: RunCounters = { keyDerivations: 0, varsFileReads: 0, templateReads: 0, argsReused: 0 }

  constructor(o: { vaultPassword?: string } = {}) {
    this.vaultPassword = o.vaultPassword
  }
}

const store = new AsyncLocalStorage<RunContext>()

// The run that started while no other was running (the CLI's only run) is found without the store:
// AsyncLocalStorage's promise hooks cost every promise of the run (~6% of the controller's CPU time
// at 50 hosts). A run that starts while another is running, or inside one, goes in the store, which
// is asked first; so each run still sees only itself.
let solo: RunContext | undefined

// Code called outside any run (a unit test that loads or evaluates on its own) gets this one; the
// CLI and runPlaybook never do.
const outsideAnyRun = new RunContext()

/** The run this code is part of. */
export function currentRun(): RunContext {
  return store.getStore() ?? solo ?? outsideAnyRun
}

/** Runs `fn` (and everything it awaits) as part of `run`. */
export function withRun<T>(run: RunContext, fn: () => T): T {
  if (store.getStore() !== undefined || (solo !== undefined && solo !== run)) return store.run(run, fn)
  if (solo === run) return fn()
  solo = run
  const done = () => {
    if (solo === run) solo = undefined
  }
  let r: T
  try {
    r = fn()
  } catch (e) {
    done()
    throw e
  }
  if (r instanceof Promise) return r.finally(done) as T
  done()
  return r
}
