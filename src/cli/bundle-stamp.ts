// Whether dist/bundle/ is the current build of dist/src. tsc rewrites dist/.tsbuildinfo whenever it
// emits anything, and the bundle records the size and time of the one it was made from: after a
// `tsc` alone (a developer's rebuild) the bundle is stale, and bin/rm-play.js runs dist/src, which
// is correct, only slower. One stat, where checking each of the ~220 inputs costs milliseconds.
// An installed package ships no .tsbuildinfo: its bundle is current by construction.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

interface Stamp {
  tsbuildinfo: { size: number; mtimeMs: number } | null
}

const stampFile = (root: string) => join(root, 'dist', 'bundle', 'stamp.json')

function tsbuildinfo(root: string): Stamp['tsbuildinfo'] {
  try {
    const s = statSync(join(root, 'dist', '.tsbuildinfo'))
    return { size: s.size, mtimeMs: s.mtimeMs }
  } catch {
    return null
  }
}

/** Called by the bundler once dist/bundle/ is written. */
export function writeStamp(root: string): void {
  writeFileSync(stampFile(root), JSON.stringify({ tsbuildinfo: tsbuildinfo(root) } satisfies Stamp) + '\n')
}

/** True when dist/bundle/ exists and was made from the dist/src there is now. */
export function bundleIsCurrent(root: string): boolean {
  let stamp: Stamp
  try {
    stamp = JSON.parse(readFileSync(stampFile(root), 'utf8')) as Stamp
  } catch {
    return false
  }
  const now = tsbuildinfo(root)
  if (now === null) return true
  return stamp.tsbuildinfo !== null && stamp.tsbuildinfo.size === now.size && stamp.tsbuildinfo.mtimeMs === now.mtimeMs
}
