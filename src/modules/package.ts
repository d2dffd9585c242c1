/**
 * package — install or remove packages with the host's own package manager, as Ansible's
 * `package`: it picks the module from `use`, or with `use: auto` (the default) from the host's
 * `ansible_pkg_mgr` fact (gathered for this task when the play did not gather facts), and hands it
 * every other argument unchanged. On Debian and Ubuntu that is `apt` (so `update_cache`,
 * `cache_valid_time`, `install_recommends` ... work as they do there); on RHEL-family hosts
 * `dnf` (or `yum`, the same module here; untested on RPM hosts, see dnf). An argument the chosen
 * module does not take fails the task on that host ("package: (dnf) unknown argument
 * 'cache_valid_time'"), as in Ansible; at load time an argument that neither apt nor dnf takes is an
 * error. A package manager rm-play has no module for (zypper, apk, pacman ...) fails with its name.
 *
 * Package names differ between distributions (`libpq-dev` / `postgresql-devel`): `package` does not
 * translate them; choose them per `ansible_os_family` (see the RunMaster roles).
 *
 *   - package:
 *       name: "{{ redis_packages }}"
 *       state: present
 *   - package: { name: htop, state: latest, use: apt }
 */
import { apt } from './apt.js'
import { dnf } from './dnf.js'
import { checkArgs, type ArgsOf, type Schema } from './schema.js'
import { ModuleFailure, type HostModule, type PlanContext, type Probes } from './types.js'

/** The modules `package` can hand over to, by ansible_pkg_mgr. */
const BACKENDS: Readonly<Record<string, HostModule<unknown, unknown>>> = {
  apt: apt as HostModule<unknown, unknown>,
  dnf: dnf as unknown as HostModule<unknown, unknown>,
  yum: dnf as unknown as HostModule<unknown, unknown>,
}

const packageSchema = {
  options: {
    name: { type: 'list', elements: 'str', doc: 'Package name(s), as the chosen package manager spells them.' },
    state: { type: 'str', doc: "present, absent, or another state the chosen module has (latest); default: that module's." },
    use: { type: 'str', default: 'auto', doc: 'The package manager module to use (apt, dnf, yum); auto: the ansible_pkg_mgr fact.' },
  },
  // Everything else goes to the chosen module, which checks it.
  additional: "an argument of the chosen module (apt's cache_valid_time, dnf's enablerepo ...), passed on",
} as const satisfies Schema
export type PackageArgs = ArgsOf<typeof packageSchema> & Record<string, unknown>

const SUPPORTED = Object.keys(BACKENDS).join(', ')

function validatePackage(a: PackageArgs): string[] {
  const use = a.use
  if (typeof use === 'string' && !use.includes('{{') && use !== 'auto') {
    const m = BACKENDS[use]
    if (!m) return [`use: rm-play has no module for the package manager '${use}' (it has ${SUPPORTED})`]
    const { args, problems } = checkArgs(m.args, passed(a), true)
    return problems.length ? problems.map((p) => `(${use}) ${p.message}`) : (m.validate?.(args) ?? [])
  }
  const known = (k: string) => Object.values(BACKENDS).some((m) => k in m.args.options || Object.values(m.args.options).some((o) => o.aliases?.includes(k)))
  return Object.keys(a)
    .filter((k) => !(k in packageSchema.options) && !known(k))
    .map((k) => `unknown argument '${k}': neither apt nor dnf takes it`)
}

/** The arguments the chosen module gets: all but `use`, and none left unset. */
function passed(a: PackageArgs): Record<string, unknown> {
  return Object.fromEntries(Object.entries(a).filter(([k, v]) => k !== 'use' && v !== undefined))
}

interface Chosen {
  name: string
  module: HostModule<unknown, unknown>
  args: unknown
}

/** The module for this host and its checked arguments (a failure of this task, not of the run). */
function choose(a: PackageArgs, facts: PlanContext['facts']): Chosen {
  const fact = facts.pkg_mgr
  const name = a.use === 'auto' ? (typeof fact === 'string' ? fact : undefined) : a.use
  if (name === undefined || name === 'auto')
    throw new ModuleFailure('Could not detect which package manager to use. Try gathering facts or setting the "use" option.')
  const module = BACKENDS[name]
  if (!module) {
    const why = a.use === 'auto' ? ` (the host's ansible_pkg_mgr is '${name}')` : ''
    throw new ModuleFailure(`rm-play has no module for the package manager '${name}'${why}; package works with ${SUPPORTED}`)
  }
  const { args, problems } = checkArgs(module.args, passed(a), false)
  const invalid = problems.length ? problems.map((p) => p.message) : (module.validate?.(args) ?? [])
  if (invalid.length) throw new ModuleFailure(`package: (${name}) ${invalid.join('; ')}`)
  return { name, module, args }
}

export const pkg: HostModule<PackageArgs, PackageArgs, Probes> & { args: typeof packageSchema } = {
  kind: 'host',
  name: 'package',
  doc: "Install or remove packages with the host's package manager (apt, dnf), as Ansible's package.",
  args: packageSchema,
  facts: true,
  validate: validatePackage,
  probes(a, ctx) {
    const c = choose(a, ctx.facts)
    return c.module.probes(c.args, ctx)
  },
  plan(a, state, ctx) {
    const c = choose(a, ctx.facts)
    return c.module.plan(c.args, state, ctx)
  },
  result(a, state, outputs, ctx) {
    const c = choose(a, ctx.facts)
    return c.module.result?.(c.args, state, outputs, ctx) ?? {}
  },
}
