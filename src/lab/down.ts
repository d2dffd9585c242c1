// `lab down`: stops and removes everything a lab created, by pid and by name from its state, then
// sweeps for anything of the lab that the state missed (a run killed halfway) and checks that
// nothing is left. The base image and the apt cache stay.
import { rmSync } from 'node:fs'
import { stopAcme } from './acme.js'
import { releaseAptProxy } from './apt-proxy.js'
import { labError } from './errors.js'
import { removeHosts } from './host.js'
import { removeInventory } from './inventory.js'
import { describeLeftovers, findLeftovers, labLinkNames, labNetnsNames, labProcessPattern } from './leftovers.js'
import { withLabLock } from './lock.js'
import { DEFAULT_LAB, labDir, labNameProblem } from './paths.js'
import { checkPlatform } from './preflight.js'
import { killAndWait, pidsMentioning, pidsRootedUnder, procRef, type ProcRef } from './proc.js'
import { readState } from './state.js'
import { run } from './exec.js'
import { killHostCgroups, labCgroupHosts } from './systemd-host.js'

export interface LabDownOptions {
  name?: string
  say?: (msg: string) => void
}

/** Returns false when there was no such lab (nothing to do). */
export async function labDown(opts: LabDownOptions = {}): Promise<boolean> {
  const say = opts.say ?? (() => undefined)
  const name = opts.name ?? DEFAULT_LAB
  const bad = labNameProblem(name)
  if (bad) throw labError(bad)
  checkPlatform()
  return withLabLock(say, async () => {
    const state = readState(name)
    const before = findLeftovers(name)
    if (!state && describeLeftovers(before).length === 0) return false
    if (state) {
      await removeHosts(name, state.hosts)
      if (state.gitDaemon) await killAndWait([state.gitDaemon])
      if (state.pipIndex) await killAndWait([state.pipIndex.process])
      await stopAcme(state.acme)
      for (const inv of state.inventories) if (removeInventory(inv, name)) say(`removed ${inv}`)
    }
    await releaseAptProxy(name, say)
    await sweep(name)
    rmSync(labDir(name), { recursive: true, force: true })
    const left = describeLeftovers(findLeftovers(name))
    if (left.length) throw labError(`lab '${name}' is down but these are left: ${left.join(', ')}`, 'remove them by hand, or run lab down again')
    return true
  })
}

/** Whatever the state does not know of: hosts created halfway by a killed run. */
async function sweep(name: string): Promise<void> {
  const pids = (ps: number[]) => ps.map(procRef).filter((r): r is ProcRef => !!r)
  await killHostCgroups(name, labCgroupHosts(name))
  await killAndWait(pids([...pidsRootedUnder(labDir(name)), ...pidsMentioning(labProcessPattern(name))]))
  for (const ns of labNetnsNames(name)) {
    const inside = (await run(['ip', 'netns', 'pids', ns], { check: false })).stdout.split(/\s+/).filter(Boolean).map(Number)
    await killAndWait(pids(inside))
    await run(['ip', 'netns', 'del', ns], { check: false })
  }
  for (const link of labLinkNames(name)) await run(['ip', 'link', 'del', link], { check: false })
}
