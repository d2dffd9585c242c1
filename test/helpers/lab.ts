// The one lab the test suite shares (real hosts: netns + overlay + sshd). Brought up once per
// mocha run, idempotently; kept up afterwards (CI machines are thrown away, a developer's lab is
// reused). RMP_TEST_LAB names another lab, so that parallel work does not share hosts.
import { join } from 'node:path'
import { labReset, labUp, STATE_ROOT, type LabInfo } from '../../src/lab/index.js'
import { closeHostConnections } from './host-shell.js'

export interface TestLab extends LabInfo {
  /** The inventory file of this lab (Ansible YAML: group `runmaster` holds all hosts). */
  inventory: string
  /** Host names, in order. */
  names: string[]
}

let current: Promise<TestLab> | undefined
let size = 0

export function testLabName(): string {
  return process.env.RMP_TEST_LAB ?? 'rmtest'
}

/** The shared test lab with at least `hosts` hosts. */
export function testLab(hosts = 4): Promise<TestLab> {
  if (current && hosts <= size) return current
  size = Math.max(size, hosts)
  const name = testLabName()
  const inventory = join(STATE_ROOT, name, 'hosts.yml')
  current = labUp({ name, hosts: size, inventoryPath: inventory, say: process.env.RMP_TEST_VERBOSE ? (m) => console.log(`    [lab] ${m}`) : undefined }).then((info) => ({ ...info, inventory, names: info.hosts.map((h) => h.name) }))
  return current
}

/** Fresh roots for hosts whose state would leak into the next group of tests. */
export async function resetHosts(lab: TestLab, names: string[]): Promise<void> {
  await closeHostConnections()
  await labReset(names, { name: lab.name })
}
