// The one way files reach a host. The content is written into a private directory made beside the
// destination (`mktemp -d`: a random name, created exclusively, mode 0700, so no other user can open
// the file or plant anything in it), with umask 077 (mode 0600 from the first byte). Its size and
// SHA-256 are checked against what the controller sent: a transfer cut short (rm-play killed, the
// connection dropped: the remote shell then sees a normal end of input) or a write that failed
// (disk full) is never renamed into place. Owner and mode are set on the temp file, the optional
// validation runs on it, the optional backup is made, then one atomic rename: the destination holds
// the old content or the new one, never part of it, and never with a wider mode than asked.
//
// A run killed on the host side (the remote shell itself killed) can leave its private directory
// behind: the next write into the same directory removes such leftovers, and only those
// (CLEAN_STALE_TEMPS in shell/remote-path.ts says which).
import { createHash } from 'node:crypto'
import type { PutStep } from '../contract/types.js'
import { shlexSplit } from '../shell/shlex.js'
import { CLEAN_STALE_TEMPS, MAKE_PRIVATE_TEMP } from '../shell/remote-path.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'

/** The validate command (Ansible's: split into words, %s the temp file; no shell), on "$f". */
export function validateCommand(validate: string): Script {
  const words = shlexSplit(validate)
  if (!words.length) throw new Error('validate is empty')
  // Each word is quoted; each %s in it becomes "$f".
  return joinScripts(
    words.map((w) =>
      joinScripts(
        w.split('%s').map((part) => sh`${part}`),
        '"$f"',
      ),
    ),
    ' ',
  )
}

/** The shell script for a put step; the content is its standard input (or `from`, a host path). */
export function putScript(step: PutStep): Script {
  const lines: Script[] = [
    code('set -e'),
    sh`dest=${step.path}`,
    code('dir=$(dirname -- "$dest")'),
    code('[ -d "$dir" ] || { echo "destination directory $dir does not exist" >&2; exit 1; }'),
    // The umask for a new file's default mode, before the temp's own umask 077.
    code('um=$(umask); umask 077'),
    CLEAN_STALE_TEMPS,
    MAKE_PRIVATE_TEMP,
    code('f="$t/new"'),
  ]
  if (step.from !== undefined) {
    lines.push(sh`if ! err=$(cat -- ${step.from} 2>&1 > "$f"); then printf 'could not write %s: %s\\n' "$dest" "$err" >&2; exit 1; fi`)
  } else {
    const data = Buffer.from(step.content)
    const sum = createHash('sha256').update(data).digest('hex')
    lines.push(
      code(`if ! err=$(cat 2>&1 > "$f"); then printf 'could not write %s: %s\\n' "$dest" "$err" >&2; exit 1; fi`),
      // A cut transfer ends like a complete one: only the size and checksum tell them apart.
      sh`size=$(wc -c < "$f"); if [ "$size" -ne ${data.length} ]; then printf 'upload of %s incomplete: %s of %s bytes arrived; the destination is unchanged\\n' "$dest" "$size" ${data.length} >&2; exit 1; fi`,
      sh`got=$(sha256sum < "$f"); if [ "\${got%% *}" != ${sum} ]; then printf 'upload of %s corrupt: sha256 %s, expected %s; the destination is unchanged\\n' "$dest" "\${got%% *}" ${sum} >&2; exit 1; fi`,
    )
  }
  // Without an explicit mode, an existing file keeps its own; a new one gets 0666 less the umask.
  // A symlink at dest is replaced, so its target's mode and owner are not the reference.
  if (step.mode === undefined)
    lines.push(code(`if [ -f "$dest" ] && [ ! -L "$dest" ]; then chmod --reference="$dest" "$f"; else chmod "$(printf '%o' $((0666 & ~$um)))" "$f"; fi`))
  // Owner and group: what is given, and the existing file's for the half that is not.
  if (step.owner === undefined || step.group === undefined)
    lines.push(code('if [ -f "$dest" ] && [ ! -L "$dest" ]; then chown --reference="$dest" "$f" 2>/dev/null || true; fi'))
  if (step.owner !== undefined) lines.push(sh`chown -- ${step.owner} "$f"`)
  if (step.group !== undefined) lines.push(sh`chgrp -- ${step.group} "$f"`)
  if (step.mode !== undefined) lines.push(sh`chmod -- ${step.mode} "$f"`)
  if (step.validate) {
    // A validate of several lines (a module's own checker) is named by its first.
    const shown = step.validate.includes('\n') ? `${step.validate.split('\n')[0]}…` : step.validate
    lines.push(sh`if ! out=$( ${validateCommand(step.validate)} 2>&1 ); then printf 'validation failed (%s): %s\\n' ${shown} "$out" >&2; exit 3; fi`)
  }
  // The backup is copied inside the private directory, then renamed: whatever is at the backup's
  // name (a symlink planted there) is replaced, never written through.
  if (step.backup)
    lines.push(
      code(
        `if [ -e "$dest" ]; then b="$dest.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$dest" "$t/backup"; mv -fT -- "$t/backup" "$b"; printf 'backup_file=%s\\n' "$b"; fi`,
      ),
    )
  // -T: a destination that is a symlink to a directory is replaced, never written into.
  lines.push(code('mv -fT -- "$f" "$dest"'))
  return joinScripts(lines)
}
