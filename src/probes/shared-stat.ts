// One `stat`, one `sha1sum` and one `lsattr` for all the paths a batch of probes reads, instead of
// one of each per path: each program start costs a busy host more than the probe's shell work. The batch runs
// this script ahead of its probes; each path's line lands in a shell variable named after the
// path, which the path probe takes when it is set and reads itself when it is not. Exactness:
//   - only paths that exist and are not symlinks are stat'ed (a link's probe stats it, and its
//     target, itself), only readable regular files are checksummed;
//   - a program's lines are taken only when it succeeded for every path (then it printed one line
//     per path, in order): if a path went away in between, no variable is set and every probe
//     reads its own path, as without this script;
//   - reading a file may update its atime: a probe of a path that comes after the first probe of
//     that path which reads its content stats the path itself (its variable is unset after that
//     probe), so it sees the atime as it would have without this script;
//   - names come back as sha1sum prints them (a leading backslash when a name has a newline or a
//     backslash): only the hash before the first space is kept.
import { createHash } from 'node:crypto'
import type { Probe } from '../contract/types.js'
import { code, joinScripts, sh, varName, type Script } from '../shell/index.js'

/** What `stat -c` prints for parseStatLine. */
export const STAT_FORMAT = '%f %a %u %g %s %.9Y %.9X %.9Z %i %d %h %U %G'

/** The shell variables that hold a path's shared stat line, sha1 and lsattr line (hex names: no quoting needed). */
export function sharedStatVars(path: string): { stat: Script; sha1: Script; attrs: Script } {
  const h = createHash('sha1').update(path).digest('hex').slice(0, 20)
  return { stat: varName(`rmp_st_${h}`), sha1: varName(`rmp_sha1_${h}`), attrs: varName(`rmp_at_${h}`) }
}

/** Sets each variable named in $rmp_n to the next line of $rmp_s (a program's output). */
const DISTRIBUTE_LINES = code(`    rmp_nl='
'; for rmp_v in $rmp_n; do rmp_l=\${rmp_s%%"$rmp_nl"*}; rmp_s=\${rmp_s#*"$rmp_nl"}; eval "$rmp_v=\\$rmp_l"; done`)
/** The same for sha1sum's lines: the hash only (before the first space, after a leading backslash). */
const DISTRIBUTE_SUMS = code(`    rmp_nl='
'; for rmp_v in $rmp_n; do rmp_l=\${rmp_s%%"$rmp_nl"*}; rmp_s=\${rmp_s#*"$rmp_nl"}; rmp_l=\${rmp_l#\\\\}; eval "$rmp_v=\\\${rmp_l%% *}"; done`)

/**
 * What a batch runs around its probes: `ahead` before them all (undefined when none shares a
 * stat), `after[i]` right after probe i (it is the first probe of its path that reads the file).
 */
export function sharedStat(probes: readonly Probe[]): { ahead?: Script; after: (Script | undefined)[] } {
  const readBy = new Set<string>()
  const after = probes.map((p) => {
    const s = p.sharedStat
    if (!s?.reads || readBy.has(s.path)) return undefined
    readBy.add(s.path)
    return sh`unset ${sharedStatVars(s.path).stat}`
  })
  return { ahead: aheadScript(probes), after }
}

/** Paths per stat (and per sha1sum): each line is cut off the captured output in turn, which
 * copies the rest, so one program for thousands of paths would cost the shell more than it saves. */
export const CHUNK = 32

const chunks = <T>(xs: readonly T[]): T[][] => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK))

function aheadScript(probes: readonly Probe[]): Script | undefined {
  const sha1 = new Map<string, boolean>()
  const attrs = new Set<string>()
  for (const p of probes) {
    if (!p.sharedStat) continue
    sha1.set(p.sharedStat.path, (sha1.get(p.sharedStat.path) ?? false) || p.sharedStat.sha1)
    if (p.sharedStat.attrs) attrs.add(p.sharedStat.path)
  }
  if (sha1.size === 0) return undefined
  const paths = [...sha1.keys()]
  const lines: Script[] = [code('{')]
  for (const chunk of chunks(paths)) {
    lines.push(code('  set --; rmp_n='))
    for (const p of chunk) lines.push(sh`  if [ -e ${p} ] && [ ! -L ${p} ]; then set -- "$@" ${p}; rmp_n="$rmp_n ${sharedStatVars(p).stat}"; fi`)
    lines.push(sh`  if [ $# -gt 0 ] && rmp_s=$(stat -c ${STAT_FORMAT} -- "$@"); then`, DISTRIBUTE_LINES, code('  fi'))
  }
  for (const chunk of chunks(paths.filter((p) => sha1.get(p)))) {
    lines.push(code('  set --; rmp_n='))
    for (const p of chunk) lines.push(sh`  if [ -f ${p} ] && [ ! -L ${p} ] && [ -r ${p} ]; then set -- "$@" ${p}; rmp_n="$rmp_n ${sharedStatVars(p).sha1}"; fi`)
    lines.push(code('  if [ $# -gt 0 ] && rmp_s=$(sha1sum -- "$@"); then'), DISTRIBUTE_SUMS, code('  fi'))
  }
  // lsattr prints each name as given, so a name with a newline would break the lines apart: those
  // run their own. So do links (lsattr does not follow them) and what is neither a file nor a
  // directory (lsattr fails on it, which would fail the whole chunk).
  for (const chunk of chunks([...attrs].filter((p) => !p.includes('\n')))) {
    lines.push(code('  set --; rmp_n='))
    for (const p of chunk)
      lines.push(sh`  if { [ -f ${p} ] || [ -d ${p} ]; } && [ ! -L ${p} ]; then set -- "$@" ${p}; rmp_n="$rmp_n ${sharedStatVars(p).attrs}"; fi`)
    lines.push(code('  if [ $# -gt 0 ] && command -v lsattr >/dev/null && rmp_s=$(lsattr -d -- "$@"); then'), DISTRIBUTE_LINES, code('  fi'))
  }
  // its own variables go too: no probe sees them
  lines.push(code('  set --; unset rmp_n rmp_s rmp_nl rmp_v rmp_l'), code('} 2>/dev/null </dev/null'))
  return joinScripts(lines)
}
