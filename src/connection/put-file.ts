// The one way files reach a host: into a temp file beside the destination (mktemp: mode 0600 from
// the first byte), owner and mode set on the temp file, optional validation of the temp file,
// optional backup, then an atomic rename. A failed validation or a dropped connection leaves the
// destination as it was; no file is ever visible with the wrong mode.
import type { PutStep } from '../modules/types.js'
import { quote } from './shell.js'

/** The shell script for a put step; the content is its standard input (or `from`, a host path). */
export function putScript(step: PutStep): string {
  const lines = [
    'set -e',
    `dest=${quote(step.path)}`,
    'dir=$(dirname -- "$dest")',
    `[ -d "$dir" ] || { echo "destination directory $dir does not exist" >&2; exit 1; }`,
    `tmp=$(mktemp "$dir/.rmp-tmp.XXXXXXXX")`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    step.from !== undefined ? `cat -- ${quote(step.from)} > "$tmp"` : 'cat > "$tmp"',
  ]
  // Without an explicit mode, an existing file keeps its own; a new one gets 0666 less the umask.
  if (step.mode === undefined) lines.push(`if [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; else chmod "$(printf '%o' $((0666 & ~$(umask))))" "$tmp"; fi`)
  // Owner and group: what is given, and the existing file's for the half that is not.
  if (step.owner === undefined || step.group === undefined) lines.push(`if [ -e "$dest" ]; then chown --reference="$dest" "$tmp" 2>/dev/null || true; fi`)
  if (step.owner !== undefined) lines.push(`chown -- ${quote(step.owner)} "$tmp"`)
  if (step.group !== undefined) lines.push(`chgrp -- ${quote(step.group)} "$tmp"`)
  if (step.mode !== undefined) lines.push(`chmod -- ${quote(step.mode)} "$tmp"`)
  if (step.validate) {
    const cmd = step.validate.includes('%s') ? step.validate.split('%s').join('"$tmp"') : `${step.validate} "$tmp"`
    lines.push(`if ! out=$( ${cmd} 2>&1 ); then printf 'validation failed (%s): %s\\n' ${quote(step.validate)} "$out" >&2; exit 3; fi`)
  }
  if (step.backup) lines.push(`if [ -e "$dest" ]; then b="$dest.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$dest" "$b"; printf 'backup_file=%s\\n' "$b"; fi`)
  // -T: a destination that is a symlink to a directory is replaced, never written into.
  lines.push('mv -fT -- "$tmp" "$dest"', 'trap - EXIT')
  return lines.join('\n')
}
