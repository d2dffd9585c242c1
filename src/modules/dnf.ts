/**
 * dnf — install, upgrade and remove RPM packages with dnf (RHEL/Rocky/Alma 8 and 9, Fedora before
 * 41). `yum` is the same module: on RHEL 8 and later `yum` is dnf. **Untested on a real RPM host
 * here**: no RPM mirror is reachable from this project's lab, so the commands this module runs and
 * its reading of `rpm -q` / `dnf repoquery` output are unit-tested on outputs written from their
 * documented formats, not recorded on a host. Hosts with only yum 3 (RHEL 7) lack `dnf`: the task
 * fails there.
 *
 * `name` is one package or a list (alias `pkg`): package names only (no versions, globs, groups,
 * paths or URLs). `state`: `present` (installed, any version; the default; `installed` is the old
 * spelling), `latest` (installed and upgraded to the newest version the repositories offer) or
 * `absent` (removed, `removed` the old spelling; packages only they needed stay, as with Ansible's
 * `autoremove: false`).
 *
 * `update_cache: true` (alias `expire-cache`) refreshes the repository metadata before the packages
 * are looked up (`dnf makecache --refresh`), in check mode too, as Ansible's dnf does; it is not a
 * change. `enablerepo` / `disablerepo` (lists of repository ids, globs allowed) apply to the lookup
 * and to the transaction; `disable_gpg_check` passes `--nogpgcheck`.
 *
 * A package the repositories do not offer fails the task before anything runs ("No package x
 * available."). Diff mode shows each named package before and after (`jq: (absent)` →
 * `jq: 1.6-16.el9`).
 *
 *   - dnf:
 *       name: [nginx, redis, supervisor]
 *       state: present
 *       update_cache: true
 *   - dnf: { name: python3.11, enablerepo: [crb] }
 *   - dnf: { name: telnet, state: absent }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { dnfProbe, evr, repoOptions, type DnfState, type RpmPackage } from '../probes/rpm.js'
import type { ArgsOf, Schema } from './schema.js'
import { hostModule, ModuleFailure, type Change, type ExecStep } from './types.js'

const dnfSchema = {
  options: {
    name: { type: 'list', elements: 'str', aliases: ['pkg'], default: [], doc: 'Package name(s).' },
    state: {
      type: 'str',
      choices: ['present', 'installed', 'latest', 'absent', 'removed'],
      doc: 'present (the default), latest or absent; installed/removed are old spellings of present/absent.',
    },
    update_cache: { type: 'bool', default: false, aliases: ['expire-cache'], doc: 'Refresh the repository metadata first (not a change).' },
    enablerepo: { type: 'list', elements: 'str', default: [], doc: 'Repository ids (or globs) to enable for this task.' },
    disablerepo: { type: 'list', elements: 'str', default: [], doc: 'Repository ids (or globs) to disable for this task.' },
    disable_gpg_check: { type: 'bool', default: false, doc: 'Install packages without checking their GPG signatures (--nogpgcheck).' },
  },
} as const satisfies Schema
export type DnfArgs = ArgsOf<typeof dnfSchema>

const RPM_NAME = /^[A-Za-z0-9_+][A-Za-z0-9_.+-]*$/
const REPO_ID = /^[A-Za-z0-9_.:*?[\]-]+$/

function validateDnf(a: Partial<DnfArgs>): string[] {
  const errs: string[] = []
  for (const n of a.name ?? []) {
    if (typeof n !== 'string') continue
    if (!RPM_NAME.test(n)) errs.push(`'${n}' is not an RPM package name (letters, digits, _ + . -); versions, globs, @groups, paths and URLs are not supported`)
  }
  for (const r of [...(a.enablerepo ?? []), ...(a.disablerepo ?? [])]) if (typeof r === 'string' && !REPO_ID.test(r)) errs.push(`'${r}' is not a repository id`)
  return errs
}

function state(a: DnfArgs): 'present' | 'latest' | 'absent' {
  return a.state === 'installed' || a.state === undefined ? 'present' : a.state === 'removed' ? 'absent' : a.state
}

type Action = 'install' | 'upgrade' | 'remove'

interface PackageChange {
  name: string
  action: Action
  before: string
  after: string
  /** The package as dnf names it in its results (name-[epoch:]version-release.arch). */
  nevra: string
}

const nevra = (p: RpmPackage) => `${p.name}-${evr(p)}.${p.arch}`

/** The package-level decisions, from state and arguments only. */
export function dnfDecide(a: DnfArgs, s: DnfState): PackageChange[] {
  const st = state(a)
  const out: PackageChange[] = []
  const missing: string[] = []
  for (const name of new Set(a.name)) {
    const have = s.installed.filter((p) => p.name === name)
    const shown = have.map(evr).join(', ')
    if (st === 'absent') {
      for (const p of have.slice(0, 1)) out.push({ name, action: 'remove', before: shown, after: '(absent)', nevra: nevra(p) })
      continue
    }
    if (!have.length) {
      const p = s.available[name]
      if (p) out.push({ name, action: 'install', before: '(absent)', after: evr(p), nevra: nevra(p) })
      else missing.push(name)
      continue
    }
    const up = st === 'latest' ? s.upgrades[name] : undefined
    if (up) out.push({ name, action: 'upgrade', before: shown, after: evr(up), nevra: nevra(up) })
  }
  if (missing.length) {
    const failures = missing.map((n) => `No package ${n} available.`)
    throw new ModuleFailure(`Failed to install some of the specified packages: ${failures.join(' ')}`, { failures, rc: 1, results: [] })
  }
  return out
}

function options(a: DnfArgs): Script {
  return joinScripts(
    [code('-y'), repoOptions(a), code(a.disable_gpg_check ? '--nogpgcheck' : '')].filter((x) => x.text !== ''),
    ' ',
  )
}

const ENV = { LC_ALL: 'C' }

// Removing must not take the dependencies along: Ansible's dnf sets clean_requirements_on_remove
// to its autoremove argument, false by default.
const COMMAND: Record<Action, Script> = { install: code('install'), upgrade: code('upgrade'), remove: code('remove --noautoremove') }

function step(a: DnfArgs, verb: Action, names: string[]): ExecStep {
  return { kind: 'exec', label: verb, env: ENV, script: sh`dnf ${options(a)} ${COMMAND[verb]} -- ${names}` }
}

function describe(verb: Action, list: PackageChange[]): string {
  return `${verb} ${list.map((c) => (c.action === 'remove' ? c.name : `${c.name} (${c.action === 'upgrade' ? `${c.before} → ` : ''}${c.after})`)).join(' ')}`
}

function change(a: DnfArgs, verb: Action, list: PackageChange[]): Change[] {
  if (!list.length) return []
  return [
    {
      summary: describe(verb, list),
      steps: [
        step(
          a,
          verb,
          list.map((c) => c.name),
        ),
      ],
      diff: { before: list.map((c) => `${c.name}: ${c.before}\n`).join(''), after: list.map((c) => `${c.name}: ${c.after}\n`).join('') },
    },
  ]
}

export const dnf = hostModule({
  kind: 'host',
  name: 'dnf',
  doc: 'Install, upgrade and remove RPM packages with dnf (untested on RPM hosts here).',
  args: dnfSchema,
  returns: {
    results: 'what the transaction did, as Ansible says it: "Installed: NEVRA", "Removed: NEVRA"',
    packages: 'each named package this task changed: { before, after } versions',
    msg: '"Nothing to do" when nothing changed',
  },
  validate: validateDnf,
  probes: (a) => ({
    dnf: dnfProbe({ names: a.name, upgrades: state(a) === 'latest', refresh: a.update_cache, enablerepo: a.enablerepo, disablerepo: a.disablerepo }),
  }),
  plan(a, { dnf: s }) {
    const list = dnfDecide(a, s)
    const of = (v: Action) => list.filter((c) => c.action === v)
    return [...change(a, 'install', of('install')), ...change(a, 'upgrade', of('upgrade')), ...change(a, 'remove', of('remove'))]
  },
  result(a, { dnf: s }) {
    const list = dnfDecide(a, s)
    return {
      results: list.map((c) => `${c.action === 'remove' ? 'Removed' : 'Installed'}: ${c.nevra}`),
      packages: Object.fromEntries(list.map((c) => [c.name, { before: c.before, after: c.after }])),
      ...(list.length ? {} : { msg: 'Nothing to do' }),
    }
  },
})
