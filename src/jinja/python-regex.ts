// Python `re` patterns and replacement strings in JavaScript's RegExp dialect.
import { FilterError } from './values.js'

export function pyRegex(pattern: string, opts: { ignorecase?: boolean; multiline?: boolean; global?: boolean } = {}): RegExp {
  let flags = (opts.ignorecase ? 'i' : '') + (opts.multiline ? 'm' : '') + (opts.global ? 'g' : '')
  let src = pattern
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src)
  if (inline) {
    src = src.slice(inline[0].length)
    for (const f of inline[1]) if ('ims'.includes(f) && !flags.includes(f)) flags += f
    if (inline[1].includes('x')) throw new FilterError('verbose regular expressions (?x) are not supported')
  }
  src = src
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$')
  try {
    return new RegExp(src, flags)
  } catch (e) {
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`)
  }
}

/** Python's re.sub replacement (`\1`, `\g<1>`, `\g<name>`, `\n`) as a function of a JS match. */
export function pyReplacement(repl: string): (m: string, ...groups: unknown[]) => string {
  return (...args: unknown[]) => {
    const hasNamed = typeof args[args.length - 1] === 'object' && args[args.length - 1] !== null
    const named = (hasNamed ? args[args.length - 1] : {}) as Record<string, string | undefined>
    const groups = args.slice(0, hasNamed ? -3 : -2) as (string | undefined)[]
    return repl.replace(/\\(g<([^>]+)>|(\d{1,2})|n|t|r|\\)/g, (_all, _x, g: string | undefined, d: string | undefined) => {
      if (d !== undefined) return groups[Number(d)] ?? ''
      if (g !== undefined) return (/^\d+$/.test(g) ? groups[Number(g)] : named[g]) ?? ''
      return ({ '\\n': '\n', '\\t': '\t', '\\r': '\r', '\\\\': '\\' } as Record<string, string>)[_all]
    })
  }
}
