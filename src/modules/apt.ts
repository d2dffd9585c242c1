/**
 * apt — install, upgrade and remove Debian packages with apt-get, in one transaction per task.
 *
 * `name` is one package or a list (aliases `package`, `pkg`); a version can be pinned with
 * `name=version` (`jq=1.6-2.1+deb12u2`), and a trailing `*` pins a version prefix (`nginx=1.22*`:
 * the newest matching version the cache knows). `state`: `present` (installed, any version unless
 * pinned; the default), `latest` (the candidate version apt would pick, upgrading when it is newer)
 * or `absent` (removed; with `purge: true` its configuration files too, also for packages already
 * removed that left them behind). `deb` installs a .deb file already on the host (its dependencies
 * come from the cache), unless that exact version is installed.
 *
 * `update_cache: true` runs `apt-get update` first; with `cache_valid_time: SECONDS` (which implies
 * update_cache) only when the package lists are older than that, so a second run stays quiet. A
 * cache update alone counts as a change: apt cannot say in advance whether the lists will change,
 * so it is reported as one that may or may not change anything, and check mode does not run it.
 * Beside packages, a deb or an upgrade it does not count (as in Ansible): only they do. A
 * package that the stale cache does not know yet is, in check mode, a change that depends on the
 * update; without an update it is an error ("No package matching 'x' is available").
 * `state: latest` with a cache update also upgrades the packages the new lists have newer
 * versions of.
 *
 * `install_recommends` (default: apt's own setting) adds or drops `--no-install-recommends`;
 * `autoremove: true` also removes packages nothing depends on any more (alone: just that);
 * `upgrade: yes|safe|full|dist` upgrades the whole system; `only_upgrade` never installs new
 * packages; `allow_downgrade`, `allow_change_held_packages` and `force` pass apt's flags;
 * `default_release` is apt's `-t`; `dpkg_options` (default `force-confdef,force-confold`: keep
 * changed configuration files) become `-o Dpkg::Options::=--X`. apt-get runs with
 * DEBIAN_FRONTEND=noninteractive and waits up to `lock_timeout` seconds (default 60, as Ansible)
 * for the dpkg lock held by another apt or dpkg; then it fails with the process that holds it
 * ("Failed to lock apt for exclusive operation: /var/lib/dpkg/lock-frontend is held by process
 * 4242 (unattended-upgr)").
 *
 * The probes only read: `apt-cache` runs with its binary caches turned off
 * (`-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=`), so that check mode, which runs only
 * the probes, leaves /var/cache/apt as it was.
 *
 * Diff mode shows each named package before and after (`jq: (absent)` → `jq: 1.6-2.1+deb12u3`);
 * dependencies apt pulls in are not listed. Not supported: `state: fixed` and `build-dep`,
 * `autoclean`, package name globs, and `deb` URLs (download with get_url first).
 *
 *   - apt:
 *       name: [nginx, redis-server, supervisor]
 *       update_cache: true
 *       cache_valid_time: 3600
 *   - apt: { name: "jq=1.6-2.1+deb12u2", state: present, allow_downgrade: true }
 *   - apt: { name: telnet, state: absent, purge: true, autoremove: true }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { aptProbe, baseName, compareDebVersions, type AptState, type DpkgEntry, type PolicyEntry } from '../probes/apt.js'
import type { ArgsOf, Schema } from './schema.js'
import { ModuleFailure, type Change, type ExecStep, type HostModule } from './types.js'

const aptSchema = {
  options: {
    name: {
      type: 'list',
      elements: 'str',
      aliases: ['package', 'pkg'],
      doc: 'Package name(s), each optionally `name=version` (a trailing `*` matches a version prefix).',
    },
    state: {
      type: 'str',
      default: 'present',
      choices: ['present', 'latest', 'absent', 'installed', 'removed'],
      doc: 'present (installed), latest (newest candidate) or absent; installed/removed are old spellings of present/absent.',
    },
    update_cache: { type: 'bool', aliases: ['update-cache'], doc: 'Run apt-get update first (only when older than cache_valid_time, if given).' },
    cache_valid_time: { type: 'int', doc: 'Seconds the package lists stay fresh enough; implies update_cache.' },
    install_recommends: { type: 'bool', aliases: ['install-recommends'], doc: 'Install recommended packages too (default: the apt configuration decides).' },
    purge: { type: 'bool', default: false, doc: 'With state=absent (and autoremove): remove configuration files too.' },
    autoremove: { type: 'bool', default: false, doc: 'Remove packages that were installed as dependencies and are no longer needed.' },
    deb: { type: 'path', doc: 'Path of a .deb file on the host to install.' },
    default_release: { type: 'str', aliases: ['default-release'], doc: "apt's -t: the release whose versions are preferred." },
    upgrade: {
      type: 'str',
      default: 'no',
      choices: ['no', 'yes', 'safe', 'full', 'dist'],
      doc: 'Upgrade the system: yes/safe (apt-get upgrade --with-new-pkgs), full/dist (apt-get dist-upgrade).',
    },
    only_upgrade: { type: 'bool', default: false, doc: 'Only upgrade packages that are installed; never install new ones.' },
    allow_downgrade: {
      type: 'bool',
      default: false,
      aliases: ['allow-downgrade', 'allow_downgrades', 'allow-downgrades'],
      doc: 'Allow installing a pinned version older than the installed one.',
    },
    allow_change_held_packages: { type: 'bool', default: false, doc: 'Allow changing packages on hold.' },
    allow_unauthenticated: { type: 'bool', default: false, aliases: ['allow-unauthenticated'], doc: 'Install packages that cannot be authenticated.' },
    force: { type: 'bool', default: false, doc: 'Pass --allow-downgrades --allow-remove-essential --allow-change-held-packages (dangerous).' },
    dpkg_options: { type: 'str', default: 'force-confdef,force-confold', doc: 'Comma-separated dpkg options, each passed as -o Dpkg::Options::=--OPTION.' },
    lock_timeout: { type: 'int', default: 60, doc: 'Seconds to wait for the dpkg lock held by another apt/dpkg (as Ansible: 60).' },
  },
  mutuallyExclusive: [['deb', 'name']],
} as const satisfies Schema
export type AptArgs = ArgsOf<typeof aptSchema>

const NAME_RE = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:*-]+)?$/

function validateApt(a: Partial<AptArgs>): string[] {
  const errs: string[] = []
  for (const n of a.name ?? []) {
    if (typeof n !== 'string') continue
    if (!NAME_RE.test(n)) errs.push(`'${n}' is not a Debian package name (lowercase letters, digits, + . -; optionally :arch and =version)`)
    else if (n.includes('*') && !/=[^*]*\*$/.test(n)) errs.push(`'${n}': '*' is only allowed at the end of a version`)
  }
  if (typeof a.deb === 'string') {
    if (a.deb.includes('://')) errs.push('deb must be a path on the host; download the file first (get_url)')
    else if (!a.deb.startsWith('/')) errs.push(`deb must be an absolute path, got '${a.deb}'`)
  }
  const state = a.state === 'installed' ? 'present' : a.state === 'removed' ? 'absent' : a.state
  if (a.deb !== undefined && state !== undefined && state !== 'present') errs.push('deb only works with state=present')
  if (state === 'absent' && (a.name ?? []).some((n) => typeof n === 'string' && n.includes('*'))) errs.push('state=absent cannot take a version pattern')
  if (a.cache_valid_time !== undefined && a.cache_valid_time < 0) errs.push('cache_valid_time must not be negative')
  if (a.update_cache === false && a.cache_valid_time !== undefined)
    errs.push('cache_valid_time needs update_cache (it implies it; do not set update_cache: false)')
  return errs
}

type Action = 'install' | 'upgrade' | 'downgrade' | 'remove' | 'purge'

interface PackageChange {
  name: string
  spec: string
  action: Action
  before: string
  after: string
  /** Decided from a stale cache that an update in the same task will refresh. */
  afterUpdate?: boolean
}

interface AptPlan {
  updateCache: boolean
  changes: PackageChange[]
  /** state=latest with a cache update: names passed to apt again after the update. */
  recheck: string[]
  /** What the install needs that is not there yet (the .deb file an earlier task would put). */
  needs?: string
}

function state(a: AptArgs): 'present' | 'latest' | 'absent' {
  return a.state === 'installed' ? 'present' : a.state === 'removed' ? 'absent' : a.state
}

function wantsUpdate(a: AptArgs): boolean {
  return a.update_cache === true || a.cache_valid_time !== undefined
}

/** Would the cache update run now? */
function cacheIsStale(a: AptArgs, s: AptState): boolean {
  if (!wantsUpdate(a)) return false
  if (s.lists === 0 || s.cacheTime === 0) return true
  return s.now - s.cacheTime >= (a.cache_valid_time ?? 0)
}

function probeOptions(a: AptArgs) {
  const pinned = (a.name ?? []).some((n) => n.includes('='))
  return {
    names: a.name ?? [],
    defaultRelease: a.default_release,
    deb: a.deb,
    autoremove: a.autoremove,
    upgrade: upgradeCommand(a),
    candidatesOfInstalled: state(a) === 'latest' || pinned || !!a.only_upgrade,
    // the clock is read for the cache's age only (cacheIsStale, cache_update_time after an update)
    now: wantsUpdate(a),
  }
}

function upgradeCommand(a: AptArgs): 'upgrade' | 'dist-upgrade' | undefined {
  return a.upgrade === 'no' ? undefined : a.upgrade === 'full' || a.upgrade === 'dist' ? 'dist-upgrade' : 'upgrade'
}

function installed(entries: DpkgEntry[], name: string): DpkgEntry | undefined {
  const [pkg, arch] = name.split(':')
  const mine = entries.filter((e) => e.name === pkg && (!arch || e.arch === arch || e.arch === 'all'))
  return mine.find((e) => ['i', 'W', 't'].includes(e.status)) ?? mine.find((e) => e.status !== 'n') ?? mine[0]
}

const isInstalled = (e: DpkgEntry | undefined): boolean => !!e && ['i', 'W', 't'].includes(e.status)

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
}

/** The version a pinned spec resolves to among the known ones (newest first, as apt lists them). */
function resolvePin(pin: string, p: PolicyEntry | undefined): string | undefined {
  if (!pin.includes('*')) return p?.versions.includes(pin) ? pin : undefined
  const re = globToRegExp(pin)
  return [...(p?.versions ?? [])].sort((x, y) => compareDebVersions(y, x)).find((v) => re.test(v))
}

function versionMatches(pin: string, v: string): boolean {
  return pin.includes('*') ? globToRegExp(pin).test(v) : compareDebVersions(pin, v) === 0
}

/** The package-level decisions, from state and arguments only. */
function aptDecide(a: AptArgs, s: AptState): AptPlan {
  const updateCache = cacheIsStale(a, s)
  const st = state(a)
  const changes: PackageChange[] = []
  const recheck: string[] = []
  const unknown: string[] = []
  for (const spec of a.name ?? []) {
    const name = baseName(spec)
    const pin = spec.includes('=') ? spec.slice(spec.indexOf('=') + 1) : undefined
    const cur = installed(s.dpkg, name)
    const have = isInstalled(cur) ? cur!.version : undefined
    const pol = s.policy[name]
    if (st === 'absent') {
      if (have !== undefined && (pin === undefined || versionMatches(pin, have)))
        changes.push({ name, spec: name, action: a.purge ? 'purge' : 'remove', before: have, after: '(absent)' })
      else if (a.purge && have === undefined && cur && cur.status !== 'n' && pin === undefined)
        changes.push({ name, spec: name, action: 'purge', before: cur.status === 'c' ? '(config files)' : `(${cur.status})`, after: '(absent)' })
      continue
    }
    if (a.only_upgrade && have === undefined) continue
    let target: string | undefined
    if (pin !== undefined) {
      if (have !== undefined && versionMatches(pin, have)) continue
      target = resolvePin(pin, pol)
    } else if (st === 'latest') {
      if (updateCache && have !== undefined) recheck.push(name)
      target = pol?.candidate
      if (have !== undefined && (target === undefined || compareDebVersions(target, have) <= 0)) continue
    } else {
      if (have !== undefined) continue
      target = pol?.candidate
    }
    if (target === undefined) {
      if (updateCache) {
        changes.push({ name, spec, action: 'install', before: have ?? '(absent)', after: pin ?? '(from the updated cache)', afterUpdate: true })
        continue
      }
      unknown.push(pin !== undefined && pol ? `${name} (version ${pin})` : name)
      continue
    }
    const action: Action = have === undefined ? 'install' : compareDebVersions(target, have) > 0 ? 'upgrade' : 'downgrade'
    changes.push({
      name,
      spec: pin !== undefined ? `${name}=${target}` : name,
      action,
      before: have ?? (cur?.status === 'c' ? '(config files)' : '(absent)'),
      after: target,
    })
  }
  if (unknown.length) {
    const hint =
      s.lists === 0
        ? ' (the apt package lists are empty: add update_cache: true)'
        : wantsUpdate(a)
          ? ''
          : ' (maybe the package lists are out of date: add update_cache: true)'
    throw new ModuleFailure(`No package matching ${unknown.map((u) => `'${u}'`).join(', ')} is available${hint}`)
  }
  let needs: string | undefined
  if (a.deb) {
    const d = s.deb
    if (!d?.exists) {
      needs = `deb file not found on the host: ${a.deb}`
      changes.push({ name: a.deb, spec: a.deb, action: 'install', before: '(unknown)', after: '(not on the host yet)', afterUpdate: true })
    } else {
      if (!d.name || !d.version) throw new ModuleFailure(`${a.deb} is not a Debian package (dpkg-deb cannot read its control file)`)
      const cur = installed(s.dpkg.length ? s.dpkg : [], d.name)
      const have = isInstalled(cur) ? cur!.version : undefined
      if (have === undefined || compareDebVersions(have, d.version) !== 0) {
        const action: Action = have === undefined ? 'install' : compareDebVersions(d.version, have) > 0 ? 'upgrade' : 'downgrade'
        changes.push({ name: d.name, spec: a.deb, action, before: have ?? '(absent)', after: d.version })
      }
    }
  }
  return { updateCache, changes, recheck: recheck.filter((n) => !changes.some((c) => c.name === n)), ...(needs ? { needs } : {}) }
}

function aptOptions(a: AptArgs): Script {
  const o: Script[] = [sh`-y -q -o ${`DPkg::Lock::Timeout=${a.lock_timeout}`}`]
  for (const d of a.dpkg_options
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean))
    o.push(sh`-o ${`Dpkg::Options::=--${d.replace(/^--/, '')}`}`)
  if (a.default_release) o.push(sh`-t ${a.default_release}`)
  if (a.install_recommends === true) o.push(code('-o APT::Install-Recommends=true'))
  if (a.install_recommends === false) o.push(code('--no-install-recommends'))
  if (a.force) o.push(code('--allow-downgrades --allow-remove-essential --allow-change-held-packages'))
  else {
    if (a.allow_downgrade) o.push(code('--allow-downgrades'))
    if (a.allow_change_held_packages) o.push(code('--allow-change-held-packages'))
  }
  if (a.allow_unauthenticated) o.push(code('--allow-unauthenticated'))
  return joinScripts(o, ' ')
}

const ENV = { DEBIAN_FRONTEND: 'noninteractive', APT_LISTCHANGES_FRONTEND: 'none', LC_ALL: 'C' }

function exec(script: Script, label?: string): ExecStep {
  return { kind: 'exec', script, env: ENV, ...(label ? { label } : {}) }
}

/**
 * apt-get that, when it gave up waiting for the dpkg lock, says who holds it (apt prints the PID
 * only in its "Waiting for cache lock" lines, on stdout), as Ansible's "Failed to lock apt".
 */
function lockAware(a: AptArgs): Script {
  return sh`rmp_apt_get() {
  rmp_o=$(mktemp) && rmp_e=$(mktemp) || return 1
  apt-get "$@" >"$rmp_o" 2>"$rmp_e" && rmp_rc=0 || rmp_rc=$?
  cat -- "$rmp_o"; cat -- "$rmp_e" >&2
  rmp_h=$(sed -n 's/.*Could not get lock \\([^ ]*\\)\\. It is held by process \\([0-9]*\\) (\\([^)]*\\)).*/\\1 is held by process \\2 (\\3)/p' "$rmp_o" "$rmp_e" | tail -n 1)
  rm -f -- "$rmp_o" "$rmp_e"
  if [ "$rmp_rc" != 0 ] && [ -n "$rmp_h" ]; then
    printf 'Failed to lock apt for exclusive operation: %s; waited %s seconds (lock_timeout)\\n' "$rmp_h" ${a.lock_timeout} >&2
  fi
  return "$rmp_rc"
}`
}

/** An apt-get step: the lock-aware apt-get, then the commands that use it. */
function apply(a: AptArgs, script: Script): ExecStep {
  return exec(joinScripts([lockAware(a), script]))
}

function updateStep(a: AptArgs): ExecStep {
  return exec(
    sh`apt-get -q -o ${`DPkg::Lock::Timeout=${a.lock_timeout}`} update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp`,
    'update',
  )
}

/** Names apt must know after the update, checked first so that a typo gets a clear message. */
function knownCheck(names: string[]): Script {
  return sh`missing=""
for p in ${names}; do
  c=$(apt-cache policy -- "$p" 2>/dev/null | sed -n "s/^  Candidate: //p")
  if [ -z "$c" ] || [ "$c" = "(none)" ]; then missing="$missing '$p'"; fi
done
if [ -n "$missing" ]; then echo "No package matching$missing is available" >&2; exit 100; fi`
}

function describe(list: PackageChange[]): string {
  const by = new Map<string, string[]>()
  for (const c of list) {
    const word = c.afterUpdate && c.after === '(not on the host yet)' ? 'install' : c.action
    const versions = c.action === 'upgrade' || c.action === 'downgrade' ? `${c.before} → ${c.after}` : c.after
    by.set(word, [...(by.get(word) ?? []), c.after !== '(absent)' && !c.afterUpdate ? `${c.name} (${versions})` : c.name])
  }
  return [...by.entries()].map(([w, names]) => `${w} ${names.join(' ')}`).join(', ')
}

function diffText(list: PackageChange[], side: 'before' | 'after'): string {
  return list.map((c) => `${c.name}: ${c[side]}\n`).join('')
}

function aptPlan(a: AptArgs, s: AptState): Change[] {
  const p = aptDecide(a, s)
  const out: Change[] = []
  const opts = aptOptions(a)
  if (p.updateCache) {
    const age = s.lists === 0 || s.cacheTime === 0 ? 'never updated' : `${s.now - s.cacheTime}s old`
    // As Ansible: with packages, a deb or an upgrade to handle, the refresh itself is not a
    // change (a role's `apt: {name: [...], update_cache: true}` is idempotent); alone it is.
    const alone = !a.name?.length && a.deb === undefined && (a.upgrade === undefined || a.upgrade === 'no')
    out.push({
      summary: `update the apt cache (${age})`,
      uncertain: true,
      quiet: !alone,
      steps: [updateStep(a)],
      diff: { before: `apt cache: ${age}\n`, after: 'apt cache: updated\n' },
    })
  }
  const removals = p.changes.filter((c) => c.action === 'remove' || c.action === 'purge')
  const installs = p.changes.filter((c) => !(c.action === 'remove' || c.action === 'purge'))
  const autoremove = code(a.autoremove ? ' --auto-remove' : '')
  if (installs.length || p.recheck.length) {
    const specs = [...installs.map((c) => c.spec), ...p.recheck]
    const steps: ExecStep[] = []
    const script = sh`rmp_apt_get ${opts}${code(a.only_upgrade ? ' --only-upgrade' : '')}${autoremove} install -- ${specs}`
    const unsure = installs
      .filter((c) => c.afterUpdate)
      .map((c) => baseName(c.spec))
      .filter((n) => !n.startsWith('/'))
    steps.push(apply(a, unsure.length ? joinScripts([knownCheck(unsure), script]) : script))
    const sure = installs.filter((c) => !c.afterUpdate)
    const parts: string[] = []
    if (sure.length) parts.push(describe(sure))
    const later = installs.filter((c) => c.afterUpdate)
    if (later.length)
      parts.push(
        `${describe(later)} (${later.some((c) => c.spec === a.deb) ? 'the .deb file is not on the host yet' : 'not in the apt cache yet; known after the update'})`,
      )
    if (p.recheck.length) parts.push(`upgrade ${p.recheck.join(' ')} if the updated cache has newer versions`)
    if (a.autoremove && s.autoremovable?.length) parts.push(`autoremove ${s.autoremovable.join(' ')}`)
    const shown = [
      ...installs,
      ...p.recheck.map((n): PackageChange => {
        const v = installed(s.dpkg, n)?.version ?? '?'
        return { name: n, spec: n, action: 'upgrade', before: v, after: `${v} or newer` }
      }),
    ]
    out.push({
      summary: parts.join('; '),
      uncertain: sure.length === 0 || undefined,
      steps,
      diff: { before: diffText(shown, 'before'), after: diffText(shown, 'after') },
      ...(p.needs ? { needs: { msg: p.needs } } : {}),
    })
  }
  if (removals.length) {
    const parts = [describe(removals)]
    if (a.autoremove && s.autoremovable?.length && !installs.length) parts.push(`autoremove ${s.autoremovable.join(' ')}`)
    out.push({
      summary: parts.join('; '),
      steps: [apply(a, sh`rmp_apt_get ${opts}${autoremove} ${code(a.purge ? 'purge' : 'remove')} -- ${removals.map((c) => c.spec)}`)],
      diff: { before: diffText(removals, 'before'), after: diffText(removals, 'after') },
    })
  }
  const up = upgradeCommand(a)
  if (up) {
    const list = s.upgradable ?? []
    if (list.length || p.updateCache) {
      const what = list.length ? `: ${list.map((u) => u.name).join(' ')}` : ''
      out.push({
        summary: `${up} the system${what}${p.updateCache ? ' (and whatever the updated cache has newer)' : ''}`,
        uncertain: list.length === 0 || undefined,
        steps: [apply(a, sh`rmp_apt_get ${opts} ${code(up === 'upgrade' ? 'upgrade --with-new-pkgs' : 'dist-upgrade')}`)],
        diff: { before: list.map((u) => `${u.name}: ${u.from ?? '(absent)'}\n`).join(''), after: list.map((u) => `${u.name}: ${u.to}\n`).join('') },
      })
    }
  }
  if (a.autoremove && !installs.length && !removals.length && s.autoremovable?.length) {
    out.push({
      summary: `autoremove ${s.autoremovable.join(' ')}`,
      steps: [apply(a, sh`rmp_apt_get ${opts} autoremove${code(a.purge ? ' --purge' : '')}`)],
      diff: { before: s.autoremovable.map((n) => `${n}: installed\n`).join(''), after: s.autoremovable.map((n) => `${n}: (absent)\n`).join('') },
    })
  }
  return out
}

const probes = (a: AptArgs) => ({ apt: aptProbe(probeOptions(a)) })

export const apt: HostModule<AptArgs, AptArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'apt',
  doc: 'Install, upgrade and remove Debian packages with apt-get.',
  args: aptSchema,
  returns: {
    cache_updated: 'whether apt-get update ran',
    cache_update_time: 'when the package lists were last updated (epoch seconds)',
    packages: 'each named package: { before, after } versions of the packages this task changed',
    stdout: "apt-get's output",
    stderr: "apt-get's error output",
  },
  validate: validateApt,
  probes,
  plan(a, { apt }) {
    if (!a.name?.length && !a.deb && !wantsUpdate(a) && a.upgrade === 'no' && !a.autoremove) return []
    return aptPlan(a, apt)
  },
  result(a, { apt: s }, outputs) {
    const updated = outputs.some((o) => o.step.kind === 'exec' && o.step.label === 'update')
    const p = aptDecide(a, s)
    return {
      cache_updated: updated,
      cache_update_time: updated ? s.now : s.cacheTime,
      packages: Object.fromEntries(p.changes.map((c) => [c.name, { before: c.before, after: c.after }])),
    }
  },
}
