// The systemd layer: what a systemd host adds to the cached base image (systemd as /sbin/init,
// dbus, libpam-systemd), kept as an overlay layer of its own rather than a second full image. A
// systemd host mounts `lowerdir=LAYER:BASE`, a sysv host only `BASE`: the sysv hosts stay exactly
// what they were, the ~280 MB base is not copied, and the layer costs ~60 MB once. Built in a temp
// directory and renamed into place (a killed build leaves no half layer); rebuilt when the base
// image under it was rebuilt (the layer records the base's inode and mtime).
import { existsSync, readFileSync, renameSync, rmSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sh } from '../shell/index.js'
import { aptClientOptions } from './apt-client.js'
import { run } from './exec.js'
import { CACHE_ROOT } from './paths.js'
import { checkDiskSpace } from './preflight.js'

export const SYSTEMD_LAYER_DIR = join(CACHE_ROOT, 'systemd-bookworm-layer')
export const SYSTEMD_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'libpam-systemd']
/** Beside the layer, not in it (a file in the layer would show in every host's /). */
const STAMP_PATH = `${SYSTEMD_LAYER_DIR}.base`
const NEED_BYTES = 150e6

function baseStamp(base: string): string {
  const s = statSync(base)
  return `${s.ino} ${Math.round(s.mtimeMs)}\n`
}

/** journald in memory only: a host's upper layer stays small (~100 KB after boot). */
export const JOURNALD_DROP_IN = '# rm-play lab: journal in /run only (the upper layer stays small)\n[Journal]\nStorage=volatile\nRuntimeMaxUse=8M\n'

/** The script that installs systemd into `upper` over `base`, in a private mount namespace. */
export function layerBuildScript(i: { base: string; upper: string; work: string; root: string; aptProxyUrl: string; aptLines: string[] }): string {
  const apt = [...aptClientOptions(i.aptProxyUrl), '-o', 'Dir::Etc::SourceList=/tmp/rmp-sources.list', '-o', 'Dir::Etc::SourceParts=/nonexistent']
  const lines = `${i.aptLines.join('\n')}\n`
  return sh`set -e
R=${i.root}
mount -t overlay overlay -o ${`lowerdir=${i.base},upperdir=${i.upper},workdir=${i.work}`} "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs tmpfs "$R/tmp"
mount -t tmpfs tmpfs "$R/run"
printf '%s' ${lines} > "$R/tmp/rmp-sources.list"
# no service starts while installing (there is no init running in this chroot)
printf '#!/bin/sh\\nexit 101\\n' > "$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
chroot "$R" apt-get ${apt} update -q
DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get ${apt} install -y -q --no-install-recommends ${SYSTEMD_PACKAGES}
chroot "$R" apt-get clean
rm -f "$R/usr/sbin/policy-rc.d"
rm -rf "$R"/var/lib/apt/lists/*_*
chroot "$R" systemctl enable ssh.service
# each host gets its own machine-id; an empty one here means "make one at boot" for any other use
: > "$R/etc/machine-id"
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '%s' ${JOURNALD_DROP_IN} > "$R/etc/systemd/journald.conf.d/rm-play-lab.conf"
`.text
}

/** Returns the layer directory, building it first when there is none or its base changed. */
export async function ensureSystemdLayer(base: string, aptProxyUrl: string, aptLines: string[], say: (msg: string) => void): Promise<string> {
  if (existsSync(SYSTEMD_LAYER_DIR) && existsSync(STAMP_PATH) && readFileSync(STAMP_PATH, 'utf8') === baseStamp(base)) return SYSTEMD_LAYER_DIR
  checkDiskSpace(CACHE_ROOT, NEED_BYTES, 'the systemd layer')
  const tmp = `${SYSTEMD_LAYER_DIR}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  const dirs = { upper: join(tmp, 'upper'), work: join(tmp, 'work'), root: join(tmp, 'root') }
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true })
  say(`building the systemd layer (once; ${SYSTEMD_PACKAGES.join(' ')}) into ${SYSTEMD_LAYER_DIR}`)
  const started = Date.now()
  try {
    const script = layerBuildScript({ base, ...dirs, aptProxyUrl, aptLines })
    // The mounts live in the private namespace of this one command and end with it.
    await run(['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', script])
    rmSync(STAMP_PATH, { force: true })
    rmSync(SYSTEMD_LAYER_DIR, { recursive: true, force: true })
    renameSync(dirs.upper, SYSTEMD_LAYER_DIR)
    writeFileSync(STAMP_PATH, baseStamp(base))
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  say(`systemd layer ready (${Math.round((Date.now() - started) / 1000)}s)`)
  return SYSTEMD_LAYER_DIR
}
