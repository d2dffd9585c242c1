// The labs the test suite shares (real hosts: netns + overlay + sshd). Brought up once per mocha
// run, idempotently; kept up afterwards (CI machines are thrown away, a developer's lab is reused).
// RMP_TEST_LAB names another lab, so that parallel work does not share hosts.
//
// The shared lab runs sysv hosts (sshd as pid 1): ~1.4 MB per host against ~22 MB for a systemd
// host, and the suite's tests do not depend on the init system. A test that needs systemd (the
// service and systemd modules, what servers run) asks for it: testLab(n, { init: 'systemd' }) is
// a second lab of its own, named after the first (RMP_TEST_LAB_SYSTEMD names it explicitly).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { labReset, labUp, STATE_ROOT, type InitKind, type LabInfo } from '../../src/lab/index.js'
import { hostPaths } from '../../src/lab/paths.js'
import { closeHostConnections } from './host-shell.js'

export interface TestLab extends LabInfo {
  /** The inventory file of this lab (Ansible YAML: group `runmaster` holds all hosts). */
  inventory: string
  /** Host names, in order. */
  names: string[]
}

export interface TestLabOptions {
  /** sysv (default: the shared lab) or systemd (a lab of its own). */
  init?: InitKind
}

const labs = new Map<string, { current: Promise<TestLab>; size: number }>()

export function testLabName(init: InitKind = 'sysv'): string {
  const base = process.env.RMP_TEST_LAB ?? 'rmtest'
  if (init === 'sysv') return base
  if (process.env.RMP_TEST_LAB_SYSTEMD) return process.env.RMP_TEST_LAB_SYSTEMD
  // Lab names have at most 7 characters and end in a letter.
  const derived = `${base.slice(0, 6)}s`
  return derived === base ? `${base.slice(0, 6)}z` : derived
}

/** The shared test lab (or the systemd one) with at least `hosts` hosts. */
export function testLab(hosts = 4, opts: TestLabOptions = {}): Promise<TestLab> {
  const init = opts.init ?? 'sysv'
  const name = testLabName(init)
  const known = labs.get(name)
  if (known && hosts <= known.size) return known.current
  const size = Math.max(known?.size ?? 0, hosts)
  const inventory = join(STATE_ROOT, name, 'hosts.yml')
  const say = process.env.RMP_TEST_VERBOSE ? (m: string) => console.log(`    [lab] ${m}`) : undefined
  const current = labUp({ name, hosts: size, init, inventoryPath: inventory, say }).then((info) => ({
    ...info,
    inventory,
    names: info.hosts.map((h) => h.name),
  }))
  labs.set(name, { current, size })
  return current
}

/** Fresh roots for hosts whose state would leak into the next group of tests. */
export async function resetHosts(lab: TestLab, names: string[]): Promise<void> {
  await closeHostConnections()
  await labReset(names, { name: lab.name })
}

/** Logins sshd has accepted on `host` so far: it logs one "Accepted publickey" per login, into the lab's log on this machine. */
export function sshLogins(lab: TestLab, host: string): number {
  return readFileSync(hostPaths(lab.name, host).log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Accepted publickey')).length
}

/** The lab inventory's ssh arguments plus `more` (a host's ansible_ssh_common_args replaces the inventory's, so a test that adds an option repeats them). */
export function labSshArgs(lab: TestLab, more: string): string {
  const inv = parse(readFileSync(lab.inventory, 'utf8')) as { all: { vars: Record<string, string> } }
  return `${inv.all.vars.ansible_ssh_common_args} ${more}`
}
