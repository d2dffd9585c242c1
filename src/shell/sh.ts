// The one way a value reaches a remote shell. `sh` is a tagged template, as zx's `$`: the literal
// parts are the script author's code, every interpolated value is quoted as one word. A Script is
// an object only this file makes, so text built by concatenating unquoted values is a plain
// string, which neither `sh` (it quotes it) nor a step or probe that requires a Script accepts.

// Only this file holds the key: `new Script(...)` anywhere else throws.
const MAKER: unique symbol = Symbol('Script maker')

/**
 * Shell text that is safe to run: literal code from rm-play's source with quoted values. Nominal
 * (a private field): a string, or an object that merely looks like a Script, is not one.
 */
export class Script {
  readonly #made = true
  /** Use `sh`, `code`, `argv` or `joinScripts`; the constructor is not for modules. */
  constructor(
    readonly text: string,
    key: typeof MAKER,
  ) {
    if (key !== MAKER || typeof text !== 'string') throw new TypeError('a Script is made by sh, code, argv or joinScripts only')
  }
  toString(): string {
    return this.text
  }
  /** In JSON (events, registered results) a Script is its text. */
  toJSON(): string {
    return this.text
  }
  [Symbol.toPrimitive](): string {
    return this.text
  }
}

/** What `sh` accepts between `${ }`. Arrays become several words; a Script is inserted as code. */
export type ShellValue = string | number | bigint | Script | readonly (string | number | bigint | Script)[]

/** POSIX single-quote quoting: the value is one word, byte for byte. */
export function quote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

function word(v: unknown, at: number): string {
  if (v instanceof Script) return v.text
  if (typeof v === 'string') return quote(v)
  if (typeof v === 'bigint') return String(v)
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`sh: value ${at} is ${v}`)
    return String(v)
  }
  throw new TypeError(`sh: value ${at} is ${v === null ? 'null' : typeof v}; give a string, a number, an array or a Script`)
}

/**
 * sh`chown -- ${owner} ${path}`: each value is quoted; an array becomes one quoted word per item;
 * a Script is inserted as code. Anything else (undefined, an object, a boolean) throws, so a
 * missing value never becomes an empty word by accident.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): Script {
  let out = strings[0]
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v.map((x) => word(x, i)).join(' ') : word(v, i)) + strings[i + 1]
  })
  return new Script(out, MAKER)
}

/**
 * Literal shell code written in rm-play's source: a constant, never a user's value. The one door
 * through which unquoted text becomes a Script; a reviewer reads every call.
 */
export function code(text: string): Script {
  return new Script(text, MAKER)
}

/** Sets IFS back to what a shell starts with (space, tab, newline): how a probe that runs in the batch's
 * own shell puts it back after changing it. */
export const DEFAULT_IFS = code("IFS=' \t\n'")

/** Scripts joined by a separator (default a newline). */
export function joinScripts(parts: readonly Script[], separator = '\n'): Script {
  for (const p of parts) if (!(p instanceof Script)) throw new TypeError('joinScripts: every part must be a Script')
  return new Script(parts.map((p) => p.text).join(separator), MAKER)
}

/** A shell variable's name, checked (letters, digits, underscores): to assign, expand or unset it. */
export function varName(name: string): Script {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${JSON.stringify(name)}`)
  return new Script(name, MAKER)
}

/** A command line from an argv array, every word quoted. */
export function argv(args: readonly string[]): Script {
  return new Script(args.map(quote).join(' '), MAKER)
}
