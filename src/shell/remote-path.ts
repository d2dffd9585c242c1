// Paths on the host, always POSIX: node:path would follow the controller's rules; and the private
// temp directories every write makes beside its destination.
import { code, joinScripts, sh, type Script } from './sh.js'

/** The directory holding p ('/' for '/x' and for '/' itself, '.' for a bare name). */
export function parentDir(p: string): string {
  const t = p.length > 1 ? p.replace(/\/+$/, '') : p
  const i = t.lastIndexOf('/')
  return i < 0 ? '.' : i === 0 ? '/' : t.slice(0, i)
}

/** name inside dir, without a doubled slash ('/' + 'x' is '/x', '.' + 'x' is 'x'). */
export function childPath(dir: string, name: string): string {
  if (dir === '.') return name
  return `${dir.replace(/\/+$/, '')}/${name}`
}

/** The directories to make, outermost first, for dir to exist when `ancestor` is its nearest existing one. */
export function dirsBetween(ancestor: string, dir: string): string[] {
  const rest = (ancestor === '.' ? dir : dir.slice(ancestor === '/' ? 1 : ancestor.length + 1)).split('/').filter(Boolean)
  const out: string[] = []
  let cur = ancestor
  for (const r of rest) out.push((cur = childPath(cur, r)))
  return out
}

// ---- private temp directories beside a destination (every temp name on a host is made here) ----

/** The prefix of every private temp directory made beside a destination. */

/**
 * Removes, in "$dir", the temp directories of runs killed on the host, and only those: named
 * .rmp-tmp. + 10 characters, real directories (not symlinks), owned by the user running the step,
 * whose recorded process (an empty `pid.N` marker inside) is gone; without a marker (the moment
 * between mktemp and the marker), only when older than a minute. Others' temps are never touched.
 */
export const CLEAN_STALE_TEMPS = code(`for s in "$dir"/.rmp-tmp.??????????; do
  [ -d "$s" ] && [ ! -L "$s" ] && [ -O "$s" ] || continue
  live=; marked=
  for p in "$s"/pid.*; do [ -e "$p" ] || continue; marked=1; [ -d "/proc/\${p##*/pid.}" ] && live=1; done
  [ -z "$live" ] || continue
  [ -n "$marked" ] || [ -n "$(find "$s" -maxdepth 0 -mmin +1 2>/dev/null)" ] || continue
  rm -rf -- "$s"
done`)

/**
 * Makes the private temp directory "$t" in "$dir" (mktemp -d: random name, created exclusively, mode
 * 0700: nobody else can open what is inside or plant anything there), marked with the pid of the
 * process running the step (read from /proc/self/stat: $$ would name the session shell, not the
 * subshell the step runs in), removed on exit and on a signal. SIGPIPE is ignored: once the
 * controller is gone, writing an error message must fail (and exit through the trap), not kill the
 * shell past its trap. The marker is an empty file: it needs no data block, so it can be made on a
 * full disk.
 */
export const MAKE_PRIVATE_TEMP = code(`t=$(mktemp -d "$dir/.rmp-tmp.XXXXXXXXXX") || { echo "cannot create a temp directory in $dir" >&2; exit 1; }
trap 'rm -rf -- "$t"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap '' PIPE
{ read -r me _ < /proc/self/stat; } 2>/dev/null || me=$$
: > "$t/pid.$me"`)

/** Sets "$dir" to the directory holding `path`, cleans stale temps there and makes the private "$t". */
export function privateTempBeside(path: string): Script {
  return joinScripts([sh`dir=${parentDir(path)}`, CLEAN_STALE_TEMPS, MAKE_PRIVATE_TEMP])
}
