// Where the lab keeps things, and the names it gives to links, namespaces and hosts. The lab name
// ends up inside 15-character interface names, hence the short limit.
import { join } from 'node:path'

export const STATE_ROOT = '/var/lib/rm-play/lab'
export const CACHE_ROOT = '/var/cache/rm-play'
export const BASE_IMAGE_DIR = join(CACHE_ROOT, 'base-bookworm')
export const APT_CACHE_DIR = join(CACHE_ROOT, 'apt-cacher-ng')
/** The lab's package index (src/lab/pip-index-build.ts): one directory per set of requirements. */
export const PIP_INDEX_CACHE = join(CACHE_ROOT, 'pip-index')
export const APT_PROXY_DIR = '/var/lib/rm-play/apt-proxy'
export const LOCK_PATH = '/var/lib/rm-play/lab.lock'

export const DEFAULT_LAB = 'lab'
export const MAX_HOSTS = 200 // .11 .. .210 of the lab's /24

const NAME_RE = /^[a-z](?:[a-z0-9-]{0,5}[a-z])?$/

/** Undefined when valid, else why not. */
export function labNameProblem(name: string): string | undefined {
  if (NAME_RE.test(name)) return undefined
  return `invalid lab name '${name}': 1-7 characters, lowercase letters, digits and '-', starting and ending with a letter`
}

export function labDir(lab: string): string {
  return join(STATE_ROOT, lab)
}

export interface HostNames {
  name: string // inventory name = hostname inside
  netns: string
  veth: string // controller end; the host end is eth0 inside the namespace
}

export function hostNames(lab: string, index: number): HostNames {
  return { name: `${lab}${index}`, netns: `rmp-${lab}-h${index}`, veth: `rmp-${lab}-${index}` }
}

export function bridgeName(lab: string): string {
  return `rmp-${lab}`
}

export interface HostPaths {
  dir: string
  upper: string
  work: string
  root: string
  keys: string
  init: string
  log: string
}

export function hostPaths(lab: string, host: string): HostPaths {
  const dir = join(labDir(lab), 'hosts', host)
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    keys: join(dir, 'keys'),
    init: join(dir, 'init.sh'),
    log: join(dir, 'sshd.log'),
  }
}

export interface LabPaths {
  dir: string
  state: string
  key: string
  knownHosts: string
  git: string
  gitLog: string
  pipIndexLog: string
}

export function labPaths(lab: string): LabPaths {
  const dir = labDir(lab)
  return {
    dir,
    state: join(dir, 'state.json'),
    key: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    git: join(dir, 'git'),
    gitLog: join(dir, 'git-daemon.log'),
    pipIndexLog: join(dir, 'pip-index.log'),
  }
}
