// The rm-play checkout the command runs in: where `inventory/lab/` and `apps/` are.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function findProjectRoot(from: string): string | undefined {
  let dir = from
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'rm-play') return dir
      } catch {
        // a broken package.json further down is not ours; keep walking up
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export function defaultInventoryPath(projectRoot: string): string {
  return join(projectRoot, 'inventory', 'lab', 'hosts.yml')
}
