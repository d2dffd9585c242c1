/**
 * systemd — control a systemd unit: state, enabled, masked, and daemon-reload. systemd hosts only:
 * on any other host it fails with a clear message (the `service` module works everywhere).
 *
 * `name` (aliases `service`, `unit`) is the unit (`nginx` or `nginx.service`, `backup.timer`).
 * `state`: `started`/`stopped` change only what differs, `restarted`/`reloaded` always act.
 * `enabled` and `masked` (true/false) set the unit file state with `systemctl enable|disable` and
 * `mask|unmask`; static, indirect and generated units have no enabled state of their own and are
 * left alone. `daemon_reload: true` runs `systemctl daemon-reload` first, on every real run (any
 * unit's files may have changed: write them, then daemon_reload), and, as in Ansible, it is not a
 * change: the task reports changed only for what else it did. `daemon_reexec` re-executes the
 * manager, the same way. Neither runs in check mode. A unit file under /etc/systemd/system cannot
 * be masked (systemd refuses: the mask is a link in that place); ship units in /lib/systemd/system
 * or /usr/local/lib/systemd/system when they must be maskable.
 * `scope`: `system` (default), `user` or `global`; `no_block` does not wait for the job; `force`
 * overrides conflicting symlinks when enabling.
 *
 * In check mode a unit that does not exist yet is reported as an uncertain change; in a real run
 * it is an error (masking a unit that does not exist is allowed). Returns `status`, the unit's
 * properties (ActiveState, SubState, UnitFileState, LoadState, MainPID, ...).
 *
 *   - systemd: { name: runmaster-api, state: restarted, daemon_reload: true }
 *   - systemd: { name: apt-daily.timer, enabled: false, masked: true }
 */
import { sh } from '../shell/index.js'
import { SYSTEMD_BOOTED, serviceProbe, type ServiceState } from '../probes/services.js'
import { servicePlan, serviceAfter, type ServiceWanted, serviceNameProblem } from './init-system.js'
import { ModuleFailure, type HostModule, type Probe, type StateOf } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type SystemdArgs = ArgsOf<typeof schema>

export const SYSTEMD_ONLY = 'systemd module needs systemd; this host uses sysvinit — use service'

function wanted(a: SystemdArgs): ServiceWanted {
  return {
    name: a.name ?? '',
    state: a.state,
    enabled: a.enabled,
    masked: a.masked,
    scope: a.scope,
    noBlock: a.no_block,
    force: a.force,
    daemonReload: a.daemon_reload,
    daemonReexec: a.daemon_reexec,
  }
}

/** Without a unit the probe still has to say which init system runs. */
const initProbe: Probe<ServiceState> = {
  id: 'systemd:init',
  script: sh`if ${SYSTEMD_BOOTED}; then echo init=systemd; else echo init=sysvinit; fi`,
  parse: (o) => ({ init: o.stdout.includes('init=systemd') ? 'systemd' : 'sysvinit', name: '', exists: false, enabled: false }),
}

const probes = (a: SystemdArgs) => ({ unit: a.name ? serviceProbe(a.name, undefined, a.scope) : initProbe })

function read({ unit: s }: StateOf<ReturnType<typeof probes>>): ServiceState {
  if (s.init !== 'systemd') throw new ModuleFailure(SYSTEMD_ONLY)
  return s
}

const schema = {
  options: {
    name: { type: 'str', aliases: ['service', 'unit'], doc: 'The unit (a .service suffix is optional).' },
    state: { type: 'str', choices: ['started', 'stopped', 'restarted', 'reloaded'], doc: 'started/stopped: only if needed; restarted/reloaded: always.' },
    enabled: { type: 'bool', doc: 'Start at boot.' },
    masked: { type: 'bool', doc: 'Mask (true) or unmask (false) the unit.' },
    daemon_reload: {
      type: 'bool',
      default: false,
      aliases: ['daemon-reload'],
      doc: 'systemctl daemon-reload first (with a name: only when the unit needs it).',
    },
    daemon_reexec: { type: 'bool', default: false, aliases: ['daemon-reexec'], doc: 'systemctl daemon-reexec first.' },
    scope: { type: 'str', default: 'system', choices: ['system', 'user', 'global'], doc: 'The systemd manager to talk to.' },
    no_block: { type: 'bool', default: false, doc: 'Do not wait for the start/stop job to finish.' },
    force: { type: 'bool', doc: 'Override existing symlinks when enabling.' },
  },
} as const satisfies Schema

export const systemd: HostModule<SystemdArgs, SystemdArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'systemd',
  doc: 'Control a systemd unit: state, enabled, masked, daemon-reload (systemd hosts only).',
  args: schema,
  returns: {
    name: 'the unit',
    state: 'started or stopped, after the task',
    enabled: 'whether it starts at boot, after the task',
    masked: 'whether it is masked, after the task',
    status: 'the unit properties read with systemctl show',
  },
  validate(a) {
    const errs: string[] = []
    if ((a.state !== undefined || a.enabled !== undefined || a.masked !== undefined) && !a.name) errs.push('state, enabled and masked need a unit name')
    if (a.name === undefined && !a.daemon_reload && !a.daemon_reexec) errs.push('one of name, daemon_reload or daemon_reexec is required')
    if (typeof a.name === 'string' && !/^[A-Za-z0-9@_.:\\-]+$/.test(a.name)) errs.push(`'${a.name}' is not a unit name`)
    const bad = serviceNameProblem(a.name)
    if (bad && !errs.length) errs.push(bad)
    return errs
  },
  probes,
  plan(a, state, ctx) {
    const s = read(state)
    const w = wanted(a)
    if (!a.name) return servicePlan({ ...s, exists: true }, w, 'systemd')
    return servicePlan(s, w, 'systemd')
  },
  result(a, state) {
    const s = read(state)
    if (!a.name) return {}
    const after = serviceAfter(s, wanted(a))
    return { name: a.name, ...after, status: s.properties ?? {} }
  },
}
