// What makes the base image a lab host: its name, its apt proxy and sources, the controller's key,
// its own host key. Written into the host's overlay upper directory before the overlay is mounted;
// directories created there copy mode and owner from the base image so that the merged view (e.g.
// /root with mode 700) stays what Debian made it.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { aptClientConf } from './apt-client.js'

export interface HostFilesInput {
  base: string
  upper: string
  hostname: string
  aptProxyUrl: string
  aptLines: string[]
  authorizedKey: string
  hostKeyPath: string
}

function ensureDir(base: string, upper: string, rel: string): void {
  if (rel === '' || rel === '.' || rel === '/') return
  const target = join(upper, rel)
  if (existsSync(target)) return
  ensureDir(base, upper, dirname(rel))
  const model = join(base, rel)
  if (existsSync(model) && lstatSync(model).isDirectory()) {
    const s = lstatSync(model)
    mkdirSync(target)
    chmodSync(target, s.mode & 0o7777)
    chownSync(target, s.uid, s.gid)
  } else {
    mkdirSync(target, { mode: 0o755 })
  }
}

function put(input: HostFilesInput, rel: string, content: string | Buffer, mode = 0o644): void {
  ensureDir(input.base, input.upper, dirname(rel))
  const p = join(input.upper, rel)
  writeFileSync(p, content, { mode })
  chmodSync(p, mode) // an existing file keeps its mode through writeFileSync
}

export function sshdDropIn(): string {
  return [
    '# rm-play lab: the one host key the lab recorded in its known_hosts; keys only;',
    '# room for parallel runs that open many sessions at once',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    'MaxSessions 64',
    'MaxStartups 64:30:256',
    '',
  ].join('\n')
}

export function hostsFile(hostname: string): string {
  // Without its own name here, sudo -u (become_user) stalls on a DNS lookup that never answers.
  return `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`
}

/** Files the lab owns on a host, rewritten on every start (an older lab may have set other values). */
export function writeLabOwnedFiles(input: HostFilesInput): void {
  put(input, 'etc/apt/apt.conf.d/01proxy', aptClientConf(input.aptProxyUrl))
}

/** The host's first files; after this, the host (and the playbooks run on it) owns them. */
export function writeHostFiles(input: HostFilesInput): void {
  put(input, 'etc/hostname', `${input.hostname}\n`)
  put(input, 'etc/hosts', hostsFile(input.hostname))
  // No DNS in the namespace: an empty resolver list fails fast instead of timing out.
  put(input, 'etc/resolv.conf', '# rm-play lab host: no DNS; names are in /etc/hosts\n')
  put(input, 'etc/apt/sources.list', `# through the lab's apt proxy (see 01proxy)\n${input.aptLines.join('\n')}\n`)
  // minbase has no /sbin/init, so invoke-rc.d would block every service start from package scripts.
  put(input, 'usr/sbin/policy-rc.d', '#!/bin/sh\n# rm-play lab: allow service starts (no init system here to ask)\nexit 0\n', 0o755)
  put(input, 'root/.ssh/authorized_keys', `${input.authorizedKey}\n`, 0o600)
  chmodSync(join(input.upper, 'root/.ssh'), 0o700)
  put(input, 'etc/ssh/ssh_host_ed25519_key', readFileSync(input.hostKeyPath), 0o600)
  put(input, 'etc/ssh/ssh_host_ed25519_key.pub', readFileSync(`${input.hostKeyPath}.pub`), 0o644)
  put(input, 'etc/ssh/sshd_config.d/rm-play-lab.conf', sshdDropIn())
}
