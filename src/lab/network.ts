// The lab's network: a bridge holding the lab's .1, one veth pair per host with the host end moved
// into the host's namespace as eth0. The controller does not forward or NAT for the hosts: their
// only route leads to the bridge, so they reach each other and the controller's bridge address.
// Hosts are wired in batches by one shell script: on this kind of VM each process Node spawns
// costs ~50 ms, while a shell forks `ip` for a fraction of that.
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { fedFrom } from '../shell/feed.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { parseCidr, type Cidr } from './address.js'
import { run } from './exec.js'

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`)
}

export function netnsExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`)
}

export function netnsInode(ns: string): number | undefined {
  try {
    return statSync(`/run/netns/${ns}`).ino
  } catch {
    return undefined
  }
}

/** The lab's links carry IPv4 only: no link-local IPv6 side door from the hosts to the controller. */
function disableIPv6(link: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, '1')
  } catch {
    // kernel without IPv6: nothing to disable
  }
}

/**
 * A fixed, locally administered MAC per address. A reset host comes back with the same MAC, so the
 * controller's ARP entry stays right (a new random one left it unreachable for up to 30 s); a
 * bridge would otherwise take the lowest MAC of its ports and change it as hosts come and go.
 */
export function macFor(address: string): string {
  return ['02', '52', ...address.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':')
}

export async function ensureBridge(bridge: string, address: string): Promise<void> {
  if (!linkExists(bridge)) {
    await run(['ip', 'link', 'add', bridge, 'address', macFor(address), 'type', 'bridge', 'forward_delay', '0'])
  }
  disableIPv6(bridge)
  const addrs = await run(['ip', '-4', '-o', 'addr', 'show', 'dev', bridge])
  if (!addrs.stdout.includes(` ${address}/24 `)) await run(['ip', 'addr', 'add', `${address}/24`, 'dev', bridge])
  await run(['ip', 'link', 'set', bridge, 'up'])
}

export interface HostLink {
  netns: string
  veth: string
  address: string
}

/** `ip -batch -` fed with `lines` as data (a here-document of base64): nothing in them is shell. */
function ipBatch(lines: string[], netns?: string): Script {
  return fedFrom(`${lines.join('\n')}\n`, 'RMP_IP_BATCH', netns === undefined ? sh`ip -batch -` : sh`ip -n ${netns} -batch -`)
}

/** Shell lines that create the hosts' namespaces and links; `set -e` stops at the first failure. */
export function hostNetworkScript(hosts: HostLink[], bridge: string, gateway: string): Script {
  if (hosts.length === 0) return code('')
  // All root-namespace work in one `ip -batch`, then one inside each namespace.
  const root: string[] = []
  for (const h of hosts) {
    root.push(
      `netns add ${h.netns}`,
      `link add ${h.veth} type veth peer name eth0 address ${macFor(h.address)} netns ${h.netns}`,
      `link set ${h.veth} master ${bridge} up`,
    )
  }
  const lines = [ipBatch(root)]
  for (const h of hosts) {
    lines.push(sh`echo 1 > ${`/proc/sys/net/ipv6/conf/${h.veth}/disable_ipv6`} 2>/dev/null || true`)
    lines.push(ipBatch(['link set lo up', `addr add ${h.address}/24 dev eth0`, 'link set eth0 up', `route add default via ${gateway}`], h.netns))
  }
  return joinScripts(lines)
}

/** Removes the hosts' links and namespaces that exist, in one `ip -batch`. */
export async function removeHostNetworks(hosts: HostLink[]): Promise<void> {
  // The pairs first: deleting a namespace frees its links later, in a kernel worker, so a
  // `link del` after `netns del` races with that and the link may still be there when we check.
  const lines = [
    ...hosts.filter((h) => linkExists(h.veth)).map((h) => `link del ${h.veth}`),
    ...hosts.filter((h) => netnsExists(h.netns)).map((h) => `netns del ${h.netns}`),
  ]
  if (lines.length) await run(['ip', '-batch', '-'], { input: `${lines.join('\n')}\n` })
}

interface IpAddrJson {
  ifname?: string
  addr_info?: { family?: string; local?: string; prefixlen?: number }[]
}
interface IpRouteJson {
  dst?: string
  dev?: string
}

/** IPv4 networks the controller already has an address in or a route to (not loopback, not default). */
export async function controllerNetworks(): Promise<Cidr[]> {
  const out: Cidr[] = []
  const addrs = JSON.parse((await run(['ip', '-j', '-4', 'addr', 'show'])).stdout || '[]') as IpAddrJson[]
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      const c = a.local && parseCidr(`${a.local}/${a.prefixlen ?? 32}`)
      if (c && !a.local!.startsWith('127.')) out.push(c)
    }
  }
  const routes = JSON.parse((await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])).stdout || '[]') as IpRouteJson[]
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dev === 'lo') continue
    const c = parseCidr(r.dst)
    if (c && c.bits > 0) out.push(c)
  }
  return out
}
