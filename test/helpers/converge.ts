// The e2e protocol every converging playbook goes through (molecule's converge → idempotence):
// a --check --diff run that changes nothing on the host, a real run that changes exactly the
// tasks check mode predicted, and a second run that changes nothing.
import { expect } from 'chai'
import { snapshot, snapshotDiff, type HostSnapshot } from './host-shell.js'
import type { PlayOptions, PlayOutcome } from './run-playbook.js'

export interface ConvergeOptions {
  /** Drops what changes on its own (service data, worker processes) from a snapshot. */
  steady?: (s: HostSnapshot) => HostSnapshot
  /** State outside the snapshot that check mode must leave alone too (e.g. a server's catalogs). */
  extraState?: { what: string; read: () => Promise<string> }
  /** Values that no run may show. */
  secrets?: string[]
}

export interface Converged {
  check: PlayOutcome
  real: PlayOutcome
  again: PlayOutcome
}

/**
 * check (nothing changes) → real (what check predicted) → again (nothing to do).
 * `run` plays the playbook on `host` with the options given (check, diff).
 */
export async function converge(inventory: string, host: string, run: (o: PlayOptions) => Promise<PlayOutcome>, o: ConvergeOptions = {}): Promise<Converged> {
  const steady = o.steady ?? ((s: HostSnapshot) => s)
  const before = steady(await snapshot(inventory, host))
  const extraBefore = await o.extraState?.read()
  const check = await run({ check: true, diff: true })
  expect(check.exitCode, check.text).to.equal(0)
  expect(snapshotDiff(before, steady(await snapshot(inventory, host))), `check mode changed ${host}`).to.deep.equal([])
  if (o.extraState) expect(await o.extraState.read(), `check mode changed ${o.extraState.what}`).to.equal(extraBefore)
  const real = await run({ diff: true })
  expect(real.exitCode, real.text).to.equal(0)
  expect(real.changedTasks(), real.text).to.deep.equal(check.changedTasks())
  const again = await run({ diff: true })
  expect(again.exitCode, again.text).to.equal(0)
  expect(again.totalChanged(), again.text).to.equal(0)
  for (const r of [check, real, again]) for (const s of o.secrets ?? []) expect(r.text).to.not.include(s)
  return { check, real, again }
}
