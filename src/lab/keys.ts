// SSH keys: the lab's client key (the controller logs in with it) and each host's own sshd key,
// made on the controller before the host first starts so the lab's known_hosts can list it.
import { existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { run } from './exec.js'

/** Creates an ed25519 key pair at `path` (and `path`.pub) unless there is one; returns the public line. */
export async function ensureKeyPair(path: string, comment: string): Promise<string> {
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // Half a pair is replaced: with neither file there, ssh-keygen asks nothing (it would otherwise
    // ask "Overwrite?" and, answered through a pipe, may exit before reading: EPIPE under load).
    rmSync(path, { force: true })
    rmSync(`${path}.pub`, { force: true })
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path])
  }
  return readFileSync(`${path}.pub`, 'utf8').trim()
}

export interface KnownHost {
  name: string
  address: string
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string
}

/** One line per host, matched by its inventory name and its address. */
export function renderKnownHosts(hosts: KnownHost[]): string {
  return hosts
    .map((h) => {
      const [type, key] = h.publicKey.split(/\s+/)
      return `${h.name},${h.address} ${type} ${key}\n`
    })
    .join('')
}
