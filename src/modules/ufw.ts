/**
 * ufw — manage the host's firewall with ufw: rules, default policies, logging, and whether the
 * firewall is on.
 *
 * A rule: `rule` allow/deny/limit/reject, `direction` in (default) or out, `interface` (alias
 * `if`) for that direction (`interface_in`/`interface_out` for routed rules, `route: true`),
 * `proto` any/tcp/udp/…, `from_ip` (aliases `from`, `src`; default any) with `from_port`,
 * `to_ip` (aliases `to`, `dest`; default any) with `to_port` (alias `port`: a number, a range
 * 8000:8010 or a list 22,80,443 — ranges and lists need proto tcp or udp), or `name` (alias
 * `app`) for an application profile, `log: true` to log matches, `comment`. `delete: true`
 * removes the rule. `insert: N` puts a new rule at position N (counted as `insert_relative_to`
 * says: zero, first-ipv4, last-ipv4, first-ipv6, last-ipv6); an existing rule is not moved.
 *
 * `default` (alias `policy`) allow/deny/reject sets the policy for `direction` incoming (default),
 * outgoing or routed. `logging` on/off/low/medium/high/full. `state`: enabled (`ufw --force
 * enable`, also when ufw is enabled in its configuration but its rules are not loaded), disabled,
 * reloaded (only when enabled), reset (only when there is something to reset: enabled, or rules).
 *
 * Idempotent against ufw's own records: the `### tuple ###` lines of /etc/ufw/user.rules and
 * user6.rules (addresses normalised as ufw does: 10.1.2.3/8 is 10.0.0.0/8, a /32 is the address),
 * ufw.conf and /etc/default/ufw. A rule without `comment` matches whatever comment the existing
 * rule has; with `comment`, a different comment is updated.
 *
 * Within one task the steps run in a safe order: reset/disable first, then policies, rules and
 * logging, and enabling last — a task that allows SSH and enables the firewall does not lock
 * itself out. Across tasks, allow SSH (22/tcp) in an earlier task than the one that enables.
 * Needs root (become: true) and the ufw package.
 *
 * Lock-out guard (not in Ansible's community.general.ufw): a task that leaves the firewall active
 * with an incoming policy of deny or reject, and enables it, changes that policy or deletes a rule,
 * is refused unless the port of the SSH connection rm-play is using (SSH_CONNECTION on the host:
 * the server port, from the controller's address) is allowed — by a rule already on the host
 * (an earlier task's, in a real run) or one added by the same task. The first user rule matching
 * that port, protocol tcp/any, source and destination decides (allow/limit: allowed); rules bound to
 * an interface count as matching. `--check` cannot see what earlier tasks would add: it reports
 * the change as uncertain and says the real run will refuse unless an earlier task allows the
 * port. `allow_lockout: true` turns the guard off for the task (for a console-only host, or a
 * deliberate cut-off). Over a local connection there is no SSH session to protect.
 *
 *   - ufw: { rule: allow, port: "22", proto: tcp }
 *   - ufw: { rule: allow, port: "{{ item }}", proto: tcp }
 *     loop: ["80", "443"]
 *   - ufw: { state: enabled, default: deny }
 */
import { ufwProbe, UFW_PRISTINE, type SshEndpoint, type UfwRule, type UfwState } from '../probes/ufw.js'
import { sh, type Script } from '../shell/index.js'
import { ModuleFailure, type Change, type HostModule, type StateOf } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

export type UfwArgs = ArgsOf<typeof schema>

// ---------- addresses, as ufw normalises them ----------

function ipv4Parts(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  return parts.every((p) => p <= 255) ? parts : undefined
}

function ipv6Groups(s: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return undefined
  let tail: number[] = []
  let text = s
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const p = ipv4Parts(v4[2]!)
    if (!p) return undefined
    tail = [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!]
    text = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1)
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9A-Fa-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)))
  const head = parse(halves[0]!)
  const rest = halves.length === 2 ? parse(halves[1]!) : []
  if ([...head, ...rest].some((g) => Number.isNaN(g))) return undefined
  const total = head.length + rest.length + tail.length
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined
  return [...head, ...new Array(8 - total).fill(0), ...rest, ...tail]
}

/** IPv6 text as glibc's inet_ntop writes it (what ufw stores): lower case, longest zero run as ::. */
export function formatIpv6(g: number[]): string {
  let best = { base: -1, len: 0 }
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > best.len) best = { base: i, len: j - i }
    i = j
  }
  if (best.len < 2) best = { base: -1, len: 0 }
  if (best.base === 0 && (best.len === 6 || (best.len === 5 && g[5] === 0xffff))) {
    const v4 = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`
    return best.len === 6 ? `::${v4}` : `::ffff:${v4}`
  }
  const out: string[] = []
  for (let i = 0; i < 8; i++) {
    if (i === best.base) {
      out.push(i === 0 ? ':' : '')
      i += best.len - 1
      if (i === 7) out.push('')
      continue
    }
    out.push(g[i]!.toString(16))
  }
  return out.join(':')
}

export type Family = 'v4' | 'v6' | 'any'

/** An address as ufw stores it, and its family; undefined when it is not an address. */
export function normalizeAddress(s: string): { addr: string; family: Family } | undefined {
  const t = s.trim()
  if (t === 'any' || t === '') return { addr: 'any', family: 'any' }
  const [host, mask, extra] = t.split('/')
  if (extra !== undefined || host === undefined) return undefined
  const v4 = ipv4Parts(host)
  if (v4) {
    let prefix = 32
    if (mask !== undefined) {
      if (/^\d{1,2}$/.test(mask)) prefix = Number(mask)
      else {
        const m = ipv4Parts(mask)
        if (!m) return undefined
        const bits = m.map((p) => p.toString(2).padStart(8, '0')).join('')
        if (!/^1*0*$/.test(bits)) return undefined
        prefix = bits.indexOf('0') < 0 ? 32 : bits.indexOf('0')
      }
    }
    if (prefix > 32) return undefined
    if (prefix === 0) return { addr: 'any', family: 'any' }
    if (prefix === 32) return { addr: v4.join('.'), family: 'v4' }
    const n = v4.reduce((a, p) => a * 256 + p, 0)
    const net = Math.floor(n / 2 ** (32 - prefix)) * 2 ** (32 - prefix)
    return { addr: `${[24, 16, 8, 0].map((sh) => Math.floor(net / 2 ** sh) % 256).join('.')}/${prefix}`, family: 'v4' }
  }
  const v6 = ipv6Groups(host)
  if (v6) {
    if (mask !== undefined && !/^\d{1,3}$/.test(mask)) return undefined
    const prefix = mask === undefined ? 128 : Number(mask)
    if (prefix > 128) return undefined
    if (prefix === 0) return { addr: 'any', family: 'any' }
    // ufw keeps host bits of IPv6 networks as they are (unlike IPv4).
    return { addr: prefix === 128 ? formatIpv6(v6) : `${formatIpv6(v6)}/${prefix}`, family: 'v6' }
  }
  return undefined
}

const PORT = /^\d{1,5}(:\d{1,5})?(,\d{1,5}(:\d{1,5})?)*$/

function portProblem(name: string, p: string | undefined, proto: string | undefined): string | undefined {
  if (p === undefined) return undefined
  if (!PORT.test(p) || p.split(/[,:]/).some((n) => Number(n) < 1 || Number(n) > 65535))
    return `${name} must be a port number (1-65535), a range like 8000:8010 or a list like 22,80,443; got '${p}'`
  if (/[,:]/.test(p) && proto !== 'tcp' && proto !== 'udp') return `${name} '${p}' is a range or list: ufw needs proto tcp or udp with it`
  return undefined
}

// ---------- the wanted rule ----------

export interface WantedRule {
  /** The rule in the shape of ufw's tuples (dst/src still 'any' where any). */
  rule: Omit<UfwRule, 'v6' | 'dst' | 'src'> & { dst: string; src: string }
  families: ('v4' | 'v6')[]
  /** The ufw command words after `ufw [delete] [insert N]`. */
  words: string[]
}

function directionOf(a: UfwArgs): 'in' | 'out' {
  return a.direction === 'out' || a.direction === 'outgoing' ? 'out' : 'in'
}

function wantedRule(a: UfwArgs, ipv6: boolean): WantedRule {
  const src = normalizeAddress(a.from_ip)
  const dst = normalizeAddress(a.to_ip)
  if (!src) throw new ModuleFailure(`from_ip '${a.from_ip}' is not an IPv4/IPv6 address or network`)
  if (!dst) throw new ModuleFailure(`to_ip '${a.to_ip}' is not an IPv4/IPv6 address or network`)
  if (src.family !== 'any' && dst.family !== 'any' && src.family !== dst.family)
    throw new ModuleFailure('from_ip and to_ip must be of the same family (IPv4 or IPv6)')
  const family = src.family !== 'any' ? src.family : dst.family
  const families: ('v4' | 'v6')[] = family === 'any' ? (ipv6 ? ['v4', 'v6'] : ['v4']) : [family]
  const dir = directionOf(a)
  let direction: string = dir
  const words: string[] = []
  if (a.route) words.push('route')
  words.push(a.rule!)
  if (a.route && (a.interface_in || a.interface_out)) {
    const parts: string[] = []
    if (a.interface_in) {
      words.push('in', 'on', a.interface_in)
      parts.push(`in_${a.interface_in}`)
    }
    if (a.interface_out) {
      words.push('out', 'on', a.interface_out)
      parts.push(`out_${a.interface_out}`)
    }
    direction = parts.join('!')
  } else {
    const iface = a.interface ?? a.interface_in ?? a.interface_out
    const d = a.interface_out && !a.interface_in ? 'out' : dir
    words.push(d)
    if (iface) {
      words.push('on', iface)
      direction = `${d}_${iface}`
    } else direction = d
  }
  if (a.log) words.push('log')
  const proto = a.proto ?? 'any'
  if (proto !== 'any') words.push('proto', proto)
  words.push('from', src.addr)
  if (a.from_port) words.push('port', a.from_port)
  words.push('to', dst.addr)
  if (a.name) words.push('app', a.name)
  else if (a.to_port) words.push('port', a.to_port)
  if (a.comment !== undefined) words.push('comment', a.comment)
  return {
    rule: {
      action: a.rule!,
      log: a.log ? 'log' : '',
      route: a.route,
      proto,
      dport: a.to_port ?? 'any',
      dst: dst.addr,
      sport: a.from_port ?? 'any',
      src: src.addr,
      dapp: a.name ?? '',
      sapp: '',
      direction,
      comment: a.comment ?? '',
    },
    families,
    words,
  }
}

function concrete(addr: string, v6: boolean): string {
  return addr === 'any' ? (v6 ? '::/0' : '0.0.0.0/0') : addr
}

/** Whether an existing rule is the wanted one (comment aside; with an app, the app's proto/port are ufw's business). */
function sameRule(r: UfwRule, w: WantedRule['rule'], v6: boolean): boolean {
  if (r.v6 !== v6) return false
  if (r.action !== w.action || r.log !== w.log || r.route !== w.route || r.direction !== w.direction) return false
  if (r.dst !== concrete(w.dst, v6) || r.src !== concrete(w.src, v6) || r.sport !== w.sport || r.dapp !== w.dapp || r.sapp !== w.sapp) return false
  if (w.dapp) return true
  return r.proto === w.proto && r.dport === w.dport
}

/** The absolute `ufw insert` position, following Ansible's insert_relative_to; undefined to append. */
export function insertPosition(a: Pick<UfwArgs, 'insert' | 'insert_relative_to'>, rules: UfwRule[]): number | undefined {
  if (a.insert === undefined) return undefined
  const v4 = rules.filter((r) => !r.v6).length
  const v6 = rules.filter((r) => r.v6).length
  const total = v4 + v6
  let relative = 0
  switch (a.insert_relative_to) {
    case 'zero':
      relative = 0
      break
    case 'first-ipv4':
      relative = 1
      break
    case 'last-ipv4':
      relative = v4 ? v4 : 1
      break
    case 'first-ipv6':
      relative = v4 + 1
      break
    case 'last-ipv6':
      relative = v6 ? total : total + 1
      break
  }
  const pos = a.insert + relative
  // ufw refuses a position past the end: such a rule is simply appended.
  return pos < 1 || pos > total ? undefined : pos
}

// ---------- describing state for diffs ----------

function ruleText(r: UfwRule): string {
  const parts = [`${r.route ? 'route ' : ''}${r.action}${r.log ? ` ${r.log}` : ''}`, r.direction.replace(/_/g, ' on ').replace('!', ' ')]
  if (r.proto !== 'any') parts.push(r.proto)
  const addr = (a: string) => (a === '0.0.0.0/0' || a === '::/0' ? 'any' : a)
  parts.push(`from ${addr(r.src)}${r.sport !== 'any' ? ` port ${r.sport}` : ''}${r.sapp ? ` app ${r.sapp}` : ''}`)
  parts.push(`to ${addr(r.dst)}${r.dapp ? ` app ${r.dapp}` : r.dport !== 'any' ? ` port ${r.dport}` : ''}`)
  if (r.v6) parts.push('(v6)')
  if (r.comment) parts.push(`# ${r.comment}`)
  return parts.join(' ')
}

function statusText(s: UfwState): string {
  return `status: ${s.enabled ? (s.loaded ? 'active' : 'enabled (not loaded)') : 'inactive'}\n`
}

function rulesText(rules: UfwRule[]): string {
  return rules.length ? rules.map((r) => `${ruleText(r)}\n`).join('') : '(no rules)\n'
}

// ---------- the plan ----------

function cmd(words: string[]): Script {
  return sh`PATH="$PATH:/usr/sbin:/sbin" ufw ${words}`
}

// ---------- the lock-out guard ----------

function v4Number(a: string): number | undefined {
  const p = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a)
  return p ? p.slice(1).reduce((n, x) => n * 256 + Number(x), 0) : undefined
}

/** Whether a rule's address (as ufw stores it) covers `ip`. IPv6 networks other than any: exact only. */
export function addressCovers(ruleAddr: string, ip: string): boolean {
  if (ruleAddr === 'any' || ruleAddr === '0.0.0.0/0' || ruleAddr === '::/0') return true
  const [net, bits] = ruleAddr.split('/')
  if (bits === undefined) return net!.toLowerCase() === ip.toLowerCase()
  const n = v4Number(net!)
  const x = v4Number(ip)
  if (n === undefined || x === undefined) return false
  const size = 2 ** (32 - Number(bits))
  return Math.floor(n / size) === Math.floor(x / size)
}

/** Whether a ufw port field (any, 22, 8000:8010, 22,80,443) covers `port`. */
export function portCovers(field: string, port: number): boolean {
  if (field === 'any') return true
  return field.split(',').some((p) => {
    const [lo, hi] = p.split(':').map(Number)
    return hi === undefined ? lo === port : port >= lo! && port <= hi
  })
}

/** Whether the user rules let a new connection to this SSH endpoint in: the first matching rule decides. */
export function sshAllowed(rules: UfwRule[], ssh: SshEndpoint): boolean {
  const v6 = ssh.server.includes(':')
  for (const r of rules) {
    if (r.v6 !== v6 || r.route || !(r.direction === 'in' || r.direction.startsWith('in_'))) continue
    if (r.proto !== 'any' && r.proto !== 'tcp') continue
    if (!portCovers(r.dport, ssh.port) || !addressCovers(r.src, ssh.client) || !addressCovers(r.dst, ssh.server)) continue
    return r.action === 'allow' || r.action === 'limit'
  }
  return false
}

const POLICY_DIR: Record<string, 'incoming' | 'outgoing' | 'routed'> = {
  in: 'incoming',
  incoming: 'incoming',
  out: 'outgoing',
  outgoing: 'outgoing',
  routed: 'routed',
}

const probes = () => ({ ufw: ufwProbe })

export function planUfw(a: UfwArgs, state: StateOf<ReturnType<typeof probes>>): Change[] {
  let s = state.ufw
  let note = ''
  // Not installed yet (an earlier task may install it): planned against a fresh ufw, needing it.
  const needs = s.installed ? undefined : { msg: 'ufw is not installed (apt: name=ufw)' }
  if (!s.installed) {
    s = UFW_PRISTINE
    note = ' — ufw is not installed yet'
  } else if (!s.readable) {
    throw new ModuleFailure('cannot read /etc/ufw: ufw needs root (become: true)')
  }
  const changes: Change[] = []
  const add = (c: Change) => changes.push(needs ? { ...c, summary: c.summary + note, needs } : c)
  /** Changes that can cut off new SSH connections if the firewall ends up active (index into changes). */
  const risky: number[] = []
  // The state as it will be after the changes so far (reset empties the rules, for example).
  let cur: UfwState = { ...s, policies: { ...s.policies }, rules: [...s.rules] }

  if (a.state === 'reset' && (cur.enabled || cur.loaded || cur.rules.length)) {
    const after: UfwState = { ...cur, enabled: false, loaded: false, rules: [] }
    add({
      summary: `reset ufw (${cur.rules.length} rule${cur.rules.length === 1 ? '' : 's'}${cur.enabled ? ', disable' : ''})`,
      steps: [{ kind: 'exec', script: cmd(['--force', 'reset']) }],
      diff: { before: statusText(cur) + rulesText(cur.rules), after: statusText(after) + rulesText(after.rules) },
    })
    cur = after
  }
  if (a.state === 'disabled' && (cur.enabled || cur.loaded)) {
    const after: UfwState = { ...cur, enabled: false, loaded: false }
    add({ summary: 'disable ufw', steps: [{ kind: 'exec', script: cmd(['disable']) }], diff: { before: statusText(cur), after: statusText(after) } })
    cur = after
  }
  if (a.default !== undefined) {
    const dir = POLICY_DIR[a.direction ?? 'incoming'] ?? 'incoming'
    if (cur.policies[dir] !== a.default) {
      if (dir === 'incoming') risky.push(changes.length)
      add({
        summary: `default ${a.default} ${dir}`,
        steps: [{ kind: 'exec', script: cmd(['default', a.default, dir]) }],
        diff: { before: `default ${dir}: ${cur.policies[dir]}\n`, after: `default ${dir}: ${a.default}\n` },
      })
      cur = { ...cur, policies: { ...cur.policies, [dir]: a.default } }
    }
  }
  if (a.rule !== undefined) {
    const w = wantedRule(a, cur.ipv6)
    const present = w.families.map((f) => cur.rules.find((r) => sameRule(r, w.rule, f === 'v6')))
    const shown = ruleText({ ...w.rule, dst: w.rule.dst, src: w.rule.src, v6: false }).replace(/ from any to any$/, '')
    if (a.delete) {
      if (present.some(Boolean)) {
        const rules = cur.rules.filter((r) => !w.families.some((f) => sameRule(r, w.rule, f === 'v6')))
        risky.push(changes.length)
        add({
          summary: `delete rule: ${shown}`,
          steps: [{ kind: 'exec', script: cmd(['delete', ...wantedRule({ ...a, comment: undefined }, cur.ipv6).words]) }],
          diff: { before: rulesText(cur.rules), after: rulesText(rules) },
        })
        cur = { ...cur, rules }
      }
    } else {
      const missing = present.some((r) => !r)
      const commentDiffers = !missing && a.comment !== undefined && present.some((r) => r!.comment !== a.comment)
      if (missing || commentDiffers) {
        const pos = missing ? insertPosition(a, cur.rules) : undefined
        const words = pos !== undefined ? ['insert', String(pos), ...w.words] : w.words
        const added = w.families.map((f) => ({ ...w.rule, dst: concrete(w.rule.dst, f === 'v6'), src: concrete(w.rule.src, f === 'v6'), v6: f === 'v6' }))
        const kept = cur.rules.filter((r) => !w.families.some((f) => sameRule(r, w.rule, f === 'v6')))
        const rules = [...kept, ...added].sort((x, y) => Number(x.v6) - Number(y.v6))
        add({
          summary: `${missing ? 'add' : 'update comment of'} rule: ${shown}${pos !== undefined ? ` (at ${pos})` : ''}`,
          steps: [{ kind: 'exec', script: cmd(words) }],
          diff: { before: rulesText(cur.rules), after: rulesText(rules) },
        })
        cur = { ...cur, rules }
      }
    }
  }
  if (a.logging !== undefined) {
    const ok = a.logging === 'on' ? cur.logLevel !== 'off' : cur.logLevel === a.logging
    if (!ok) {
      const level = a.logging === 'on' ? 'low' : a.logging
      add({
        summary: `logging ${a.logging}`,
        steps: [{ kind: 'exec', script: cmd(['logging', a.logging]) }],
        diff: { before: `logging: ${cur.logLevel}\n`, after: `logging: ${level}\n` },
      })
      cur = { ...cur, logLevel: level }
    }
  }
  if (a.state === 'enabled' && !(cur.enabled && cur.loaded)) {
    const after: UfwState = { ...cur, enabled: true, loaded: true }
    risky.push(changes.length)
    add({
      summary: cur.enabled ? 'start ufw (enabled, but its rules are not loaded)' : 'enable ufw',
      steps: [{ kind: 'exec', script: cmd(['--force', 'enable']) }],
      diff: { before: statusText(cur), after: statusText(after) },
    })
    cur = after
  }
  if (a.state === 'reloaded' && cur.enabled) {
    add({ summary: 'reload ufw', steps: [{ kind: 'exec', script: cmd(['reload']) }] })
  }
  const ssh = state.ufw.ssh
  if (risky.length && cur.enabled && cur.policies.incoming !== 'allow' && ssh && !a.allow_lockout && !sshAllowed(cur.rules, ssh)) {
    const why = `no rule allows the port of this SSH connection (${ssh.port}/tcp from ${ssh.client}) and the incoming policy is ${cur.policies.incoming}: new SSH connections would be cut off`
    const fix = `allow it first (ufw: { rule: allow, port: "${ssh.port}", proto: tcp }) in this task or an earlier one, or set allow_lockout: true`
    const i = risky[risky.length - 1]!
    changes[i] = {
      ...changes[i]!,
      summary: `${changes[i]!.summary} — a real run refuses this unless an earlier task allows ${ssh.port}/tcp: ${why}`,
      needs: { msg: `refusing to ${changes[i]!.summary}: ${why}; ${fix}` },
    }
  }
  return changes
}

const schema = {
  options: {
    state: {
      type: 'str',
      choices: ['enabled', 'disabled', 'reloaded', 'reset'],
      doc: 'enabled, disabled, reloaded (when enabled) or reset (when there is something to reset).',
    },
    default: { type: 'str', choices: ['allow', 'deny', 'reject'], aliases: ['policy'], doc: 'Default policy for `direction` (incoming unless given).' },
    logging: { type: 'str', choices: ['on', 'off', 'low', 'medium', 'high', 'full'], doc: 'Log level (on: low unless already logging).' },
    direction: {
      type: 'str',
      choices: ['in', 'incoming', 'out', 'outgoing', 'routed'],
      doc: 'Direction of a rule (in/out) or of a default policy (incoming/outgoing/routed).',
    },
    delete: { type: 'bool', default: false, doc: 'Delete the rule.' },
    insert: { type: 'int', doc: 'Insert a new rule at this position (counted from 1, see insert_relative_to).' },
    insert_relative_to: {
      type: 'str',
      default: 'zero',
      choices: ['zero', 'first-ipv4', 'last-ipv4', 'first-ipv6', 'last-ipv6'],
      doc: 'What insert counts from.',
    },
    rule: { type: 'str', choices: ['allow', 'deny', 'limit', 'reject'], doc: 'Add (or with delete, remove) a rule with this action.' },
    log: { type: 'bool', default: false, doc: 'Log new connections matching the rule.' },
    from_ip: { type: 'str', default: 'any', aliases: ['from', 'src'], doc: 'Source address or network.' },
    from_port: { type: 'str', doc: 'Source port.' },
    to_ip: { type: 'str', default: 'any', aliases: ['to', 'dest'], doc: 'Destination address or network.' },
    to_port: { type: 'str', aliases: ['port'], doc: 'Destination port, range (8000:8010) or list (22,80).' },
    proto: { type: 'str', choices: ['any', 'tcp', 'udp', 'ipv6', 'esp', 'ah', 'gre', 'igmp'], aliases: ['protocol'], doc: 'Protocol (default any).' },
    name: { type: 'str', aliases: ['app'], doc: 'Application profile from /etc/ufw/applications.d (instead of proto/port).' },
    comment: { type: 'str', doc: 'Comment of the rule.' },
    interface: { type: 'str', aliases: ['if'], doc: 'Interface the rule applies to (for its direction).' },
    interface_in: { type: 'str', aliases: ['if_in'], doc: 'Incoming interface (routed rules; or an "in on" rule).' },
    interface_out: { type: 'str', aliases: ['if_out'], doc: 'Outgoing interface (routed rules; or an "out on" rule).' },
    route: { type: 'bool', default: false, doc: 'A routed (forwarded traffic) rule.' },
    allow_lockout: {
      type: 'bool',
      default: false,
      doc: 'Enable (or tighten) the firewall even though no rule allows the port of the current SSH connection (not in Ansible).',
    },
  },
  requiredOneOf: [['state', 'default', 'rule', 'logging']],
  mutuallyExclusive: [
    ['name', 'proto', 'logging'],
    ['interface', 'interface_in'],
    ['interface', 'interface_out'],
    ['name', 'to_port'],
  ],
} as const satisfies Schema

export const ufw: HostModule<UfwArgs, UfwArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'ufw',
  doc: 'Manage the firewall with ufw: rules, default policies, logging, enabled/disabled.',
  args: schema,
  returns: {},
  validate(a) {
    const out: string[] = []
    const literal = (v: unknown): v is string => typeof v === 'string' && !v.includes('{{')
    const proto = typeof a.proto === 'string' ? a.proto : undefined
    for (const [k, v] of [
      ['to_port', a.to_port],
      ['from_port', a.from_port],
    ] as const) {
      if (literal(v)) {
        const p = portProblem(k, v, proto)
        if (p) out.push(p)
      }
    }
    for (const [k, v] of [
      ['from_ip', a.from_ip],
      ['to_ip', a.to_ip],
    ] as const)
      if (literal(v) && !normalizeAddress(v)) out.push(`${k} '${v}' is not an IPv4/IPv6 address or network`)
    if (
      a.rule === undefined &&
      (a.delete ||
        a.insert !== undefined ||
        a.to_port !== undefined ||
        a.from_port !== undefined ||
        a.name !== undefined ||
        a.comment !== undefined ||
        a.proto !== undefined ||
        a.route)
    )
      out.push('rule options (port, proto, from/to, name, comment, insert, delete, route) need `rule`')
    if (a.direction === 'routed' && a.rule !== undefined) out.push('direction=routed is for default policies; a routed rule is `route: true`')
    if (a.rule !== undefined && !a.route && a.interface_in !== undefined && a.interface_out !== undefined)
      out.push('interface_in together with interface_out needs route: true')
    if (a.rule !== undefined && (a.direction === 'in' || a.direction === 'incoming') && a.interface_out !== undefined && !a.route)
      out.push('interface_out contradicts direction in')
    if (a.rule !== undefined && (a.direction === 'out' || a.direction === 'outgoing') && a.interface_in !== undefined && !a.route)
      out.push('interface_in contradicts direction out')
    if (typeof a.insert === 'number' && a.insert < 0) out.push('insert must be 0 or more')
    if (typeof a.comment === 'string' && /[\n\r]/.test(a.comment)) out.push('comment must be one line')
    return out
  },
  probes,
  plan: planUfw,
}
