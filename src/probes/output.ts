// Reading probe output: probe scripts print `@@name` marker lines between the parts of their
// output, and `key=value` lines for single answers. Parsers share these readers.

/**
 * The output split at its `@@name` lines: name → the text up to the next marker (newlines kept).
 * Text before the first marker is under ''. A name printed twice keeps its first part.
 */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let name = ''
  let start = 0
  const marker = /^@@(\S+)$/gm
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    if (!out.has(name)) out.set(name, text.slice(start, m.index))
    name = m[1]!
    start = Math.min(m.index + m[0].length + 1, text.length)
  }
  if (!out.has(name)) out.set(name, text.slice(start))
  return out
}

/** The `key<sep>value` lines, split at the first separator, in order (keys may repeat). */
export function pairs(text: string, sep = '='): [string, string][] {
  const out: [string, string][] = []
  for (const line of text.split('\n')) {
    const at = line.indexOf(sep)
    if (at >= 0) out.push([line.slice(0, at), line.slice(at + sep.length)])
  }
  return out
}

/** The `key<sep>value` lines as a record; a repeated key keeps its last value. */
export function keyValues(text: string, sep = '='): Record<string, string> {
  return Object.fromEntries(pairs(text, sep))
}
