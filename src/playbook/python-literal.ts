// What Python's ast.literal_eval makes of an INI inventory value (Ansible's ini plugin runs every
// value through it): numbers, True/False/None, quoted strings, lists and dicts; a `# comment`
// after a literal is Python's comment. Anything else stays the string it was.

/** The value, or undefined when literal_eval would refuse the text (the caller keeps the string). */
export function pythonLiteral(text: string): { value: unknown } | undefined {
  const code = withoutComment(text).trimEnd()
  if (code === '' || /^\s/.test(code)) return undefined
  if (/^[-+]?(0|[1-9](_?\d)*)$/.test(code)) return { value: Number(code.replace(/_/g, '')) }
  if (/^[-+]?0[xX][\da-fA-F]+$/.test(code)) return { value: Number(code.replace(/^([-+]?)0[xX]/, '$10x')) }
  if (/^[-+]?((\d+\.\d*|\.\d+)([eE][-+]?\d+)?|\d+[eE][-+]?\d+)$/.test(code)) return { value: Number(code) }
  if (code === 'True') return { value: true }
  if (code === 'False') return { value: false }
  if (code === 'None') return { value: null }
  const str = /^(['"])((?:\\.|(?!\1)[^\\])*)\1$/.exec(code)
  if (str) return { value: str[2]!.replace(/\\(.)/g, '$1') }
  if (/^[[{(]/.test(code)) {
    try {
      return {
        value: JSON.parse(
          code
            .replace(/'/g, '"')
            .replace(/\bTrue\b/g, 'true')
            .replace(/\bFalse\b/g, 'false')
            .replace(/\bNone\b/g, 'null'),
        ),
      }
    } catch {
      return undefined
    }
  }
  return undefined
}

/** The text before a `#` that is outside quotes. */
function withoutComment(text: string): string {
  let quote = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#') return text.slice(0, i)
  }
  return text
}

/** A host line as Python's shlex.split(line, comments=True) cuts it: quotes removed, `#` ends the line. */
export function shlexWords(line: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = ''
      else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i]
      else cur += c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      cur ??= ''
    } else if (c === '#') break
    else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur)
      cur = undefined
    } else if (c === '\\' && i + 1 < line.length) cur = (cur ?? '') + line[++i]
    else cur = (cur ?? '') + c
  }
  if (quote) throw new Error(`unterminated quote in '${line}'`)
  if (cur !== undefined) words.push(cur)
  return words
}
