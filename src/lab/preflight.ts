// What the controller must be and have before a lab can run on it, checked up front so that the
// user gets one line and a hint instead of a failure halfway through creating hosts.
import { accessSync, constants, existsSync, readFileSync, statfsSync, writeFileSync, rmSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { labError } from './errors.js'
import { run } from './exec.js'

export function checkPlatform(): void {
  if (process.platform !== 'linux') {
    throw labError(`rm-play lab needs Linux (network namespaces, overlayfs); this is ${process.platform}`, 'run it on a Linux machine or VM')
  }
  if (process.getuid?.() !== 0) {
    throw labError('rm-play lab needs root (it creates network namespaces, mounts and links)', 'run it with sudo')
  }
}

export async function checkKernel(): Promise<void> {
  const hasOverlay = () => /\boverlay\b/.test(readFileSync('/proc/filesystems', 'utf8'))
  if (!hasOverlay()) await run(['modprobe', 'overlay'], { check: false })
  if (!hasOverlay()) {
    throw labError('this kernel has no overlayfs', "load it with 'modprobe overlay', or use a kernel built with CONFIG_OVERLAY_FS")
  }
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/pid') || !existsSync('/proc/self/ns/mnt')) {
    throw labError('this kernel has no network, pid or mount namespaces', 'use a kernel with CONFIG_NET_NS, CONFIG_PID_NS and namespaces enabled')
  }
}

/** Free bytes on the filesystem that holds `path` (or its nearest existing parent). */
export function freeBytes(path: string): number {
  let p = path
  while (!existsSync(p)) p = dirname(p)
  const s = statfsSync(p)
  return s.bavail * s.bsize
}

export function checkDiskSpace(path: string, needBytes: number, what: string): void {
  const free = freeBytes(path)
  if (free < needBytes) {
    const mb = (n: number) => `${Math.round(n / 1e6)} MB`
    throw labError(
      `not enough disk space for ${what}: ${mb(free)} free at ${path}, need ${mb(needBytes)}`,
      'free some space (apt-get clean, old images) and try again',
    )
  }
}

/** Commands the lab runs on the controller, and the Debian package that brings each. */
const TOOLS: [command: string, pkg: string][] = [
  ['debootstrap', 'debootstrap'],
  ['apt-cacher-ng', 'apt-cacher-ng'],
  ['ip', 'iproute2'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['git', 'git'],
  ['unshare', 'util-linux'],
  ['mount', 'mount'],
  ['chroot', 'coreutils'],
  ['pebble', 'pebble'],
  ['pebble-challtestsrv', 'pebble'],
  ['openssl', 'openssl'],
  // The lab's package index: pip downloads the closure, dpkg-deb unpacks the Debian packages made
  // into wheels, python3 zips them and serves the index.
  ['python3', 'python3'],
  ['pip3', 'python3-pip'],
  ['dpkg-deb', 'dpkg'],
]

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export function findCommand(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SYSTEM_DIRS]
  for (const d of dirs) {
    const p = join(d, cmd)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** What systemd hosts need besides: nspawn boots them (without its recommends, which edit nsswitch.conf). */
export const SYSTEMD_HOST_TOOLS: [command: string, pkg: string][] = [['systemd-nspawn', 'systemd-container']]

export function missingPackages(extra: [command: string, pkg: string][] = []): string[] {
  const pkgs = [...TOOLS, ...extra].filter(([cmd]) => !findCommand(cmd)).map(([, pkg]) => pkg)
  return [...new Set(pkgs)]
}

const POLICY = '/usr/sbin/policy-rc.d'

/**
 * Installs what the lab needs with apt-get. Package scripts must not start apt-cacher-ng as a
 * system service: it would take port 3142 on every address with a backend list that fails here.
 * A temporary policy-rc.d (when the machine has none) says so to invoke-rc.d.
 */
export async function ensureControllerTools(say: (msg: string) => void, extra: [command: string, pkg: string][] = []): Promise<void> {
  const missing = missingPackages(extra)
  if (missing.length === 0) return
  if (!findCommand('apt-get')) {
    throw labError(
      `missing on this machine: ${missing.join(', ')}`,
      'install them with your package manager (rm-play installs them itself only on Debian/Ubuntu)',
    )
  }
  say(`installing on the controller: ${missing.join(' ')}`)
  const ownPolicy = !existsSync(POLICY)
  if (ownPolicy) {
    mkdirSync(dirname(POLICY), { recursive: true })
    writeFileSync(POLICY, '#!/bin/sh\n# temporary, from rm-play lab: no service starts during its apt-get install\nexit 101\n', { mode: 0o755 })
  }
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' }
    const install = () => run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { env, check: false })
    let res = await install()
    if (res.code !== 0) {
      say('apt-get install failed; running apt-get update and trying again')
      await run(['apt-get', 'update', '-q'], { env })
      res = await install()
    }
    if (res.code !== 0) {
      const tail = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' / ')
      throw labError(`could not install ${missing.join(' ')}: ${tail}`, `install them by hand: apt-get install ${missing.join(' ')}`)
    }
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true })
  }
  const still = missingPackages(extra)
  if (still.length) throw labError(`still missing after apt-get install: ${still.join(', ')}`)
}
