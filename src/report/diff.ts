// Unified diffs for file changes (and before/after summaries for other state), coloured on a TTY.
import { createRequire } from 'node:module'
import type { FileDiff } from '../contract/types.js'
import type { Paint } from './paint.js'

// The diff package (two dozen files) loads at the first diff shown: a run without --diff never pays.
let diffLib: typeof import('diff') | undefined
const loadDiff = (): typeof import('diff') => (diffLib ??= createRequire(import.meta.url)('diff') as typeof import('diff'))

export function unifiedDiff(d: FileDiff): string {
  const name = d.path ?? 'state'
  const patch = loadDiff().createTwoFilesPatch(`${name} (before)`, `${name} (after)`, d.before, d.after, undefined, undefined, { context: 3 })
  // Drop the "===" header line the diff package adds.
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('===='))
    .join('\n')
    .trimEnd()
}

export function paintDiff(text: string, p: Paint): string {
  return text
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---')
        ? p.bold(l)
        : l.startsWith('+')
          ? p.green(l)
          : l.startsWith('-')
            ? p.red(l)
            : l.startsWith('@@')
              ? p.cyan(l)
              : l,
    )
    .join('\n')
}
