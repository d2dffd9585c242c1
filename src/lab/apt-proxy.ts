// The apt proxy the hosts install packages through: one apt-cacher-ng on the controller for all labs,
// listening on each lab's bridge address, with a cache that outlives the labs. Its backend is the
// controller's own mirror (the package's default backend list does not resolve here).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DebianMirrors } from './apt-sources.js'
import { spawnDaemon } from './daemon.js'
import { labError } from './errors.js'
import { writeFileAtomic } from './fs-util.js'
import { APT_CACHE_DIR, APT_PROXY_DIR, labPaths } from './paths.js'
import { isRunning, killAndWait, type ProcRef } from './proc.js'
import { logTail } from './host-process.js'
import { probe, waitUntil } from './tcp-probe.js'

export const APT_PROXY_PORT = 3142

export interface AptProxyState {
  /** Set when rm-play started it; absent when something else already served port 3142. */
  process?: ProcRef
  /** lab name → its bridge address */
  users: Record<string, string>
  /** lab names that found a proxy they did not start on their address */
  external: string[]
}

const statePath = join(APT_PROXY_DIR, 'state.json')
const confDir = join(APT_PROXY_DIR, 'conf')
const logPath = join(APT_PROXY_DIR, 'apt-cacher-ng.log')

export function readAptProxyState(): AptProxyState {
  if (!existsSync(statePath)) return { users: {}, external: [] }
  return JSON.parse(readFileSync(statePath, 'utf8')) as AptProxyState
}

function writeAptProxyState(s: AptProxyState): void {
  writeFileAtomic(statePath, `${JSON.stringify(s, null, 2)}\n`)
}

const hostPath = (uri: string) => uri.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '')

export function renderAcngConf(addresses: string[], mirrors: DebianMirrors): string {
  const security = mirrors.security ? hostPath(mirrors.security) : 'deb.debian.org/debian-security'
  return [
    '# written by rm-play lab; the apt proxy of the lab hosts',
    `CacheDir: ${APT_CACHE_DIR}`,
    `LogDir: ${join(APT_PROXY_DIR, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${APT_PROXY_PORT}`,
    `BindAddress: ${addresses.join(' ')}`,
    `Remap-debrep: file:deb_mirror*.gz /debian ${hostPath(mirrors.main)} ; file:backends_debian`,
    `Remap-secdeb: security.debian.org security.debian.org/debian-security deb.debian.org/debian-security /debian-security ${security} ; ${mirrors.security ?? 'http://deb.debian.org/debian-security/'}`,
    'ReportPage: acng-report.html',
    'ExThreshold: 4',
    '',
  ].join('\n')
}

async function start(addresses: string[], mirrors: DebianMirrors): Promise<ProcRef> {
  mkdirSync(APT_CACHE_DIR, { recursive: true })
  mkdirSync(join(APT_PROXY_DIR, 'log'), { recursive: true })
  writeFileAtomic(join(confDir, 'acng.conf'), renderAcngConf(addresses, mirrors))
  writeFileAtomic(join(confDir, 'backends_debian'), `${mirrors.main}\n`)
  const ref = spawnDaemon('apt-cacher-ng', ['-c', confDir, 'ForeGround=1'], logPath)
  const ok = await waitUntil(async () => {
    for (const a of addresses) if (!(await probe(a, APT_PROXY_PORT, 300))) return false
    return true
  }, 10000, () => !isRunning(ref))
  if (!ok) {
    await killAndWait([ref])
    throw labError(`the apt proxy (apt-cacher-ng) did not start on ${addresses.join(', ')}:${APT_PROXY_PORT}: ${logTail(logPath)}`, `see ${logPath}; is port ${APT_PROXY_PORT} taken?`)
  }
  return ref
}

/**
 * Makes the proxy listen on `address` for `lab`. A proxy already running for other labs is
 * restarted with the extra address (apt-cacher-ng binds its addresses at start).
 */
export async function ensureAptProxy(lab: string, address: string, mirrors: DebianMirrors, say: (msg: string) => void): Promise<void> {
  const s = readAptProxyState()
  // Labs removed by hand (state dir deleted) no longer count.
  for (const l of Object.keys(s.users)) if (l !== lab && !existsSync(labPaths(l).state)) delete s.users[l]
  s.users[lab] = address
  s.external = s.external.filter((l) => l !== lab && s.users[l] !== undefined)
  const addresses = [...new Set(Object.entries(s.users).filter(([l]) => !s.external.includes(l)).map(([, a]) => a))].sort()
  if (s.process && isRunning(s.process)) {
    if (readFileSync(join(confDir, 'acng.conf'), 'utf8') === renderAcngConf(addresses, mirrors)) {
      writeAptProxyState(s)
      return
    }
    say(`apt proxy: restarting it to listen on ${addresses.join(', ')}`)
    await killAndWait([s.process])
  } else if (await probe(address, APT_PROXY_PORT, 300)) {
    // Something else (a system apt-cacher-ng on all addresses, say) answers there already: use it.
    say(`apt proxy: using the one already listening on ${address}:${APT_PROXY_PORT} (not started by rm-play)`)
    s.external.push(lab)
    writeAptProxyState(s)
    return
  }
  s.process = await start(addresses, mirrors)
  say(`apt proxy: apt-cacher-ng (pid ${s.process.pid}) on ${addresses.map((a) => `${a}:${APT_PROXY_PORT}`).join(', ')}, cache ${APT_CACHE_DIR}`)
  writeAptProxyState(s)
}

/** Forgets `lab`; stops the proxy when rm-play started it and no lab is left. */
export async function releaseAptProxy(lab: string, say: (msg: string) => void): Promise<void> {
  const s = readAptProxyState()
  delete s.users[lab]
  s.external = s.external.filter((l) => l !== lab)
  if (Object.keys(s.users).length === 0 && s.process) {
    if (isRunning(s.process)) {
      const left = await killAndWait([s.process])
      if (left.length) throw labError(`the apt proxy (pid ${s.process.pid}) did not stop`)
      say(`apt proxy stopped (its cache stays in ${APT_CACHE_DIR})`)
    }
    s.process = undefined
  }
  writeAptProxyState(s)
}
