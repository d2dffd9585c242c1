// The lab's network: a bridge holding the lab's .1, one veth pair per host with the host end moved
// into the host's namespace as eth0. The controller does not forward or NAT for the hosts: their
// only route leads to the bridge, so they reach each other and the controller's bridge address.
import { existsSync, writeFileSync } from 'node:fs'
import { parseCidr, type Cidr } from './address.js'
import { run } from './exec.js'

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`)
}

export function netnsExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`)
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

export async function removeBridge(bridge: string): Promise<void> {
  if (linkExists(bridge)) await run(['ip', 'link', 'del', bridge])
}

export interface HostLink {
  netns: string
  veth: string
  address: string
}

export async function createHostNetwork(h: HostLink, bridge: string, gateway: string): Promise<void> {
  await run(['ip', 'netns', 'add', h.netns])
  await run(['ip', 'link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', macFor(h.address), 'netns', h.netns])
  disableIPv6(h.veth)
  await run(['ip', 'link', 'set', h.veth, 'master', bridge, 'up'])
  const inside = [`link set lo up`, `addr add ${h.address}/24 dev eth0`, `link set eth0 up`, `route add default via ${gateway}`]
  await run(['ip', '-n', h.netns, '-batch', '-'], { input: `${inside.join('\n')}\n` })
  // An entry from before a reset may still point at a MAC of an older kind of this host.
  await run(['ip', 'neigh', 'del', h.address, 'dev', bridge], { check: false })
}

export async function removeHostNetwork(h: HostLink): Promise<void> {
  // The pair first: deleting a namespace frees its links later, in a kernel worker, so a
  // `link del` after `netns del` races with that and the link may still be there when we check.
  if (linkExists(h.veth)) await run(['ip', 'link', 'del', h.veth])
  if (netnsExists(h.netns)) await run(['ip', 'netns', 'del', h.netns])
}

interface IpAddrJson {
  ifname?: string
  addr_info?: { family?: string; local?: string; prefixlen?: number }[]
}
interface IpRouteJson {
  dst?: string
  dev?: string
}

/** IPv4 networks the controller already has an address in or a route to, except via `ignoreDev`. */
export async function controllerNetworks(ignoreDev?: string): Promise<Cidr[]> {
  const out: Cidr[] = []
  const addrs = JSON.parse((await run(['ip', '-j', '-4', 'addr', 'show'])).stdout || '[]') as IpAddrJson[]
  for (const link of addrs) {
    if (link.ifname === ignoreDev) continue
    for (const a of link.addr_info ?? []) {
      const c = a.local && parseCidr(`${a.local}/${a.prefixlen ?? 32}`)
      if (c && !a.local!.startsWith('127.')) out.push(c)
    }
  }
  const routes = JSON.parse((await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])).stdout || '[]') as IpRouteJson[]
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dev === ignoreDev || r.dev === 'lo') continue
    const c = parseCidr(r.dst)
    if (c && c.bits > 0) out.push(c)
  }
  return out
}
