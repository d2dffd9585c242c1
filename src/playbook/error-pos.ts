// Where inside a templated YAML string its load error is: `msg: "a {{ x | nosuch }} b"` points
// at `nosuch`, an unterminated or unparsable `{{` at that tag, not at the string's first quote.
// The spot is found in the parsed value, then the same text is found again in the file after
// the value's start (its n-th occurrence), so quoting, folding and indentation do not matter.
import { splitTemplate } from '../jinja/index.js'
import { sourceLines, type SourcePos } from './errors.js'
import { compile } from './expression-jinja.js'

function parses(text: string): boolean {
  try {
    splitTemplate(text)
    return true
  } catch {
    return false
  }
}

/** The offset in `value` of what `message` (an expression error about `value`) is about, if it says. */
function offsetInValue(value: string, message: string): { at: number; needle: string } | undefined {
  const named = /(?:filter|test) named '([^']+)'|lookup plugin \(([^)]+)\)/.exec(message)
  if (named) {
    const name = named[1] ?? named[2]!
    const firstTag = value.search(/\{[{%]/)
    const m = new RegExp(`(?<!\\w)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`).exec(value.slice(Math.max(0, firstTag)))
    return m ? { at: Math.max(0, firstTag) + m.index, needle: name } : undefined
  }
  let parts
  try {
    parts = splitTemplate(value)
  } catch {
    // an unterminated tag: the last opener that everything before it parses up to
    const openers = [...value.matchAll(/\{\{|\{%/g)].filter((m) => parses(value.slice(0, m.index)))
    const last = openers.pop()
    return last ? { at: last.index!, needle: last[0] } : undefined
  }
  let at = 0
  for (const p of parts) {
    const raw = 'text' in p ? p.text : p.open + p.body + p.close
    if (p.kind === 'var') {
      try {
        compile(raw)
      } catch {
        return { at, needle: p.open.slice(0, 2) }
      }
    }
    at += raw.length
  }
  return undefined
}

/** The position of `value`'s error in its file; `pos` (the value's start) when it cannot be found. */
export function errorPosInValue(value: string, message: string, pos: SourcePos | undefined): SourcePos | undefined {
  const spot = pos && offsetInValue(value, message)
  const lines = pos && sourceLines(pos.file)
  if (!spot || !lines) return pos
  const nth = value.slice(0, spot.at).split(spot.needle).length - 1
  const text = lines.join('\n')
  const start = lines.slice(0, pos.line - 1).reduce((n, l) => n + l.length + 1, 0) + pos.col - 1
  let found = start - 1
  for (let k = 0; k <= nth; k++) {
    found = text.indexOf(spot.needle, found + 1)
    if (found < 0) return pos
  }
  const before = text.slice(0, found)
  return { file: pos.file, line: before.split('\n').length, col: found - before.lastIndexOf('\n') }
}
