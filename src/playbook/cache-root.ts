// Where rm-play keeps what it can compute again (the load cache, the CLI's compiled code):
// $RM_PLAY_CACHE_DIR, else $XDG_CACHE_HOME/rm-play, else ~/.cache/rm-play; RM_PLAY_CACHE=0 turns
// every cache off (undefined).
import { homedir } from 'node:os'
import { join } from 'node:path'

export function cacheRoot(): string | undefined {
  if (process.env.RM_PLAY_CACHE === '0') return undefined
  if (process.env.RM_PLAY_CACHE_DIR) return process.env.RM_PLAY_CACHE_DIR
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rm-play')
}
