// RPM package state for the dnf module: what rpm has installed (`rpm -q --qf`), and what dnf's
// repositories offer (`dnf repoquery --qf`: the newest version of each package not installed, and,
// for state=latest, the upgrades of the installed ones). dnf 4 (RHEL 8/9, Fedora before 41).
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { sections } from './output.js'

/** One package as rpm names it: name, epoch (0 when it has none), version, release, arch. */
export interface RpmPackage {
  name: string
  epoch: number
  version: string
  release: string
  arch: string
  /** Where dnf would take it from (repoquery only). */
  repo?: string
}

export interface DnfState {
  installed: RpmPackage[]
  /** The newest version the repositories offer of each package that is not installed, by name. */
  available: Record<string, RpmPackage>
  /** state=latest: the newest upgrade of each installed package that has one, by name. */
  upgrades: Record<string, RpmPackage>
}

export interface DnfProbeOptions {
  names: readonly string[]
  /** state=latest: ask for upgrades of the installed packages too. */
  upgrades: boolean
  /** update_cache: dnf refreshes the metadata before it answers (--refresh). */
  refresh: boolean
  enablerepo: readonly string[]
  disablerepo: readonly string[]
}

/** `[epoch:]version-release`, as dnf prints an EVR. */
export function evr(p: RpmPackage): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`
}

// The same five fields (and the repository for repoquery), one package a line, space-separated
// (no field of an RPM header's name, version, release or arch holds a space).
const RPM_QF = '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}\\n'
const REPOQUERY_QF = '%{name} %{epoch} %{version} %{release} %{arch} %{repoid}'

/**
 * `rpm -q --qf` lines (`nginx (none) 1.20.1 14.el9_2.1 x86_64`) and repoquery lines (epoch `0`, a
 * repository id after the arch). "package x is not installed" lines and anything else are skipped.
 */
export function parseRpmLines(text: string): RpmPackage[] {
  const out: RpmPackage[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5 || f.length > 6 || line.startsWith('package ')) continue
    const [name, epoch, version, release, arch, repo] = f as [string, string, string, string, string, string | undefined]
    if (!/^(\d+|\(none\))$/.test(epoch)) continue
    out.push({ name, epoch: epoch === '(none)' ? 0 : Number(epoch), version, release, arch, ...(repo ? { repo } : {}) })
  }
  return out
}

/** The one package of each name dnf would pick: the host's own arch (or noarch) before another. */
function byName(list: RpmPackage[], hostArch: string): Record<string, RpmPackage> {
  const out: Record<string, RpmPackage> = {}
  for (const p of list) {
    const cur = out[p.name]
    const native = (x: RpmPackage) => x.arch === hostArch || x.arch === 'noarch'
    if (!cur || (!native(cur) && native(p))) out[p.name] = p
  }
  return out
}

export function parseDnfState(text: string): DnfState {
  const s = sections(text)
  const arch = (s.get('arch') ?? '').trim()
  return {
    installed: parseRpmLines(s.get('rpm') ?? ''),
    available: byName(parseRpmLines(s.get('available') ?? ''), arch),
    upgrades: byName(parseRpmLines(s.get('upgrades') ?? ''), arch),
  }
}

/** dnf's repository options, shared by the probe and the steps. */
export function repoOptions(o: { enablerepo: readonly string[]; disablerepo: readonly string[] }): Script {
  return sh`${[...o.disablerepo.map((r) => `--disablerepo=${r}`), ...o.enablerepo.map((r) => `--enablerepo=${r}`)]}`
}

export function dnfProbeId(o: DnfProbeOptions): string {
  return `dnf:${JSON.stringify([[...o.names].sort(), o.upgrades, o.refresh, o.enablerepo, o.disablerepo])}`
}

/**
 * Reads rpm's database and dnf's metadata; with update_cache the metadata is refreshed first
 * (`makecache --refresh`), in check mode too, as Ansible's dnf does. The repositories are asked only about packages that are not
 * installed, or, for state=latest, for upgrades.
 */
export function dnfProbe(o: DnfProbeOptions): Probe<DnfState> {
  const names = [...new Set(o.names)]
  const repos = repoOptions(o)
  const dnf = sh`dnf -q -y ${repos} repoquery --latest-limit=1 --qf ${REPOQUERY_QF}`
  const parts: Script[] = [code('echo @@arch\nuname -m')]
  if (o.refresh) parts.push(sh`dnf -q -y --refresh ${repos} makecache >/dev/null 2>&1`)
  parts.push(code('echo @@rpm'))
  if (names.length) {
    parts.push(sh`rpm -q --qf ${RPM_QF} -- ${names} 2>/dev/null
echo @@available
set --
for p in ${names}; do rpm -q --quiet -- "$p" || set -- "$@" "$p"; done
[ "$#" -eq 0 ] || ${dnf} -- "$@" 2>/dev/null`)
    if (o.upgrades)
      parts.push(sh`echo @@upgrades
${dnf} --upgrades -- ${names} 2>/dev/null`)
  }
  parts.push(code('echo @@end\nexit 0'))
  return { id: dnfProbeId(o), script: joinScripts(parts), parse: (out) => parseDnfState(out.stdout) }
}
