// The lab's /24: 10.231.X.0/24, X picked from the lab name so the same lab gets the same addresses
// on every machine, moved on when another lab or a route of the controller already covers it.

export const NETWORK_PREFIX = '10.231'
const FIRST_HOST_OCTET = 10

export interface Cidr {
  base: number // address as an unsigned 32-bit number
  bits: number
}

export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  if (parts.some((p) => p > 255)) return undefined
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText] = text.split('/')
  const ip = parseIPv4(addr ?? '')
  const bits = bitsText === undefined ? 32 : Number(bitsText)
  if (ip === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined
  return { base: (ip & mask(bits)) >>> 0, bits }
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits)
  return (a.base & mask(bits)) >>> 0 === (b.base & mask(bits)) >>> 0
}

/** FNV-1a: stable across Node versions and machines, unlike anything seeded. */
function nameHash(name: string): number {
  let h = 0x811c9dc5
  for (const c of Buffer.from(name)) {
    h ^= c
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export function subnetOf(third: number): string {
  return `${NETWORK_PREFIX}.${third}.0/24`
}

/**
 * The first free /24 starting at the name's own slot. `inUse` are CIDRs already taken (other labs'
 * subnets, the controller's addresses and routes, without the default route).
 */
export function pickSubnet(name: string, inUse: Cidr[]): string | undefined {
  const start = nameHash(name) % 254
  for (let i = 0; i < 254; i++) {
    const third = ((start + i) % 254) + 1
    const candidate = parseCidr(subnetOf(third))!
    if (!inUse.some((c) => cidrOverlaps(c, candidate))) return subnetOf(third)
  }
  return undefined
}

/** "10.231.7.0/24" → "10.231.7" */
function stem(subnet: string): string {
  return subnet.split('/')[0]!.split('.').slice(0, 3).join('.')
}

export function bridgeAddress(subnet: string): string {
  return `${stem(subnet)}.1`
}

export function hostAddress(subnet: string, index: number): string {
  return `${stem(subnet)}.${FIRST_HOST_OCTET + index}`
}

/** Only /24s are supported: the host numbering and the inventory assume it. */
export function subnetProblem(text: string): string | undefined {
  const c = parseCidr(text)
  if (!c || c.bits !== 24 || !text.endsWith('.0/24')) return `invalid subnet '${text}': expected a /24 such as 10.231.5.0/24`
  return undefined
}
