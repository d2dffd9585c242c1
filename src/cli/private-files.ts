// Writing files that hold secrets on the controller: never through a name someone else could have
// planted (a symlink named FILE.tmp), never readable by another user, never left behind.
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

/**
 * Replaces `file` with `content`: a temp with a random name in the same directory, created with
 * O_EXCL|O_NOFOLLOW and mode 0600 (so a planted name or link fails instead of being followed),
 * synced, then renamed over the file. The file keeps its mode when it existed (0600 when new).
 */
export function replaceFileAtomically(file: string, content: string): void {
  let mode = 0o600
  try {
    mode = statSync(file).mode & 0o7777
  } catch {
    // a new file: 0600
  }
  const tmp = join(dirname(file), `.${basename(file)}.rmp-${randomBytes(12).toString('hex')}.tmp`)
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    writeSync(fd, content)
    if (mode !== 0o600) fchmodSync(fd, mode)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    unlinkSync(tmp)
    throw e
  }
  closeSync(fd)
  try {
    renameSync(tmp, file)
  } catch (e) {
    unlinkSync(tmp)
    throw e
  }
}

/** Creates a new file that must not exist yet (exclusive, no link followed, 0600). */
export function createFileExclusively(file: string, content: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Runs `fn` with a 0700 directory of its own (mkdtemp) that is removed afterwards, whatever happens:
 * where `vault edit` puts the plaintext for the editor.
 */
export function withPrivateDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rm-play-vault-'))
  try {
    return fn(dir)
  } finally {
    // Overwrite what the editor left before unlinking (as ansible-vault shreds its temp).
    for (const f of readdirSync(dir)) {
      try {
        const p = join(dir, f)
        const size = lstatSync(p).isFile() ? statSync(p).size : 0
        if (size) writeFileSync(p, Buffer.alloc(size))
      } catch {
        // removed below anyway
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
