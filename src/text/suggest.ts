// "Did you mean": the closest known name to a misspelled one, if it is close enough to be a typo.

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  let prevPrev = row.slice()
  for (let i = 1; i <= a.length; i++) {
    const before = row.slice()
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      // a swap of two neighbours (pnig → ping) is one slip, not two
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, prevPrev[j - 2]! + 1)
      prev = cur
    }
    prevPrev = before
  }
  return row[b.length]!
}

/** The nearest candidate within a third of the word's length (at least 1, at most 3 edits), or a prefix match. */
export function suggest(word: string, candidates: string[]): string | undefined {
  const w = word.toLowerCase().replace(/^ansible\.builtin\./, '')
  let best: string | undefined
  let bestD = Math.min(3, Math.max(1, Math.floor(w.length / 3)))
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase())
    if (d <= bestD && (best === undefined || d < bestD)) {
      best = c
      bestD = d
    }
  }
  return best ?? candidates.find((c) => w.length >= 3 && c.startsWith(w))
}
