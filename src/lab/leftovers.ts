// What of a lab exists on this machine, looked up in the kernel and the filesystem rather than in
// the lab's state: `down` checks it is all gone, and so do the tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { bridgeName, labDir } from './paths.js'
import { pidsMentioning, pidsRootedUnder } from './proc.js'
import { systemdLeftovers } from './systemd-host.js'

export interface Leftovers {
  namespaces: string[]
  links: string[]
  mounts: string[]
  processes: number[]
  /** systemd hosts: the lab's cgroups and nspawn's runtime and lock files. */
  cgroups: string[]
  stateDir: boolean
}

export function labNetnsNames(lab: string): string[] {
  if (!existsSync('/run/netns')) return []
  const re = new RegExp(`^rmp-${lab}-h\\d+$`)
  return readdirSync('/run/netns').filter((n) => re.test(n))
}

/** The bridge and the controller ends of the veth pairs (lab names end in a letter: no overlap). */
export function labLinkNames(lab: string): string[] {
  const re = new RegExp(`^${bridgeName(lab)}(-\\d+)?$`)
  return readdirSync('/sys/class/net').filter((n) => re.test(n))
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Command lines of the lab's own controller processes: its git daemon and its hosts' launchers. */
export function labProcessPattern(lab: string): RegExp {
  const dir = escape(labDir(lab))
  return new RegExp(`--base-path=${dir}/git\\b|${dir}/hosts/[^/\\0]+/init\\.sh|--directory=${dir}/hosts/|-config ${dir}/acme/`)
}

export function findLeftovers(lab: string): Leftovers {
  const dir = labDir(lab)
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
  return {
    namespaces: labNetnsNames(lab),
    links: labLinkNames(lab),
    mounts,
    processes: [...new Set([...pidsRootedUnder(dir), ...pidsMentioning(labProcessPattern(lab))])],
    cgroups: systemdLeftovers(lab, existsSync(`${dir}/hosts`) ? readdirSync(`${dir}/hosts`) : []),
    stateDir: existsSync(dir),
  }
}

export function describeLeftovers(l: Leftovers): string[] {
  return [
    ...l.namespaces.map((n) => `namespace ${n}`),
    ...l.links.map((n) => `link ${n}`),
    ...l.mounts.map((m) => `mount ${m}`),
    ...l.processes.map((p) => `process ${p}`),
    ...l.cgroups.map((c) => `systemd host leftover ${c}`),
    ...(l.stateDir ? ['state directory'] : []),
  ]
}
