// The system ssh client's arguments for a lab host: the lab's key, and its known_hosts with strict
// checking (the lab recorded every host key when it made the host).
import { labPaths } from './paths.js'
import type { LabState } from './state.js'

export function sshArgs(state: LabState, host: string, command: string[] = []): string[] {
  const h = state.hosts.find((x) => x.name === host)
  if (!h) throw new Error(`lab '${state.name}' has no host '${host}'`)
  const p = labPaths(state.name)
  return [
    '-i',
    p.key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${p.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'LogLevel=ERROR',
    `root@${h.address}`,
    ...command,
  ]
}
