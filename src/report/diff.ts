// Unified diffs for file changes (and before/after summaries for other state), coloured on a TTY.
import { createTwoFilesPatch } from 'diff'
import type { FileDiff } from '../contract/types.js'
import type { Paint } from './paint.js'

export function unifiedDiff(d: FileDiff): string {
  const name = d.path ?? 'state'
  const patch = createTwoFilesPatch(`${name} (before)`, `${name} (after)`, d.before, d.after, undefined, undefined, { context: 3 })
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
