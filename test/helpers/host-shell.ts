// Direct commands on a lab host for assertions (over the same ssh2 connection code the engine
// uses), and a snapshot of a host's state to prove that check mode changed nothing.
import type { Connection, ExecResult } from '../../src/connection/connection.js'
import { SshConnection } from '../../src/connection/ssh.js'
import { sshTargetFor } from '../../src/engine/connect.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { VarScope } from '../../src/playbook/vars.js'
import { code } from '../../src/shell/index.js'

const conns = new Map<string, Connection>()

/** A connection to `host` as the inventory describes it. */
export function hostConnection(inventory: string, host: string): Connection {
  const key = `${inventory}\0${host}`
  let c = conns.get(key)
  if (!c) {
    const inv = loadInventory([inventory])
    const vars = new VarScope(inv.varLayers(host)).toObject()
    // a connection of its own, not one the keeper keeps: assertions do not lean on what they test
    c = new SshConnection({ ...sshTargetFor(host, vars, { hostKeyChecking: 'yes', connectTimeoutMs: 10000 }), persistMs: undefined })
    conns.set(key, c)
  }
  return c
}

/** Runs a script on a host; rejects on a non-zero exit unless allowed. */
export async function sh(inventory: string, host: string, script: string, allowFail = false): Promise<ExecResult> {
  const r = await hostConnection(inventory, host).exec(code(script))
  if (r.code !== 0 && !allowFail) throw new Error(`on ${host}: exit ${r.code}: ${script}\n${r.stderr}`)
  return r
}

export async function closeHostConnections(): Promise<void> {
  await Promise.all([...conns.values()].map((c) => c.close()))
  conns.clear()
}

export interface HostSnapshot {
  files: string[]
  packages: string[]
  processes: string[]
  accounts: string[]
  firewall: string[]
}

const SNAPSHOT = `
echo '## files'
find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/log -o -path /var/cache/apt -o -path /var/lib/apt/lists -o -path /var/lib/sudo -o -path /root/.cache \\) -prune -o -printf '%p %y %m %u %g %s %T@\\n' 2>/dev/null | sort
echo '## packages'
dpkg-query -W -f '\${Package} \${Version} \${db:Status-Abbrev}\\n' 2>/dev/null | sort
echo '## processes'
# a process that is exiting is not state the run left: a zombie or dead one (stat Z, X), or one
# whose command line is already gone (shown as [name]; a lab host has no kernel threads)
ps -eo stat=,user=,args= 2>/dev/null | awk '$1 !~ /^[ZX]/ && !(NF == 3 && $3 ~ /^\\[.*\\]$/) { $1 = ""; sub(/^ /, ""); print }' | grep -v -e 'ps -eo' -e '/bin/sh -c' -e 'sshd: ' -e '^root *sh$' -e '^root *-*sh$' -e 'sort$' -e 'grep ' -e 'awk ' | sort
echo '## accounts'
getent passwd | sort; getent group | sort
echo '## firewall'
(iptables-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9:]*\\]//') || true
`

/** What a host has: files (path, type, mode, owner, size, mtime), packages, processes, users, firewall. */
export async function snapshot(inventory: string, host: string): Promise<HostSnapshot> {
  const r = await sh(inventory, host, SNAPSHOT)
  const out: HostSnapshot = { files: [], packages: [], processes: [], accounts: [], firewall: [] }
  let cur: keyof HostSnapshot = 'files'
  for (const line of r.stdout.split('\n')) {
    const m = /^## (\w+)$/.exec(line)
    if (m) cur = m[1] as keyof HostSnapshot
    else if (line) out[cur].push(line)
  }
  return out
}

/** The lines that differ between two snapshots, for a readable assertion message. */
export function snapshotDiff(a: HostSnapshot, b: HostSnapshot): string[] {
  const diff: string[] = []
  for (const k of Object.keys(a) as (keyof HostSnapshot)[]) {
    const sa = new Set(a[k])
    const sb = new Set(b[k])
    for (const l of a[k]) if (!sb.has(l)) diff.push(`- ${k}: ${l}`)
    for (const l of b[k]) if (!sa.has(l)) diff.push(`+ ${k}: ${l}`)
  }
  return diff
}
