// The one way files reach a host: into a temp file beside the destination (mktemp: mode 0600 from
// the first byte), owner and mode set on the temp file, optional validation of the temp file,
// optional backup, then an atomic rename. A failed validation or a dropped connection leaves the
// destination as it was; no file is ever visible with the wrong mode.
import type { PutStep } from '../modules/types.js'
import { quote } from './shell.js'

/** The shell script for a put step; the content is its standard input. */
export function putScript(step: PutStep): string {
  const lines = [
    'set -e',
    `dest=${quote(step.path)}`,
    'dir=$(dirname -- "$dest")',
    `[ -d "$dir" ] || { echo "destination directory $dir does not exist" >&2; exit 1; }`,
    `tmp=$(mktemp "$dir/.rmp-tmp.XXXXXXXX")`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    'cat > "$tmp"',
  ]
  // Without an explicit owner/mode, an existing file keeps its own; a new one gets 0644 root-style defaults.
  if (step.mode === undefined) lines.push(`if [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; else chmod 0644 "$tmp"; fi`)
  if (step.owner === undefined && step.group === undefined) lines.push(`if [ -e "$dest" ]; then chown --reference="$dest" "$tmp" 2>/dev/null || true; fi`)
  if (step.owner !== undefined || step.group !== undefined) lines.push(`chown -- ${quote(`${step.owner ?? ''}${step.group !== undefined ? `:${step.group}` : ''}`)} "$tmp"`)
  if (step.mode !== undefined) lines.push(`chmod -- ${quote(step.mode)} "$tmp"`)
  if (step.validate) {
    const cmd = step.validate.includes('%s') ? step.validate.split('%s').join('"$tmp"') : `${step.validate} "$tmp"`
    lines.push(`if ! out=$( ${cmd} 2>&1 ); then printf 'validation failed (%s): %s\\n' ${quote(step.validate)} "$out" >&2; exit 3; fi`)
  }
  if (step.backup) lines.push(`if [ -e "$dest" ]; then b="$dest.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$dest" "$b"; printf 'backup_file=%s\\n' "$b"; fi`)
  lines.push('mv -f -- "$tmp" "$dest"', 'trap - EXIT')
  return lines.join('\n')
}
