// ansible_pkg_mgr as ansible-core decides it (module_utils/facts/system/pkg_mgr.py): the last of its
// known package managers whose binary exists, then the OS family's official one wins (Debian: apt;
// RedHat: yum before release 8, dnf from 8; Fedora and Amazon by their own release numbers).
import { sh } from '../shell/index.js'

/** ansible-core's PKG_MGRS, in its order (a platform with two keeps the later one). */
const PKG_MGRS: readonly (readonly [path: string, name: string])[] = [
  ['/usr/bin/rpm-ostree', 'atomic_container'],
  ['/usr/bin/yum', 'yum'],
  ['/usr/bin/dnf', 'dnf'],
  ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/zypper', 'zypper'],
  ['/usr/sbin/urpmi', 'urpmi'],
  ['/usr/bin/pacman', 'pacman'],
  ['/bin/opkg', 'opkg'],
  ['/usr/pkg/bin/pkgin', 'pkgin'],
  ['/opt/local/bin/pkgin', 'pkgin'],
  ['/opt/tools/bin/pkgin', 'pkgin'],
  ['/opt/local/bin/port', 'macports'],
  ['/usr/local/bin/brew', 'homebrew'],
  ['/opt/homebrew/bin/brew', 'homebrew'],
  ['/sbin/apk', 'apk'],
  ['/usr/sbin/pkg', 'pkgng'],
  ['/usr/sbin/swlist', 'swdepot'],
  ['/usr/bin/emerge', 'portage'],
  ['/usr/sbin/pkgadd', 'svr4pkg'],
  ['/usr/bin/pkg', 'pkg5'],
  ['/usr/bin/xbps-install', 'xbps'],
  ['/usr/local/sbin/pkg', 'pkgng'],
  ['/usr/bin/swupd', 'swupd'],
  ['/usr/sbin/sorcery', 'sorcery'],
  ['/usr/bin/installp', 'installp'],
]

/** Prints `pkg_path=PATH` for each package manager binary that exists, and `ostree=1` on ostree hosts. */
export const PKG_MGR_SCRIPT = sh`for p in ${[...new Set(PKG_MGRS.map(([p]) => p))]}; do [ -e "$p" ] && echo "pkg_path=$p"; done
[ -e /run/ostree-booted ] && echo "ostree=1"`

export interface PkgMgrInput {
  /** The binaries that exist (pkg_path lines). */
  paths: readonly string[]
  osFamily: string
  distribution: string
  majorVersion: string
  ostree: boolean
}

function exists(input: PkgMgrInput, name: string): boolean {
  return PKG_MGRS.some(([p, n]) => n === name && input.paths.includes(p))
}

/** Fedora and Amazon switch to dnf at a release of their own; other RedHat-family hosts at 8. */
function redHat(found: string, input: PkgMgrInput): string {
  if (input.ostree) return 'atomic_container'
  const major = parseInt(input.majorVersion, 10)
  const switchAt = input.distribution === 'Fedora' ? 23 : input.distribution === 'Amazon' ? 2022 : undefined
  if (switchAt === undefined) return Number.isNaN(major) ? found : major < 8 ? 'yum' : 'dnf'
  if (Number.isNaN(major)) return 'dnf'
  if (major < switchAt) return exists(input, 'yum') ? 'yum' : found
  return exists(input, 'dnf') ? 'dnf' : found
}

export function pkgMgrOf(input: PkgMgrInput): string {
  let found = 'unknown'
  const mgrs = input.osFamily === 'Altlinux' ? PKG_MGRS.filter(([p]) => p !== '/usr/bin/pkg') : PKG_MGRS
  for (const [path, name] of mgrs) if (input.paths.includes(path)) found = name
  if (input.osFamily === 'RedHat') return redHat(found, input)
  if (input.osFamily === 'Debian') return 'apt'
  if (input.osFamily === 'Altlinux' && found === 'apt') return 'apt_rpm'
  return found
}
