// The commands that change a service, for systemd and for sysv-init (Debian's update-rc.d and
// init scripts), and the plan shared by the service and systemd modules: state + wanted state →
// changes. Pure: the probe (probes/services.ts) says which init system the host runs.
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { shlexSplit } from '../shell/shlex.js'
import type { ServiceState } from '../probes/services.js'
import type { Change, ExecStep } from './types.js'

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload'

export interface ServiceWanted {
  name: string
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded'
  enabled?: boolean
  masked?: boolean
  /** Extra words for the init script / service command (sysv). */
  arguments?: string
  /** Seconds between stop and start when restarting (sysv). */
  sleep?: number
  /** systemd: --user / --global. */
  scope?: 'system' | 'user' | 'global'
  noBlock?: boolean
  force?: boolean
  /** Run systemctl daemon-reload first (every time, as Ansible: any unit's files may have changed). */
  daemonReload?: boolean
  daemonReexec?: boolean
}

function systemctl(w: ServiceWanted): Script {
  return w.scope === 'user' ? code('systemctl --user') : w.scope === 'global' ? code('systemctl --global') : code('systemctl')
}

/** service(8) when there is one, else the init script itself (a clean environment, as at boot). */
function sysvRun(name: string, action: string, extra: Script = code('')): Script {
  // service(8) has no `--`: a name beginning with '-' is refused by the modules' validate.
  return sh`if command -v service >/dev/null 2>&1; then service ${name} ${action}${extra}; else ${`/etc/init.d/${name}`} ${action}${extra}; fi`
}

function actionScript(s: ServiceState, w: ServiceWanted, action: ServiceAction): Script {
  if (s.init === 'systemd') return sh`${systemctl(w)}${code(w.noBlock ? ' --no-block' : '')} ${action} -- ${w.name}`
  const words = w.arguments ? shlexSplit(w.arguments) : []
  const extra = words.length ? sh` ${words}` : code('')
  const run = (a: string) => sysvRun(w.name, a, extra)
  if (action === 'restart' && w.sleep) return joinScripts([run('stop'), sh`sleep ${w.sleep}`, run('start')])
  return run(action)
}

function enableScript(s: ServiceState, w: ServiceWanted, enable: boolean): Script {
  if (s.init === 'systemd') return sh`${systemctl(w)}${code(w.force ? ' --force' : '')} ${enable ? 'enable' : 'disable'} -- ${w.name}`
  // update-rc.d enable/disable only flip existing links; a script never registered gets its defaults first.
  return enable
    ? sh`if ! ls -- /etc/rc[0-6S].d/[SK][0-9][0-9]${w.name} >/dev/null 2>&1; then update-rc.d ${w.name} defaults; fi\nupdate-rc.d ${w.name} enable`
    : sh`update-rc.d ${w.name} disable`
}

function exec(script: Script): ExecStep {
  return { kind: 'exec', script }
}

/** A service name that the init tools would read as an option or as a path: refused. */
export function serviceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined
  if (name.startsWith('-')) return `service name '${name}' begins with '-'`
  if (name.includes('/')) return `service name '${name}' contains '/'`
  if (/[\n\r\0]/.test(name)) return 'service name contains a line break or NUL'
  return undefined
}

function describeState(s: ServiceState): string {
  if (!s.exists) return `${s.name}: (not installed)`
  const running = s.running === undefined ? 'state unknown' : s.running ? 'running' : 'stopped'
  const parts = [running, s.enabled ? 'enabled' : 'disabled']
  if (s.masked) parts.push('masked')
  return `${s.name}: ${parts.join(', ')}`
}

export type RunWanted = 'started' | 'stopped' | 'restarted' | 'reloaded'

/**
 * The one action that takes a service (or a supervisor program) from `running` (true, false, or
 * unknown: a state nobody can tell, or some processes up and some not) to `want`; undefined when it
 * is there. restarted and reloaded always act, and start what is stopped (as Ansible does).
 */
export function runAction(want: RunWanted, running: boolean | undefined): ServiceAction | undefined {
  if (want === 'started') return running === true ? undefined : 'start'
  if (want === 'stopped') return running === false ? undefined : 'stop'
  if (running === false) return 'start'
  return want === 'restarted' ? 'restart' : 'reload'
}

/** The changes that take a service from `s` to `w`. */
export function servicePlan(s: ServiceState, w: ServiceWanted, module: string): Change[] {
  const out: Change[] = []
  // Housekeeping, not a change (Ansible reports both as ok): they run on every real run, before the rest.
  if (w.daemonReload)
    out.push({ summary: 'reload the systemd manager configuration (daemon-reload)', quiet: true, steps: [exec(sh`${systemctl(w)} daemon-reload`)] })
  if (w.daemonReexec) out.push({ summary: 'reexecute the systemd manager', quiet: true, steps: [exec(sh`${systemctl(w)} daemon-reexec`)] })
  if (!s.exists && !(w.masked === true && s.init === 'systemd')) {
    if (w.state === undefined && w.enabled === undefined && w.masked === undefined) return out
    const what = [w.state ? verb(w.state, false) : undefined, w.enabled !== undefined ? (w.enabled ? 'enable' : 'disable') : undefined]
      .filter(Boolean)
      .join(' and ')
    // An earlier task (installing the package) may create the service.
    const where = s.init === 'systemd' ? 'no such unit' : `no /etc/init.d/${w.name}`
    out.push({
      summary: `${what || 'manage'} ${w.name} (not installed yet)`,
      steps: [],
      needs: { msg: `${module}: could not find the requested service ${w.name} (${where} on this ${s.init} host; is its package installed?)` },
    })
    return out
  }
  const changes: { summary: string; steps: ExecStep[]; always?: boolean }[] = []
  let masked = !!s.masked
  if (w.masked !== undefined && w.masked !== masked) {
    changes.push({ summary: `${w.masked ? 'mask' : 'unmask'} ${w.name}`, steps: [exec(sh`${systemctl(w)} ${w.masked ? 'mask' : 'unmask'} -- ${w.name}`)] })
    masked = w.masked
  }
  let enabled = s.enabled
  // static/indirect/generated units start when something else pulls them in: nothing to enable.
  const fixed = s.init === 'systemd' && ['static', 'indirect', 'generated', 'alias'].includes(s.unitFileState ?? '')
  if (w.enabled !== undefined && w.enabled !== enabled && !fixed) {
    changes.push({ summary: `${w.enabled ? 'enable' : 'disable'} ${w.name}`, steps: [exec(enableScript(s, w, w.enabled))] })
    enabled = w.enabled
  }
  let running = s.running
  const action = w.state && runAction(w.state, running)
  if (w.state && action) {
    const always = w.state === 'restarted' || w.state === 'reloaded'
    changes.push({
      summary: `${w.state === 'restarted' ? 'restart' : action} ${w.name}`,
      steps: [exec(actionScript(s, w, action))],
      ...(always ? { always } : {}),
    })
    running = action !== 'stop'
  }
  if (!changes.length) return out
  const after = describeState({ ...s, running, enabled, masked })
  out.push({
    summary: changes.map((c) => c.summary).join(', '),
    steps: changes.flatMap((c) => c.steps),
    diff: {
      before: `${describeState(s)}\n`,
      after: `${after}${changes.some((c) => c.always) ? ` (${w.state === 'restarted' ? 'restarted' : 'reloaded'})` : ''}\n`,
    },
  })
  return out
}

function verb(state: NonNullable<ServiceWanted['state']>, past: boolean): string {
  const m = { started: ['start', 'started'], stopped: ['stop', 'stopped'], restarted: ['restart', 'restarted'], reloaded: ['reload', 'reloaded'] }[state]
  return m[past ? 1 : 0]!
}

/** What the service looks like after the plan ran (for `result`). */
export function serviceAfter(s: ServiceState, w: ServiceWanted): { state: string; enabled: boolean; masked?: boolean } {
  const running = w.state === 'stopped' ? false : w.state ? true : s.running
  const fixed = s.init === 'systemd' && ['static', 'indirect', 'generated', 'alias'].includes(s.unitFileState ?? '')
  return {
    state: running === undefined ? 'unknown' : running ? 'started' : 'stopped',
    enabled: w.enabled !== undefined && !fixed ? w.enabled : s.enabled,
    ...(s.init === 'systemd' ? { masked: w.masked ?? s.masked } : {}),
  }
}
