/**
 * service — start, stop, restart or reload a service and choose whether it starts at boot, on
 * systemd hosts and on sysv-init hosts alike (detected on each host when the task runs).
 *
 * `name` is the service (`nginx`, `redis-server`); a name beginning with `-` is refused (the init
 * tools would read it as an option). `state`: `started` and `stopped` change only
 * what differs; `restarted` and `reloaded` always act (a reload of a stopped service starts it).
 * `enabled: true|false` makes it start at boot or not. At least one of state and enabled is needed.
 *
 * On systemd hosts this is `systemctl start|stop|restart|reload|enable|disable`, read with
 * `systemctl show` and `systemctl is-enabled`. On sysv-init hosts it is `service NAME ACTION` (the
 * /etc/init.d script), running state from the script's LSB `status` exit code (0 = running), and
 * boot state from the /etc/rc[2-5].d/S??NAME links, changed with `update-rc.d` (a script without
 * links gets its defaults first). When an init script has no usable status, `pattern` names a
 * string to look for in the process list instead. `arguments` (alias `args`) are extra words for
 * the init script; `sleep` waits that many seconds between stop and start on restart (sysv).
 *
 * In check mode a service that does not exist yet (its package is installed by an earlier task)
 * is reported as an uncertain change ("start nginx (not installed yet)"); in a real run that is a
 * clear error. Diff mode shows `nginx: stopped, disabled` → `nginx: running, enabled`. For masking,
 * daemon-reload and other systemd-only things use the `systemd` module. Not supported: `runlevel`
 * and other init systems (OpenRC, upstart, BSD rc).
 *
 *   - service: { name: redis-server, state: started, enabled: true }
 *   - service: { name: nginx, state: reloaded }
 */
import { serviceProbe, type ServiceState } from '../probes/services.js'
import { servicePlan, serviceAfter, type ServiceWanted, serviceNameProblem } from './init-system.js'
import { shlexSplit } from '../shell/shlex.js'
import { ModuleFailure, type HostModule, type StateOf } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type ServiceArgs = ArgsOf<typeof schema>

function wanted(a: ServiceArgs): ServiceWanted {
  return { name: a.name, state: a.state, enabled: a.enabled, arguments: a.arguments, sleep: a.sleep }
}

const probes = (a: ServiceArgs) => ({ service: serviceProbe(a.name, a.pattern) })

function read(a: ServiceArgs, { service: s }: StateOf<ReturnType<typeof probes>>): ServiceState {
  const want = a.use === 'systemd' ? 'systemd' : a.use === 'sysvinit' || a.use === 'sysv' ? 'sysvinit' : undefined
  if (want && s.init !== want) throw new ModuleFailure(`service: use=${a.use} but this host runs ${s.init}`)
  return s
}

const schema = {
  options: {
    name: { type: 'str', required: true, doc: 'The service name.' },
    state: { type: 'str', choices: ['started', 'stopped', 'restarted', 'reloaded'], doc: 'started/stopped: only if needed; restarted/reloaded: always.' },
    enabled: { type: 'bool', doc: 'Start at boot.' },
    pattern: { type: 'str', doc: 'When the init script has no status: a string to look for in `ps` output to know it runs.' },
    arguments: { type: 'str', aliases: ['args'], doc: 'Extra words for the init script (sysv).' },
    sleep: { type: 'int', doc: 'Seconds between stop and start when restarting (sysv).' },
    use: { type: 'str', default: 'auto', choices: ['auto', 'systemd', 'sysvinit', 'sysv', 'service'], doc: 'The init system; auto detects it on each host.' },
  },
  requiredOneOf: [['state', 'enabled']],
} as const satisfies Schema

export const service: HostModule<ServiceArgs, ServiceArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'service',
  doc: 'Start, stop, restart or reload a service; enable it at boot (systemd or sysv-init).',
  args: schema,
  returns: {
    name: 'the service',
    state: 'started or stopped, after the task',
    enabled: 'whether it starts at boot, after the task',
    status: 'systemd: the unit properties read (ActiveState, SubState, UnitFileState, ...); sysv: the status exit code and rc links',
  },
  validate(a) {
    const errs: string[] = []
    if (typeof a.name === 'string' && !/^[A-Za-z0-9@_.:\\-]+$/.test(a.name)) errs.push(`'${a.name}' is not a service name`)
    const bad = serviceNameProblem(a.name)
    if (bad && !errs.length) errs.push(bad)
    if (typeof a.arguments === 'string') {
      try {
        shlexSplit(a.arguments)
      } catch (e) {
        errs.push(`arguments: ${(e as Error).message}`)
      }
    }
    return errs
  },
  probes,
  plan(a, state, ctx) {
    return servicePlan(read(a, state), wanted(a), 'service')
  },
  result(a, state) {
    const s = read(a, state)
    const after = serviceAfter(s, wanted(a))
    return {
      name: a.name,
      state: after.state,
      enabled: after.enabled,
      status: s.init === 'systemd' ? (s.properties ?? {}) : { init: 'sysvinit', status_code: s.statusCode, links: s.links },
    }
  },
}
