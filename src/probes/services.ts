// Service state on systemd and on sysv-init hosts, detected per host in the same script: running
// (systemctl show / the init script's LSB status code), enabled (unit file state / rc?.d links),
// masked and whether systemd wants a daemon-reload.
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { pairs } from './output.js'

export type InitSystem = 'systemd' | 'sysvinit'

export interface ServiceState {
  init: InitSystem
  name: string
  exists: boolean
  /** undefined: the service cannot tell (a sysv script without status, and no pattern). */
  running?: boolean
  enabled: boolean
  /** systemd: is-enabled's word (enabled, disabled, static, masked, generated, ...). */
  unitFileState?: string
  masked?: boolean
  needDaemonReload?: boolean
  /** systemd: the `systemctl show` properties read. */
  properties?: Record<string, string>
  /** sysv: the init script's status exit code (LSB: 0 running, 1-3 not running, 4 unknown). */
  statusCode?: number
  /** sysv: the rc?.d links that point at the script. */
  links?: string[]
}

/** A shell test that is true when the host booted with systemd (the check sd_booted(3) makes). */
export const SYSTEMD_BOOTED: Script = code('[ -d /run/systemd/system ]')

const SHOW = ['Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'NeedDaemonReload', 'MainPID', 'Description', 'FragmentPath']

/** systemd's is-enabled words that mean "starts at boot" (its exit code 0). */
const ENABLED_WORDS = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated'])

export function serviceProbeId(name: string, pattern?: string, scope = 'system'): string {
  return `service:${JSON.stringify([name, pattern ?? '', scope])}`
}

function serviceProbeScript(name: string, pattern?: string, scope = 'system'): Script {
  const ctl = scope === 'user' ? code('systemctl --user') : scope === 'global' ? code('systemctl --global') : code('systemctl')
  const show = SHOW.flatMap((p) => ['-p', p])
  // RMP_SVC_PROBE: our own shell's command line holds the pattern; the marker keeps it out of the match.
  const patternCheck =
    pattern !== undefined && pattern !== ''
      ? [sh`  procs=$(ps -eo args=); if printf '%s\\n' "$procs" | grep -v RMP_SVC_PROBE | grep -qF -- ${pattern}; then echo pattern=1; else echo pattern=0; fi`]
      : []
  return joinScripts([
    sh`n=${name}`,
    sh`if ${SYSTEMD_BOOTED}; then`,
    code('  echo init=systemd'),
    sh`  ${ctl} show ${show} -- "$n" 2>/dev/null`,
    sh`  echo "is_enabled=$(${ctl} is-enabled -- "$n" 2>/dev/null | head -1)"`,
    ...patternCheck,
    code('else'),
    code('  echo init=sysvinit'),
    code('  s="/etc/init.d/$n"'),
    code('  if [ -x "$s" ]; then'),
    code('    echo exists=1'),
    code('    if grep -q status -- "$s"; then "$s" status >/dev/null 2>&1 </dev/null; echo status=$?; else echo status=none; fi'),
    code('  else echo exists=0; fi'),
    code('  for f in /etc/rc[0-6S].d/[SK][0-9][0-9]"$n"; do [ -e "$f" ] || [ -L "$f" ] && echo "link=$f"; done'),
    ...patternCheck,
    code('fi'),
    code('exit 0'),
  ])
}

export function parseServiceState(name: string, stdout: string): ServiceState {
  const kv: Record<string, string> = {}
  const links: string[] = []
  for (const [k, v] of pairs(stdout)) {
    if (k === 'link') links.push(v)
    else if (!(k in kv)) kv[k] = v
  }
  const pattern = kv.pattern === undefined ? undefined : kv.pattern === '1'
  if (kv.init === 'systemd') {
    const props = Object.fromEntries(SHOW.filter((p) => kv[p] !== undefined).map((p) => [p, kv[p]!]))
    const word = kv.is_enabled ?? ''
    const load = kv.LoadState ?? ''
    const active = kv.ActiveState ?? ''
    const masked = load === 'masked' || word.startsWith('masked')
    return {
      init: 'systemd',
      name,
      exists: load !== '' && load !== 'not-found',
      running: pattern ?? ['active', 'activating', 'reloading', 'deactivating'].includes(active),
      enabled: ENABLED_WORDS.has(word),
      unitFileState: word || kv.UnitFileState,
      masked,
      needDaemonReload: kv.NeedDaemonReload === 'yes',
      properties: props,
    }
  }
  if (kv.init !== 'sysvinit') throw new Error(`unexpected output: ${stdout.slice(0, 200)}`)
  const exists = kv.exists === '1'
  const code = kv.status === undefined || kv.status === 'none' ? undefined : Number(kv.status)
  let running: boolean | undefined
  if (pattern !== undefined) running = pattern
  else if (code !== undefined && code !== 4) running = code === 0
  const start = links.filter((l) => /\/rc[2-5]\.d\/S/.test(l))
  return {
    init: 'sysvinit',
    name,
    exists,
    running: exists ? running : false,
    enabled: start.length > 0,
    statusCode: code,
    links,
  }
}

export function serviceProbe(name: string, pattern?: string, scope = 'system'): Probe<ServiceState> {
  return { id: serviceProbeId(name, pattern, scope), script: serviceProbeScript(name, pattern, scope), parse: (o) => parseServiceState(name, o.stdout) }
}
