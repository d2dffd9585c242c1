// One error type for everything the template layer rejects, with a message that names the
// undefined variable and never carries MiniJinja's dump of the referenced variables (secrets).

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly template: string,
    readonly kind: 'syntax' | 'undefined' | 'type' | 'filter' = 'type',
    /** the template line the engine points at, when it does */
    public line?: number,
  ) {
    super(message)
  }
}

/** The text the MiniJinja debug report puts its carets under, e.g. `nope` or `d.nope`. */
function underCaret(report: string): string | undefined {
  const lines = report.split('\n')
  for (let i = 0; i + 1 < lines.length; i++) {
    const src = /^\s*\d+ > (.*)$/.exec(lines[i])
    const caret = /^(\s*i\s+)(\^+)/.exec(lines[i + 1])
    if (!src || !caret) continue
    const prefix = lines[i].indexOf('> ') + 2
    const col = caret[1].length - prefix
    return lines[i].slice(prefix).slice(col, col + caret[2].length)
  }
  return undefined
}

const UNDEF_MARK = 'rmp-undefined:'

/** Thrown by ansible_finalize: `{{ x }}` printed an undefined value (the name travels in the message). */
export function undefinedMarker(name: string): Error {
  return new Error(UNDEF_MARK + name + ':')
}

export function translateEngineError(err: unknown, template: string, missing: string[] = []): TemplateError {
  const e = translate(err, template, missing)
  const at = /\(in [^)]*:(\d+)\)/.exec(String((err as Error)?.message ?? err))
  if (at) e.line = Number(at[1])
  return e
}

function translate(err: unknown, template: string, missing: string[]): TemplateError {
  const raw = String((err as Error)?.message ?? err)
  const first = raw.split('\n')[0].replace(/\s*\(in [^)]*:\d+\)\s*$/, '')
  const marked = raw.indexOf(UNDEF_MARK)
  if (marked >= 0) {
    const name = raw.slice(marked + UNDEF_MARK.length, raw.indexOf(':', marked + UNDEF_MARK.length))
    return new TemplateError(`'${name}' is undefined`, template, 'undefined')
  }
  if (first.startsWith('undefined value')) {
    const name = underCaret(raw)
    return new TemplateError(name ? `'${name.trim()}' is undefined` : 'a variable is undefined', template, 'undefined')
  }
  // `1 + nope`: MiniJinja reports the operation; name the variable the template uses but nobody defined
  if (/\bundefined\b/.test(first) && missing.length > 0) return new TemplateError(`'${missing[0]}' is undefined`, template, 'undefined')
  if (first.startsWith('syntax error')) return new TemplateError(`template error: ${first}`, template, 'syntax')
  if (/unknown (filter|test|function)/.test(first)) return new TemplateError(first, template, 'syntax')
  return new TemplateError(first, template, 'type')
}
