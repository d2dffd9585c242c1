// Facts: a small set read in one round trip, named as Ansible names them (ansible_hostname,
// ansible_distribution, ansible_processor_vcpus, ansible_service_mgr ...).
import type { Probe } from '../contract/types.js'
import { code, sh } from '../shell/index.js'
import { CPUINFO_RULES, CPUINFO_SETUP, cpuFacts } from './cpu-facts.js'
import { keyValues, pairs } from './output.js'
import { PKG_MGR_SCRIPT, pkgMgrOf } from './pkg-mgr.js'
import { SYSTEMD_BOOTED } from './services.js'

/**
 * `u=$(uname -srm)` without the program: uname(2)'s sysname, release and machine are the kernel's
 * ostype, osrelease and arch of the same UTS namespace, unless a personality (linux32, uname26)
 * changes what uname(2) says. A kernel without kernel/arch (before 6.1) runs uname.
 */
export const UNAME_SRM = code(`if IFS= read -r k </proc/self/personality && [ "$k" = 00000000 ] && IFS= read -r s </proc/sys/kernel/ostype \\
  && IFS= read -r r </proc/sys/kernel/osrelease && IFS= read -r m </proc/sys/kernel/arch; then u="$s $r $m"; else u=$(uname -srm); fi 2>/dev/null`)

/**
 * \`n=$(id -un)\` without the program where its answer is plain to read: the name service asks
 * /etc/passwd first (nsswitch.conf's passwd line starts with files) and the effective uid's entry
 * is there, after lines that are all plain entries (glibc skips comments, blank-led and +/- lines:
 * any such line, an action after files, or a last line without its newline, and id -un answers).
 * The effective uid is the third of /proc/self/status's Uid.
 */
export const USER_NAME = code(`n=; e=
while IFS= read -r l; do case $l in Uid:*) set -f; set -- $l; set +f; e=$3; break ;; esac; done </proc/self/status 2>/dev/null
f=; while read -r k v x; do case $k in passwd:) case $x in [[]*) f=$f$v! ;; *) f=$f$v. ;; esac ;; esac; done </etc/nsswitch.conf 2>/dev/null
case $e in '' | *[!0-9]*) f= ;; esac
if [ "$f" = files. ]; then
  while IFS=: read -r a b c x; do
    case $a in '' | [#+-]* | *[[:space:]]*) break ;; esac
    case $c in '' | *[!0-9]*) break ;; esac
    if [ "$c" = "$e" ]; then n=$a; break; fi
  done </etc/passwd 2>/dev/null
fi
[ -n "$n" ] || n=$(id -un)`)

/**
 * The route to 1.1.1.1, then the global IPv4 addresses, for the awk below: one \`ip -batch\` for
 * both (one program less). Its -o puts the route on one line (the same words) and every address
 * line starts "N: ", which tells awk where the addresses start (ADDRESSES_START). An ip without
 * -batch or -force (busybox) prints nothing: then the two commands with "@" between, as before.
 */
export const ROUTES = code(`o=$(ip -force -4 -o -batch - 2>/dev/null <<EOF
route get 1.1.1.1
addr show scope global
EOF
)
if [ -n "$o" ]; then printf '%s\\n' "$o"; else { ip -4 route get 1.1.1.1; echo @; ip -4 -o addr show scope global; } 2>/dev/null; fi`)
/** The awk rule that starts the addresses at the first "N: " line (a route line starts otherwise). */
export const ADDRESSES_START = code('!s && /^[0-9]+: / { s = 1 }')

// Forks are what facts cost on a busy host: small files are read with the shell's read, the kernel's
// names too (not uname), one awk reads the routes, addresses, memory, uid and processors, one date
// prints the three instants, and the user's name comes from /etc/passwd when that is where the name
// service looks first. What a builtin cannot answer exactly (hostname -f, a name service beyond
// /etc/passwd) still runs its program.
const SCRIPT = sh`
if command -v hostname >/dev/null 2>&1 && IFS= read -r h </proc/sys/kernel/hostname; then
  echo "hostname=$h"; f=$(hostname -f 2>/dev/null) || f=$h; echo "fqdn=$f"
else
  echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"; echo "fqdn=$(hostname -f 2>/dev/null || hostname)"
fi
if [ -r /etc/os-release ]; then . /etc/os-release; fi
echo "os_id=\${ID:-}"; echo "os_like=\${ID_LIKE:-}"; echo "os_name=\${NAME:-}"; echo "os_version_id=\${VERSION_ID:-}"; echo "os_codename=\${VERSION_CODENAME:-}"
if [ -r /etc/debian_version ]; then IFS= read -r v </etc/debian_version; echo "debian_version=$v"; fi
${CPUINFO_SETUP}
${ROUTES} | awk -v xen="$xen" -v cpuinfo="$cpuinfo" '
${CPUINFO_RULES}
FILENAME == "/proc/meminfo" { if (/^MemTotal:/) print "memtotal_kb="$2; if (/^MemAvailable:/) print "memfree_kb="$2; if (/^SwapTotal:/) print "swaptotal_kb="$2; next }
FILENAME == "/proc/self/status" { if (/^Uid:/) print "user_uid="$3; next }
${ADDRESSES_START}
!s && $0 == "@" { s = 1; next }
!s { for (i = 1; i <= NF; i++) { if ($i == "src" && n < 2) { print "ipv4="$(i+1); n++ } if ($i == "dev" && n < 2) { print "ipv4_dev="$(i+1); n++ } } next }
{ split($4, a, "/"); print "ipv4_all="a[1] }' - /proc/meminfo /proc/self/status "$cpuinfo" 2>/dev/null
if ${SYSTEMD_BOOTED}; then echo "service_mgr=systemd"; elif [ -x /sbin/openrc-run ]; then echo "service_mgr=openrc"; else echo "service_mgr=sysvinit"; fi
printf python3=; command -v python3 || echo
${UNAME_SRM}
r=\${u#* }; echo "arch=\${u##* }"; echo "kernel=\${r% *}"; echo "system=\${u%% *}"
${USER_NAME}
echo "user_id=$n"; [ -r /proc/self/status ] || echo "user_uid=$(id -u)"; echo "home=$HOME"
${PKG_MGR_SCRIPT}
f=; if [ -r /proc/sys/crypto/fips_enabled ]; then IFS= read -r f </proc/sys/crypto/fips_enabled; fi; echo "fips=$f"
e=$(date +%s.%6N); y=$(( (365 * 24 + 6) * 3600 )); jan=$(( \${e%.*} / y * y ))
LC_ALL=C date -f - '+date=%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%6N|%Z|%z' <<EOF
@$e
@$jan
@$(( jan + y / 2 ))
EOF
`

const FAMILY: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Debian',
  linuxmint: 'Debian',
  raspbian: 'Debian',
  rhel: 'RedHat',
  centos: 'RedHat',
  fedora: 'RedHat',
  rocky: 'RedHat',
  almalinux: 'RedHat',
  amzn: 'RedHat',
  ol: 'RedHat',
  alpine: 'Alpine',
  arch: 'Archlinux',
  opensuse: 'Suse',
  sles: 'Suse',
}
const DISTRO: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Ubuntu',
  centos: 'CentOS',
  rhel: 'RedHat',
  fedora: 'Fedora',
  alpine: 'Alpine',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  amzn: 'Amazon',
  ol: 'OracleLinux',
  arch: 'Archlinux',
}

export type Facts = Record<string, unknown>

const minutes = (z: string) => (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)))

/** `date -u '+%Y-%m-%dT%H:%M:%S.%6N'` of an instant given as epoch seconds and microseconds. */
function utcIso(epoch: string, micro: string): string {
  const at = new Date(Number(epoch) * 1000)
  return Number.isNaN(at.getTime()) ? '' : `${at.toISOString().slice(0, 19)}.${micro}`
}

/**
 * ansible_date_time as ansible-core's date_time.py builds it from one instant: local fields,
 * UTC iso8601, and tz_dst as CPython's time.tzname[1] on glibc (the zone names of early January
 * and early July of this year, the one with the larger UTC offset second). The script prints the
 * instant, early January and early July in one `date` format (`date=` lines, in that order).
 */
function dateTime(dates: string[]): Record<string, string> {
  const [year, month, weekday, weekdayNumber, weeknumber, day, hour, minute, second, epoch, micro, tz, tzOffset] = (dates[0] ?? '').split('|')
  if (tz === undefined) return {}
  const zone = (line: string | undefined) => (line ?? '').split('|').slice(11, 13)
  const [janName, janOff] = zone(dates[1])
  const [julName, julOff] = zone(dates[2])
  const utc = utcIso(epoch!, micro!)
  return {
    year: year!,
    month: month!,
    weekday: weekday!,
    weekday_number: weekdayNumber!,
    weeknumber: weeknumber!,
    day: day!,
    hour: hour!,
    minute: minute!,
    second: second!,
    epoch: epoch!,
    epoch_int: epoch!,
    date: `${year}-${month}-${day}`,
    time: `${hour}:${minute}:${second}`,
    iso8601_micro: `${utc}Z`,
    iso8601: `${utc.split('.')[0]}Z`,
    iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
    iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
    tz: tz,
    tz_dst: minutes(janOff ?? '') > minutes(julOff ?? '') ? (janName ?? '') : (julName ?? ''),
    tz_offset: tzOffset!,
  }
}

export function parseFacts(stdout: string): Facts {
  const kv = keyValues(stdout)
  const all = pairs(stdout)
    .filter(([k]) => k === 'ipv4_all')
    .map(([, v]) => v)
  const id = kv.os_id ?? ''
  // As ansible-core: the version is os-release's VERSION_ID ("12", "22.04"); Debian's point release
  // ("12.7" in /etc/debian_version) is only the minor version.
  const debianPoint = id === 'debian' ? /^(\d+)\.(\d+)/.exec(kv.debian_version ?? '') : null
  const version = kv.os_version_id || (debianPoint?.[1] ?? '')
  const minor = debianPoint?.[2] ?? version.split('.')[1]
  const family = FAMILY[id] ?? FAMILY[(kv.os_like ?? '').split(' ')[0] ?? ''] ?? (id ? id.charAt(0).toUpperCase() + id.slice(1) : 'Unknown')
  const distribution = DISTRO[id] ?? kv.os_name ?? 'Unknown'
  const facts: Facts = {
    hostname: (kv.hostname ?? '').split('.')[0],
    nodename: kv.hostname ?? '',
    fqdn: kv.fqdn ?? kv.hostname ?? '',
    domain: (kv.fqdn ?? '').split('.').slice(1).join('.'),
    os_family: family,
    distribution,
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    ...(minor !== undefined ? { distribution_minor_version: minor } : {}),
    distribution_release: kv.os_codename ?? '',
    ...cpuFacts(kv.cpu, kv.cpus_allowed, kv.arch ?? ''),
    memtotal_mb: Math.floor(Number(kv.memtotal_kb ?? 0) / 1024),
    memfree_mb: Math.floor(Number(kv.memfree_kb ?? 0) / 1024),
    swaptotal_mb: Math.floor(Number(kv.swaptotal_kb ?? 0) / 1024),
    service_mgr: kv.service_mgr ?? 'sysvinit',
    python: { executable: kv.python3 ?? '' },
    python3: kv.python3 ?? '',
    architecture: kv.arch ?? '',
    kernel: kv.kernel ?? '',
    system: kv.system ?? 'Linux',
    user_id: kv.user_id ?? '',
    user_uid: Number(kv.user_uid ?? -1),
    user_dir: kv.home ?? '',
    pkg_mgr: pkgMgrOf({
      paths: pairs(stdout)
        .filter(([k]) => k === 'pkg_path')
        .map(([, v]) => v),
      osFamily: family,
      distribution,
      majorVersion: version.split('.')[0] ?? '',
      ostree: kv.ostree === '1',
    }),
    default_ipv4: { address: kv.ipv4 ?? '', interface: kv.ipv4_dev ?? '' },
    all_ipv4_addresses: all,
    fips: kv.fips === '1',
    date_time: dateTime(
      pairs(stdout)
        .filter(([k]) => k === 'date')
        .map(([, v]) => v),
    ),
  }
  return facts
}

export const factsProbe: Probe<Facts> = {
  id: 'facts',
  script: SCRIPT,
  parse: (o) => parseFacts(o.stdout),
}

/** Facts as variables: `ansible_facts` (a mapping) and each fact again as `ansible_<name>`. */
export function factVariables(facts: Facts): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: facts }
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v
  return out
}
