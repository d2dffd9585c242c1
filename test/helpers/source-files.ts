// The TypeScript files under a folder, for the tests that read the source (the layer table, the
// sh guard).
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

export function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...sourceFiles(p))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}
