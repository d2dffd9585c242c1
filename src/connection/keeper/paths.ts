// Where the connection keeper listens: one socket per user and per build of rm-play, in a
// directory only that user can enter ($XDG_RUNTIME_DIR/rm-play, else ~/.rm-play/cp, as Ansible's
// ~/.ansible/cp). Anyone who can open the socket can run commands on the kept hosts, so a
// directory that others could enter or write is refused, and then nothing is kept.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The keeper's program (dist/src/connection/keeper/main.js beside this file). */
export const KEEPER_MAIN = fileURLToPath(new URL('./main.js', import.meta.url))

/** The socket's directory, made private if new; undefined when it is not private to this user. */
export function keeperDir(): string | undefined {
  const dir = process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'rm-play') : join(homedir(), '.rm-play', 'cp')
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = statSync(dir)
    const uid = process.getuid?.()
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return undefined
    return dir
  } catch {
    return undefined
  }
}

/**
 * The socket of the keeper of this build: named after the keeper's code (every file of the
 * connection layer it runs, by size and time), so that a rebuilt or upgraded rm-play starts a keeper
 * of its own instead of talking to one that runs older code.
 */
export function keeperSocket(dir: string): string {
  const hash = createHash('sha256').update(KEEPER_MAIN)
  const code = dirname(dirname(KEEPER_MAIN))
  for (const d of [code, dirname(KEEPER_MAIN)]) {
    try {
      for (const f of readdirSync(d).sort()) {
        if (!f.endsWith('.js')) continue
        const st = statSync(join(d, f))
        hash.update(`${f}:${st.size}:${st.mtimeMs}\n`)
      }
    } catch {
      // no keeper program: the spawn fails and the run connects by itself
    }
  }
  return join(dir, `keeper-${hash.digest('hex').slice(0, 12)}.sock`)
}
