// Ansible host patterns, for `hosts:` and --limit: names, groups, `all`/`*`, globs (web*),
// regexes (~web\d+), slices (web[0], web[1:3], web[-1]), unions (a:b, a,b), intersections (a:&b)
// and exclusions (a:!b). Unions are taken first, then intersections, then exclusions.
import { readFileSync } from 'node:fs'
import type { Inventory } from './inventory.js'

function globRe(p: string): RegExp {
  return new RegExp(
    `^${p
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
}

/** Splits on `:` and `,` but not inside [..] slices or IPv6-ish brackets. */
export function splitPattern(pattern: string): string[] {
  const out: string[] = []
  let cur = ''
  let depth = 0
  for (const c of pattern) {
    if (c === '[') depth++
    if (c === ']') depth--
    if ((c === ':' || c === ',') && depth === 0) {
      if (cur.trim()) out.push(cur.trim())
      cur = ''
    } else cur += c
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

function slice(hosts: string[], spec: string): string[] {
  const m = /^(-?\d*)(?::(-?\d*))?$/.exec(spec)
  if (!m) return []
  const n = hosts.length
  const idx = (s: string, d: number) => (s === '' ? d : parseInt(s, 10) < 0 ? n + parseInt(s, 10) : parseInt(s, 10))
  if (m[2] === undefined) {
    const i = idx(m[1]!, 0)
    return hosts[i] !== undefined ? [hosts[i]!] : []
  }
  // Ansible's slices include the end index.
  return hosts.slice(idx(m[1]!, 0), idx(m[2], n - 1) + 1)
}

/** Hosts one term names (no operator prefix). */
function term(inv: Inventory, t: string): string[] {
  const sm = /^(.*)\[([-\d:]+)\]$/.exec(t)
  if (sm && !t.startsWith('~')) return slice(term(inv, sm[1]!), sm[2]!)
  if (t === 'all' || t === '*') return inv.hostsOf('all')
  if (t.startsWith('~')) {
    const re = new RegExp(t.slice(1))
    return [...inv.hosts.keys()].filter((h) => re.test(h) && (h !== 'localhost' || inv.hostsOf('all').includes(h)))
  }
  if (inv.groups.has(t)) return inv.hostsOf(t)
  if (inv.hosts.has(t)) return [t]
  if (/[*?]/.test(t)) {
    const re = globRe(t)
    const groups = [...inv.groups.keys()].filter((g) => re.test(g))
    // the implicit localhost only by its name; one the inventory lists, by a glob too (as Ansible)
    const hosts = [...inv.hosts.keys()].filter((h) => re.test(h) && (h !== 'localhost' || inv.hostsOf('all').includes(h)))
    return [...new Set([...groups.flatMap((g) => inv.hostsOf(g)), ...hosts])]
  }
  return []
}

/** The hosts a pattern selects, in inventory order. Unknown names select nothing (see unmatchedTerms). */
export function matchHosts(inv: Inventory, pattern: string | string[]): string[] {
  const terms = (Array.isArray(pattern) ? pattern.flatMap(splitPattern) : splitPattern(pattern)).flatMap((t) =>
    t.startsWith('@')
      ? readFileSync(t.slice(1), 'utf8')
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean)
      : [t],
  )
  let set = new Set<string>()
  for (const t of terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))) for (const h of term(inv, t)) set.add(h)
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = new Set(term(inv, t.slice(1)))
    set = new Set([...set].filter((h) => keep.has(h)))
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) for (const h of term(inv, t.slice(1))) set.delete(h)
  const order = [...inv.hosts.keys()]
  return order.filter((h) => set.has(h))
}

/** Terms that match no host or group: worth a warning, as Ansible gives. */
export function unmatchedTerms(inv: Inventory, pattern: string): string[] {
  return splitPattern(pattern)
    .map((t) => t.replace(/^[&!]/, ''))
    .filter((t) => !t.startsWith('@') && term(inv, t).length === 0 && !inv.groups.has(t))
}
