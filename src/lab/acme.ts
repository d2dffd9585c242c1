// An ACME server for the lab: Debian's `pebble` (Let's Encrypt's RFC 8555 test server) on the lab's
// bridge address, with `pebble-challtestsrv` as the DNS server its validation authority asks. A
// host's name resolves (for pebble only) to the host's address, so HTTP-01 is validated for real:
// pebble fetches http://NAME/.well-known/acme-challenge/TOKEN from the host's own nginx.
//
// One pair per lab, on the lab's own bridge address (fixed ports there): labs never share DNS
// records (two labs may both deploy runmaster.example.com) and one lab's `down` never stops
// another lab's ACME server.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { get as httpsGet } from 'node:https'
import { join } from 'node:path'
import { spawnDaemon } from './daemon.js'
import { labError } from './errors.js'
import { run } from './exec.js'
import { writeFileAtomic } from './fs-util.js'
import { logTail } from './host-process.js'
import { labDir } from './paths.js'
import { isRunning, killAndWait, type ProcRef } from './proc.js'
import { probe, waitUntil } from './tcp-probe.js'

export const ACME_PORT = 14000
export const ACME_MANAGEMENT_PORT = 15000
export const DNS_PORT = 8053
export const DNS_MANAGEMENT_PORT = 8055

export interface AcmeProcs {
  pebble?: ProcRef
  dns?: ProcRef
}

export interface AcmePaths {
  dir: string
  config: string
  /** The CA of pebble's own HTTPS listener (made here): certbot must trust it to talk ACME. */
  listenerCa: string
  listenerCaKey: string
  cert: string
  key: string
  /** Pebble's issuing root, new at every pebble start: a served certificate verifies against it. */
  issuerRoot: string
  pebbleLog: string
  dnsLog: string
}

export function acmePaths(lab: string): AcmePaths {
  const dir = join(labDir(lab), 'acme')
  return {
    dir,
    config: join(dir, 'pebble.json'),
    listenerCa: join(dir, 'listener-ca.pem'),
    listenerCaKey: join(dir, 'listener-ca.key'),
    cert: join(dir, 'listener.pem'),
    key: join(dir, 'listener.key'),
    issuerRoot: join(dir, 'issuer-root.pem'),
    pebbleLog: join(dir, 'pebble.log'),
    dnsLog: join(dir, 'dns.log'),
  }
}

export function acmeDirectoryUrl(bridgeAddress: string): string {
  return `https://${bridgeAddress}:${ACME_PORT}/dir`
}

/** A CA and a certificate for `address` (an IP SAN: the hosts have no DNS), made once. */
async function ensureListenerCert(p: AcmePaths, address: string): Promise<void> {
  if (existsSync(p.cert) && existsSync(`${p.cert}.address`) && readFileSync(`${p.cert}.address`, 'utf8') === address) return
  const days = '3650'
  await run([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    days,
    '-subj',
    '/CN=rm-play lab ACME listener CA',
    '-keyout',
    p.listenerCaKey,
    '-out',
    p.listenerCa,
  ])
  const csr = join(p.dir, 'listener.csr')
  await run(['openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${address}`, '-keyout', p.key, '-out', csr])
  const ext = join(p.dir, 'listener.ext')
  writeFileAtomic(ext, `subjectAltName=IP:${address}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
  await run([
    'openssl',
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    p.listenerCa,
    '-CAkey',
    p.listenerCaKey,
    '-CAcreateserial',
    '-days',
    days,
    '-extfile',
    ext,
    '-out',
    p.cert,
  ])
  writeFileAtomic(`${p.cert}.address`, address)
}

function pebbleConfig(p: AcmePaths, address: string): string {
  return `${JSON.stringify(
    {
      pebble: {
        listenAddress: `${address}:${ACME_PORT}`,
        managementListenAddress: `${address}:${ACME_MANAGEMENT_PORT}`,
        certificate: p.cert,
        privateKey: p.key,
        // The ports pebble's validation authority connects to on the host being validated: its nginx.
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    },
    null,
    2,
  )}\n`
}

async function startOrFail(cmd: string, args: string[], log: string, address: string, port: number, what: string): Promise<ProcRef> {
  const ref = spawnDaemon(cmd, args, log)
  if (
    await waitUntil(
      () => probe(address, port, 300),
      15000,
      () => !isRunning(ref),
    )
  )
    return ref
  await killAndWait([ref])
  throw labError(`${what} did not start on ${address}:${port}: ${logTail(log)}`, `see ${log}`)
}

function fetchIssuerRoot(p: AcmePaths, address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsGet({ host: address, port: ACME_MANAGEMENT_PORT, path: '/roots/0', ca: readFileSync(p.listenerCa), timeout: 10000 }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () =>
        res.statusCode === 200 && body.includes('BEGIN CERTIFICATE')
          ? resolve(body)
          : reject(labError(`pebble's root: HTTP ${res.statusCode} ${body.slice(0, 200)}`)),
      )
    })
    req.on('timeout', () => req.destroy(labError("pebble's root: no answer")))
    req.on('error', reject)
  })
}

/**
 * Starts the lab's DNS and ACME server unless they run (a lab `up` again keeps them, and with them
 * pebble's root, so certificates issued before stay valid); writes pebble's issuing root.
 */
export async function ensureAcme(lab: string, current: AcmeProcs | undefined, address: string): Promise<AcmeProcs> {
  const p = acmePaths(lab)
  mkdirSync(p.dir, { recursive: true, mode: 0o700 })
  let dns = current?.dns
  if (!dns || !isRunning(dns)) {
    // DNS only (no challenge servers); names answer only as registered (no default address).
    const args = [
      '-dns01',
      `${address}:${DNS_PORT}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `${address}:${DNS_MANAGEMENT_PORT}`,
      '-defaultIPv4',
      '',
      '-defaultIPv6',
      '',
    ]
    dns = await startOrFail('pebble-challtestsrv', args, p.dnsLog, address, DNS_MANAGEMENT_PORT, 'the lab DNS (pebble-challtestsrv)')
  }
  let pebble = current?.pebble
  if (!pebble || !isRunning(pebble)) {
    await ensureListenerCert(p, address)
    writeFileAtomic(p.config, pebbleConfig(p, address))
    // No random sleeps before validating, no rejected nonces, and a fresh validation for every
    // order (a renewal proves the challenge path again instead of reusing an authorization).
    const env = ['PEBBLE_VA_NOSLEEP=1', 'PEBBLE_WFE_NONCEREJECT=0', 'PEBBLE_AUTHZREUSE=0']
    pebble = await startOrFail(
      'env',
      [...env, 'pebble', '-config', p.config, '-dnsserver', `${address}:${DNS_PORT}`],
      p.pebbleLog,
      address,
      ACME_PORT,
      'pebble (the lab ACME server)',
    )
    writeFileAtomic(p.issuerRoot, await fetchIssuerRoot(p, address))
  }
  return { pebble, dns }
}

export async function stopAcme(procs: AcmeProcs | undefined): Promise<void> {
  await killAndWait([procs?.pebble, procs?.dns].filter((r): r is ProcRef => !!r))
}

/**
 * Makes `name` resolve to `addresses` for the lab's ACME server (pebble-challtestsrv's /add-a): what
 * pointing a domain's DNS at the server is in production.
 */
export function setAcmeDnsRecord(bridgeAddress: string, name: string, addresses: string[]): Promise<void> {
  const body = JSON.stringify({ host: name, addresses })
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: bridgeAddress,
        port: DNS_MANAGEMENT_PORT,
        path: '/add-a',
        method: 'POST',
        timeout: 10000,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(labError(`lab DNS: /add-a answered HTTP ${res.statusCode}`))))
      },
    )
    req.on('timeout', () => req.destroy(labError('lab DNS: no answer')))
    req.on('error', reject)
    req.end(body)
  })
}
