// Runs a playbook with the real engine and collects what happened: every event, the stats, the
// exit code, and the plain text a person would have read. Used by unit tests (local connection)
// and e2e tests (lab hosts over SSH).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { HostResultEvent, HostStats, RunEvent } from '../../src/engine/events.js'
import { runPlaybook } from '../../src/engine/run.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import { currentRun, RunContext, withRun } from '../../src/playbook/run-context.js'
import { noColours } from '../../src/report/paint.js'
import { PrettyReporter } from '../../src/report/pretty.js'

export interface PlayOptions {
  /** Inventory sources (files, dirs, or "a,b,"); default: implicit localhost only. */
  inventory?: string[]
  limit?: string
  check?: boolean
  diff?: boolean
  extraVars?: Record<string, unknown>
  tags?: string[]
  skipTags?: string[]
  forks?: number
  startAtTask?: string
  /** Extra files beside the playbook: roles/x/tasks/main.yml, templates/a.ejs, ... */
  files?: Record<string, string>
  verbosity?: number
}

export interface PlayOutcome {
  events: RunEvent[]
  stats: Record<string, HostStats>
  exitCode: number
  text: string
  dir: string
  /** Host results, optionally of one task (by its shown title) and/or one host. */
  results(task?: string, host?: string): HostResultEvent[]
  /** changed= of a host's recap line. */
  changed(host: string): number
  /** Sum over hosts of changed= (0 means the run changed nothing anywhere). */
  totalChanged(): number
  /** Titles of the results that changed (or would change, in check mode), in order. */
  changedTasks(): string[]
  /** The run's own context (counters, secrets): each play() is a run of its own. */
  run: RunContext
}

/** Writes a playbook (YAML text) and its files into a fresh temp dir and runs it. */
export async function play(yaml: string, o: PlayOptions = {}): Promise<PlayOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-test-'))
  writeFileSync(join(dir, 'site.yml'), yaml)
  for (const [p, content] of Object.entries(o.files ?? {})) {
    mkdirSync(dirname(join(dir, p)), { recursive: true })
    writeFileSync(join(dir, p), content)
  }
  return playFile(join(dir, 'site.yml'), o, dir)
}

/** A run of its own (as one CLI invocation), with the vault password the test set, if any. */
export function playFile(file: string, o: PlayOptions = {}, dir = dirname(file)): Promise<PlayOutcome> {
  const run = new RunContext({ vaultPassword: currentRun().vaultPassword })
  return withRun(run, () => playFileIn(run, file, o, dir))
}

async function playFileIn(run: RunContext, file: string, o: PlayOptions, dir: string): Promise<PlayOutcome> {
  const events: RunEvent[] = []
  let text = ''
  const reporter = new PrettyReporter({ paint: noColours, write: (s) => (text += s), verbosity: o.verbosity ?? 0, timings: false, live: false })
  const pb = loadPlaybook(file, { rolesPath: [] })
  const r = await runPlaybook(
    pb,
    {
      check: o.check ?? false,
      diff: o.diff ?? false,
      forks: o.forks ?? 50,
      tags: o.tags ?? [],
      skipTags: o.skipTags ?? [],
      limit: o.limit,
      extraVars: o.extraVars ?? {},
      verbosity: o.verbosity ?? 0,
      startAtTask: o.startAtTask,
      hostKeyChecking: 'yes',
      connectTimeoutMs: 10000,
      inventory: loadInventory(o.inventory ?? []),
      emit: (e) => {
        events.push(e)
        reporter.handle(e)
      },
    },
    run,
  )
  const results = (task?: string, host?: string) =>
    events.filter((e): e is HostResultEvent => e.type === 'host-result' && (task === undefined || e.task === task) && (host === undefined || e.host === host))
  return {
    events,
    stats: r.stats,
    exitCode: r.exitCode,
    text,
    dir,
    run,
    results,
    changed: (h) => r.stats[h]?.changed ?? NaN,
    totalChanged: () => Object.values(r.stats).reduce((a, s) => a + s.changed, 0),
    changedTasks: () =>
      results()
        .filter((e) => e.status === 'changed')
        .map((e) => e.task),
  }
}
