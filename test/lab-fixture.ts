// The lab that e2e tests share: one lab ('rmtest') for the whole mocha run, brought up on first use
// and left up afterwards (CI machines are thrown away; a developer's is reused, warm). Its
// inventory is its own file in the lab's state directory, not the project's inventory/lab/.
import { join } from 'node:path'
import { labReset, labUp, STATE_ROOT } from '../src/lab/index.js'

export interface LabHost {
  name: string
  address: string
}

export interface TestLab {
  name: string
  hosts: LabHost[]
  inventoryPath: string
  keyPath: string
  knownHostsPath: string
  bridgeAddress: string
}

export const TEST_LAB = 'rmtest'

let pending: Promise<TestLab> | undefined
let size = 0

/** The shared test lab with at least `hosts` hosts (one `lab up` per mocha run, more if asked). */
export function ensureTestLab(hosts = 4): Promise<TestLab> {
  if (pending && hosts <= size) return pending
  size = Math.max(size, hosts)
  const inventoryPath = join(STATE_ROOT, TEST_LAB, 'inventory.yml')
  const say = process.env.RMP_LAB_VERBOSE ? (m: string) => console.log(`    [lab] ${m}`) : undefined
  pending = labUp({ name: TEST_LAB, hosts: size, inventoryPath, say }).then((info) => ({
    name: info.name,
    hosts: info.hosts,
    inventoryPath,
    keyPath: info.keyPath,
    knownHostsPath: info.knownHostsPath,
    bridgeAddress: info.bridgeAddress,
  }))
  // A failed start must not stick: the next caller tries again.
  pending.catch(() => {
    pending = undefined
    size = 0
  })
  return pending
}

/** Fresh roots (and network namespaces) for hosts whose state would leak between test groups. */
export async function resetHosts(lab: TestLab, names: string[]): Promise<void> {
  await labReset(names, { name: lab.name })
}
