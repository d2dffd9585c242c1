// The apt proxy the hosts install packages through: one apt-cacher-ng on the controller for all labs,
// with a cache that outlives the labs. Its backend is the controller's own mirror (the package's
// default backend list does not resolve here).
//
// It listens on 10.231.0.1, an address of its own on a link of its own, not on each lab's bridge address:
// apt-cacher-ng binds its addresses when it starts, so a new lab would have to restart it and break
// the downloads of hosts in other labs. Hosts reach 10.231.0.1 through their bridge like any other
// address of the controller (local delivery; nothing is forwarded).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DebianMirrors } from './apt-sources.js'
import { startListening } from './daemon.js'
import { labError } from './errors.js'
import { run } from './exec.js'
import { writeFileAtomic } from './fs-util.js'
import { linkExists } from './network.js'
import { APT_CACHE_DIR, APT_PROXY_DIR } from './paths.js'
import { listLabNames, readState, type LabState } from './state.js'
import { isRunning, killAndWait, type ProcRef } from './proc.js'
import { probe } from './tcp-probe.js'

export const APT_PROXY_ADDRESS = '10.231.0.1'
export const APT_PROXY_PORT = 3142
export const APT_PROXY_URL = `http://${APT_PROXY_ADDRESS}:${APT_PROXY_PORT}`
/**
 * A bridge without ports, only to hold the address (some kernels have no dummy links). Its name ends
 * in a digit, so no lab's bridge (`rmp-NAME`, names end in a letter) can be called this.
 */
export const APT_PROXY_LINK = 'rmp-apt0'

export interface AptProxyState {
  /** Set when rm-play started it; absent when something else already served the port. */
  process?: ProcRef
  /** The configuration it was started with. */
  conf?: string
  /** True when the proxy answering there was not started by rm-play (left alone on down). */
  external?: boolean
}

const statePath = join(APT_PROXY_DIR, 'state.json')
const confDir = join(APT_PROXY_DIR, 'conf')
const logPath = join(APT_PROXY_DIR, 'apt-cacher-ng.log')

export function readAptProxyState(): AptProxyState {
  if (!existsSync(statePath)) return {}
  const s = JSON.parse(readFileSync(statePath, 'utf8')) as AptProxyState
  return { process: s.process, conf: s.conf, external: s.external }
}

function writeAptProxyState(s: AptProxyState): void {
  writeFileAtomic(statePath, `${JSON.stringify(s, null, 2)}\n`)
}

const hostPath = (uri: string) => uri.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '')

/**
 * `also`: bridge addresses to listen on as well, for hosts made by an older rm-play whose 01proxy
 * still names their bridge.
 */
export function renderAcngConf(mirrors: DebianMirrors, also: string[] = []): string {
  const security = mirrors.security ? hostPath(mirrors.security) : 'deb.debian.org/debian-security'
  return [
    '# written by rm-play lab; the apt proxy of the lab hosts',
    `CacheDir: ${APT_CACHE_DIR}`,
    `LogDir: ${join(APT_PROXY_DIR, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${APT_PROXY_PORT}`,
    `BindAddress: ${[APT_PROXY_ADDRESS, ...also].join(' ')}`,
    `Remap-debrep: file:deb_mirror*.gz /debian ${hostPath(mirrors.main)} ; file:backends_debian`,
    `Remap-secdeb: security.debian.org security.debian.org/debian-security deb.debian.org/debian-security /debian-security ${security} ; ${mirrors.security ?? 'http://deb.debian.org/debian-security/'}`,
    'ReportPage: acng-report.html',
    'ExThreshold: 4',
    '',
  ].join('\n')
}

async function ensureLink(): Promise<void> {
  if (!linkExists(APT_PROXY_LINK)) await run(['ip', 'link', 'add', APT_PROXY_LINK, 'type', 'bridge'])
  const addrs = await run(['ip', '-4', '-o', 'addr', 'show', 'dev', APT_PROXY_LINK])
  if (!addrs.stdout.includes(` ${APT_PROXY_ADDRESS}/32 `)) await run(['ip', 'addr', 'add', `${APT_PROXY_ADDRESS}/32`, 'dev', APT_PROXY_LINK])
  await run(['ip', 'link', 'set', APT_PROXY_LINK, 'up'])
}

/** The bridge addresses of the labs whose bridges exist now. */
function labBridgeAddresses(): string[] {
  return listLabNames()
    .map(readState)
    .filter((s): s is LabState => !!s && linkExists(s.bridge))
    .map((s) => s.bridgeAddress)
}

async function start(mirrors: DebianMirrors): Promise<{ ref: ProcRef; conf: string }> {
  mkdirSync(APT_CACHE_DIR, { recursive: true })
  mkdirSync(join(APT_PROXY_DIR, 'log'), { recursive: true })
  const conf = renderAcngConf(mirrors, labBridgeAddresses())
  writeFileAtomic(join(confDir, 'acng.conf'), conf)
  writeFileAtomic(join(confDir, 'backends_debian'), `${mirrors.main}\n`)
  const ref = await startListening('apt-cacher-ng', ['-c', confDir, 'ForeGround=1'], logPath, {
    address: APT_PROXY_ADDRESS,
    port: APT_PROXY_PORT,
    what: 'the apt proxy (apt-cacher-ng)',
    hint: `see ${logPath}; is port ${APT_PROXY_PORT} taken?`,
  })
  return { ref, conf }
}

/** Same mirrors and address as `want`; extra bridge addresses do not matter. */
function sameSetup(conf: string | undefined, want: string): boolean {
  const strip = (c: string) => c.replace(/^BindAddress: (\S+).*$/m, 'BindAddress: $1')
  return conf !== undefined && strip(conf) === strip(want)
}

/** Makes sure the proxy runs (for `lab`, which is about to exist or exists). */
export async function ensureAptProxy(lab: string, mirrors: DebianMirrors, say: (msg: string) => void): Promise<void> {
  const s = readAptProxyState()
  await ensureLink()
  if (s.process && isRunning(s.process)) {
    if (sameSetup(s.conf, renderAcngConf(mirrors))) return
    // The mirror changed (or an older rm-play set it up otherwise): the backend is read at start.
    say('apt proxy: restarting it with a new configuration')
    await killAndWait([s.process])
    s.process = undefined
  } else if (await probe(APT_PROXY_ADDRESS, APT_PROXY_PORT, 300)) {
    // Something else (a system apt-cacher-ng on all addresses, say) answers there already: use it.
    if (!s.external) say(`apt proxy: using the one already listening on port ${APT_PROXY_PORT} (not started by rm-play)`)
    writeAptProxyState({ external: true })
    return
  }
  const { ref, conf } = await start(mirrors)
  say(`apt proxy: apt-cacher-ng (pid ${ref.pid}) on ${APT_PROXY_URL}, cache ${APT_CACHE_DIR} (for lab ${lab} and any other)`)
  writeAptProxyState({ process: ref, conf })
}

/** When no lab but `lab` is left: stops the proxy (if rm-play started it) and removes its link. */
export async function releaseAptProxy(lab: string, say: (msg: string) => void): Promise<void> {
  if (listLabNames().some((l) => l !== lab)) return
  const s = readAptProxyState()
  if (s.process && isRunning(s.process)) {
    const left = await killAndWait([s.process])
    if (left.length) throw labError(`the apt proxy (pid ${s.process.pid}) did not stop`)
    say(`apt proxy stopped (its cache stays in ${APT_CACHE_DIR})`)
  }
  if (linkExists(APT_PROXY_LINK)) await run(['ip', 'link', 'del', APT_PROXY_LINK])
  writeAptProxyState({})
}
