// ufw's state in one read: ufw.conf (enabled, log level), /etc/default/ufw (policies, IPv6), the
// rules ufw itself keeps as `### tuple ###` lines in user.rules/user6.rules (exact, unlike the
// status text), and whether ufw's chains are loaded in the kernel.
import type { Probe, ProbeOutput } from '../contract/types.js'
import { code } from '../shell/index.js'
import { sections } from './output.js'

export type UfwAction = 'allow' | 'deny' | 'reject' | 'limit'

/** One rule as ufw records it: `### tuple ### ACTION PROTO DPORT DST SPORT SRC [DAPP SAPP] DIRECTION [comment=HEX]`. */
export interface UfwRule {
  action: UfwAction
  /** '' | 'log' | 'log-all' */
  log: string
  route: boolean
  proto: string
  dport: string
  dst: string
  sport: string
  src: string
  /** Application profile names ('' when none); spaces are %20 in the file. */
  dapp: string
  sapp: string
  /** in, out, in_IFACE, out_IFACE, or in_IF1!out_IF2 for routed rules. */
  direction: string
  comment: string
  v6: boolean
}

export type Policy = 'allow' | 'deny' | 'reject'

export interface UfwState {
  installed: boolean
  /** /etc/ufw is readable (ufw needs root). */
  readable: boolean
  /** ENABLED=yes in ufw.conf (what `ufw status` reports). */
  enabled: boolean
  /** ufw's chains exist in the kernel (an enabled firewall that was never started has none). */
  loaded: boolean
  logLevel: string
  ipv6: boolean
  policies: { incoming: Policy; outgoing: Policy; routed: Policy }
  rules: UfwRule[]
  /** The SSH connection the probe ran over (SSH_CONNECTION of the session); undefined without one. */
  ssh?: SshEndpoint
}

export interface SshEndpoint {
  client: string
  server: string
  port: number
}

export const UFW_PRISTINE: UfwState = {
  installed: true,
  readable: true,
  enabled: false,
  loaded: false,
  logLevel: 'low',
  ipv6: true,
  policies: { incoming: 'deny', outgoing: 'allow', routed: 'deny' },
  rules: [],
}

function hexDecode(h: string): string {
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) return h
  return Buffer.from(h, 'hex').toString('utf8')
}

/** Parses one `### tuple ###` line; undefined for anything else. */
export function parseTuple(line: string, v6: boolean): UfwRule | undefined {
  const m = /^### tuple ### (.*)$/.exec(line.trim())
  if (!m) return undefined
  const f = m[1]!.trim().split(/\s+/)
  let comment = ''
  if (f.length && f[f.length - 1]!.startsWith('comment=')) comment = hexDecode(f.pop()!.slice('comment='.length))
  if (f.length !== 7 && f.length !== 9) return undefined
  let act = f[0]!
  const route = act.startsWith('route:')
  if (route) act = act.slice('route:'.length)
  const [action, log = ''] = act.split('_', 2) as [string, string?]
  if (!['allow', 'deny', 'reject', 'limit'].includes(action)) return undefined
  const apps = f.length === 9
  const app = (s: string) => (s === '-' ? '' : s.replace(/%20/g, ' '))
  return {
    action: action as UfwAction,
    log,
    route,
    proto: f[1]!,
    dport: f[2]!,
    dst: f[3]!,
    sport: f[4]!,
    src: f[5]!,
    dapp: apps ? app(f[6]!) : '',
    sapp: apps ? app(f[7]!) : '',
    direction: f[apps ? 8 : 6]!,
    comment,
    v6,
  }
}

const POLICY: Record<string, Policy> = { ACCEPT: 'allow', DROP: 'deny', REJECT: 'reject' }

/** KEY=value lines of a shell-style config file (quotes removed). */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m)
      out[m[1]!] = m[2]!
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .replace(/^'(.*)'$/, '$1')
  }
  return out
}

/** `client_ip client_port server_ip server_port`, as sshd sets SSH_CONNECTION; IPv4-mapped IPv6 as IPv4. */
export function parseSshConnection(text: string): SshEndpoint | undefined {
  const f = text.trim().split(/\s+/)
  if (f.length !== 4 || !/^\d+$/.test(f[3]!)) return undefined
  const plain = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')
  return { client: plain(f[0]!), server: plain(f[2]!), port: Number(f[3]) }
}

export function parseUfwState(out: ProbeOutput): UfwState {
  const s = sections(out.stdout)
  const head = s.get('') ?? ''
  const ssh = parseSshConnection(s.get('ssh') ?? '')
  if (/installed=no/.test(head)) return { ...UFW_PRISTINE, installed: false, ...(ssh ? { ssh } : {}) }
  if (!/installed=yes/.test(head)) throw new Error(`unexpected output: ${out.stdout.slice(0, 200)}`)
  const conf = parseShellVars(s.get('ufw.conf') ?? '')
  const def = parseShellVars(s.get('default') ?? '')
  const rules: UfwRule[] = []
  for (const [name, v6] of [
    ['user.rules', false],
    ['user6.rules', true],
  ] as const) {
    for (const line of (s.get(name) ?? '').split('\n')) {
      const r = parseTuple(line, v6)
      if (r) rules.push(r)
    }
  }
  return {
    installed: true,
    readable: !/unreadable/.test(head),
    enabled: (conf.ENABLED ?? 'no').toLowerCase() === 'yes',
    loaded: (s.get('loaded') ?? '').trim() === 'yes',
    logLevel: conf.LOGLEVEL ?? 'low',
    ipv6: (def.IPV6 ?? 'yes').toLowerCase() === 'yes',
    policies: {
      incoming: POLICY[def.DEFAULT_INPUT_POLICY ?? 'DROP'] ?? 'deny',
      outgoing: POLICY[def.DEFAULT_OUTPUT_POLICY ?? 'ACCEPT'] ?? 'allow',
      routed: POLICY[def.DEFAULT_FORWARD_POLICY ?? 'DROP'] ?? 'deny',
    },
    rules,
    ...(ssh ? { ssh } : {}),
  }
}

// SSH_CONNECTION of the session: under sudo the environment is reset, so it is read from the
// nearest ancestor process that has it (the login shell sshd started).
const SCRIPT = code(`
ssh=
p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
  ssh=$(tr '\\0' '\\n' < "/proc/$p/environ" 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
  [ -n "$ssh" ] && break
  p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
done
if ! command -v ufw >/dev/null 2>&1 && [ ! -x /usr/sbin/ufw ]; then echo installed=no; echo @@ssh; printf '%s\\n' "$ssh"; exit 0; fi
echo installed=yes
[ -r /etc/ufw/user.rules ] || echo unreadable
echo @@ufw.conf; cat /etc/ufw/ufw.conf
echo @@default; cat /etc/default/ufw
echo @@user.rules; grep '^### tuple ###' /etc/ufw/user.rules
echo @@user6.rules; grep '^### tuple ###' /etc/ufw/user6.rules
echo @@loaded; if PATH="$PATH:/usr/sbin:/sbin" iptables -n -L ufw-user-input >/dev/null 2>&1; then echo yes; else echo no; fi
echo @@ssh; printf '%s\\n' "$ssh"
exit 0
`)

export const ufwProbe: Probe<UfwState> = { id: 'ufw:state', script: SCRIPT, parse: parseUfwState }
