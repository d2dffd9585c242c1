// Ansible host patterns, for `hosts:` and --limit: names, groups, `all`/`*`, globs (web*),
// regexes (~web\d+), slices (web[0], web[1:3], web[-1]), unions (a:b, a,b), intersections (a:&b)
// and exclusions (a:!b). Unions are taken first, then intersections, then exclusions.
import { readFileSync } from 'node:fs'
import { RmError } from './errors.js'
import type { Inventory } from './inventory.js'

/** fnmatch's translation: `*`, `?`, `[seq]` and `[!seq]`, the whole name. */
function globRe(p: string): RegExp {
  return new RegExp(
    `^${p
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\[!/g, '[^')
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

// Ansible's PATTERN_WITH_SUBSCRIPT: web[1], web[-1], web[1:3], web[2:] (web[1-3] is the old form).
const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+)([:-])(\d*))\]$/

/**
 * Ansible's _apply_subscript, quirks included: the end is inclusive, a missing end is the last
 * host, an end of 0 selects the start alone, and a single index past the end is an error.
 */
function subscript(hosts: string[], pattern: string, m: RegExpExecArray): string[] {
  if (hosts.length === 0) return hosts
  const at = (i: number) => (i < 0 ? hosts.length + i : i)
  if (m[2] !== undefined) {
    const h = hosts[at(parseInt(m[2], 10))]
    if (h === undefined)
      throw new RmError(`no hosts matched the subscripted pattern '${pattern}'`, undefined, `it selects ${hosts.length} host(s), numbered from 0`)
    return [h]
  }
  const start = parseInt(m[3]!, 10)
  const end = m[5] === '' ? hosts.length - 1 : parseInt(m[5]!, 10)
  if (end === 0) return hosts[at(start)] === undefined ? [] : [hosts[at(start)]!]
  return hosts.slice(start, end + 1)
}

/** Hosts a name or glob or ~regex matches among the inventory's hosts (never the implicit localhost). */
function matchingHosts(inv: Inventory, re: RegExp): string[] {
  return [...inv.hosts.keys()].filter((h) => re.test(h) && !isImplicit(inv, h))
}

const isImplicit = (inv: Inventory, h: string) => h === 'localhost' && inv.hosts.get(h)!.groups.size === 0

/**
 * Ansible's _enumerate_matches: every group the expression names (its hosts in the group's order),
 * then, for a glob or regex or a name no group has, the hosts it names; duplicates stay until the
 * subscript is applied, as in Ansible.
 */
function enumerate(inv: Inventory, expr: string): string[] {
  const re = expr.startsWith('~') ? new RegExp(`^(?:${expr.slice(1)})`) : globRe(expr)
  const groups = [...inv.groups.keys()].filter((g) => re.test(g))
  const out = groups.flatMap((g) => inv.hostsOf(g))
  if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) out.push(...matchingHosts(inv, re))
  // the implicit localhost by its name (Ansible also makes one named 127.0.0.1 or ::1: rm-play does not)
  if (out.length === 0 && expr === 'localhost' && inv.hosts.has('localhost')) out.push('localhost')
  return out
}

/** Hosts one term names (no operator prefix), subscript applied. */
function term(inv: Inventory, t: string): string[] {
  const m = t.startsWith('~') ? null : SUBSCRIPT.exec(t)
  return m ? subscript(enumerate(inv, m[1]!), t, m) : enumerate(inv, t)
}

/**
 * The hosts a pattern selects, in Ansible's order (InventoryManager.get_hosts): the plain terms in
 * the order given (each in its group's order), then `&` intersections, then `!` exclusions; a
 * pattern of only those starts from all. Unknown names select nothing (see unmatchedTerms); a
 * subscript past the end is an error.
 */
export function matchHosts(inv: Inventory, pattern: string | string[]): string[] {
  const terms = (Array.isArray(pattern) ? pattern.flatMap(splitPattern) : splitPattern(pattern)).flatMap((t) =>
    t.startsWith('@')
      ? readFileSync(t.slice(1), 'utf8')
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean)
      : [t],
  )
  const plain = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))
  let hosts: string[] = []
  for (const t of plain.length ? plain : ['all']) {
    if (inv.hosts.has(t) && !isImplicit(inv, t)) hosts.push(t)
    else {
      const have = new Set(hosts)
      hosts.push(...term(inv, t).filter((h) => !have.has(h)))
    }
  }
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = new Set(term(inv, t.slice(1)))
    hosts = hosts.filter((h) => keep.has(h))
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) {
    const drop = new Set(term(inv, t.slice(1)))
    hosts = hosts.filter((h) => !drop.has(h))
  }
  return [...new Set(hosts)]
}

/** Terms that match no host or group: worth a warning, as Ansible gives. */
export function unmatchedTerms(inv: Inventory, pattern: string): string[] {
  return splitPattern(pattern)
    .map((t) => t.replace(/^[&!]/, ''))
    .filter((t) => !t.startsWith('@') && term(inv, t).length === 0 && !inv.groups.has(t))
}
