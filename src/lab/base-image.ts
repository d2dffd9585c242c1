// The cached Debian root every host's overlay starts from. Built once by debootstrap in a temp
// directory beside the cache and renamed into place, so a killed build never leaves a half image.
import { existsSync, readdirSync, renameSync, rmSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { debianMirrors, readControllerSources } from './apt-sources.js'
import { labError } from './errors.js'
import { runStreaming } from './exec.js'
import { checkDiskSpace } from './preflight.js'
import { BASE_IMAGE_DIR, CACHE_ROOT } from './paths.js'
import { isRunning, procRef } from './proc.js'

export const RELEASE = 'bookworm'
export const BASE_PACKAGES = ['openssh-server', 'python3', 'sudo', 'ca-certificates', 'iproute2', 'procps']
const NEED_BYTES = 400e6

export function controllerMirrors() {
  const m = debianMirrors(readControllerSources(), RELEASE)
  if (!m) {
    throw labError(
      `no Debian ${RELEASE} mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/`,
      `add a line such as 'deb http://deb.debian.org/debian ${RELEASE} main'`,
    )
  }
  return m
}

/** Removes temp dirs of builds whose process is gone (killed, machine rebooted). */
function removeStaleBuilds(): void {
  if (!existsSync(CACHE_ROOT)) return
  const prefix = `${BASE_IMAGE_DIR.split('/').pop()}.tmp-`
  for (const n of readdirSync(CACHE_ROOT)) {
    if (!n.startsWith(prefix)) continue
    const pid = Number(n.slice(prefix.length))
    const ref = procRef(pid)
    if (!ref || !isRunning(ref) || pid === process.pid) rmSync(join(CACHE_ROOT, n), { recursive: true, force: true })
  }
}

const STAGES: Record<string, string> = {
  Retrieving: 'downloading',
  Validating: 'downloading',
  Extracting: 'extracting',
  Unpacking: 'unpacking',
  Configuring: 'configuring',
}

/** debootstrap's one line per package, folded into a line per stage and one every 10 s. */
function progressPrinter(say: (msg: string) => void) {
  const started = Date.now()
  let stage = ''
  let count = 0
  let lastSaid = started
  const secs = () => `${Math.round((Date.now() - started) / 1000)}s`
  return {
    line(l: string) {
      const m = /^I: ([A-Z][a-z]+)\b/.exec(l)
      const next = m && STAGES[m[1]!]
      if (!next) return
      if (next !== stage) {
        stage = next
        count = 0
        lastSaid = Date.now()
        say(`  ${stage} packages (${secs()})`)
      }
      if (m[1] !== 'Validating') count++
      if (Date.now() - lastSaid > 10000) {
        lastSaid = Date.now()
        say(`  ${stage}: ${count} packages so far (${secs()})`)
      }
    },
    done() {
      return secs()
    },
  }
}

/** Returns the image directory, building it first if there is none. */
export async function ensureBaseImage(say: (msg: string) => void): Promise<string> {
  if (existsSync(BASE_IMAGE_DIR)) return BASE_IMAGE_DIR
  removeStaleBuilds()
  mkdirSync(CACHE_ROOT, { recursive: true })
  checkDiskSpace(CACHE_ROOT, NEED_BYTES, 'the base image')
  const mirror = controllerMirrors().main
  const tmp = `${BASE_IMAGE_DIR}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  say(`building the base image (Debian ${RELEASE}, once; takes a minute or two) from ${mirror} into ${BASE_IMAGE_DIR}`)
  const progress = progressPrinter(say)
  try {
    await runStreaming(['debootstrap', '--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, RELEASE, tmp, mirror], (l) => progress.line(l), {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    })
    trimImage(tmp)
    renameSync(tmp, BASE_IMAGE_DIR)
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    throw e
  }
  say(`base image ready (${progress.done()})`)
  return BASE_IMAGE_DIR
}

/**
 * Every host gets its own sshd keys and apt lists; copies in the image would be shared by all hosts
 * (the same host key on every host) or stale.
 */
function trimImage(dir: string): void {
  const clear = (sub: string, keep: (n: string) => boolean = () => false) => {
    const p = join(dir, sub)
    if (!existsSync(p)) return
    for (const n of readdirSync(p)) if (!keep(n)) rmSync(join(p, n), { recursive: true, force: true })
  }
  clear('etc/ssh', (n) => !n.startsWith('ssh_host_'))
  clear('var/cache/apt/archives', (n) => n === 'partial' || n === 'lock')
  clear('var/lib/apt/lists', (n) => n === 'partial' || n === 'lock')
}
