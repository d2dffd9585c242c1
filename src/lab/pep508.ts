// Python requirement strings (PEP 508: `name[extra,...] specifier; marker`) as far as the lab's
// package index needs them: which project a Requires-Dist line names and whether its marker holds
// on the hosts' Python, so that the Debian-built closure follows what pip will follow there.
// Version specifiers are left to pip itself (the build checks the closure with pip's resolver).
import { labError } from './errors.js'
import { normalizeName } from './wheel-metadata.js'

export interface Requirement {
  /** Normalised project name (PEP 503). */
  name: string
  extras: string[]
  /** The version specifier as written (`<0.26.0,>=0.25.0`), '' when none. */
  specifier: string
  marker?: string
}

export function parseRequirement(text: string): Requirement {
  const [req, ...markerParts] = text.split(';')
  const marker = markerParts.join(';').trim() || undefined
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*?)\s*$/.exec(req!)
  if (!m || m[3]!.startsWith('@')) throw labError(`not a requirement the lab's index understands: ${text}`)
  const extras = (m[2] ?? '')
    .split(',')
    .map((e) => normalizeName(e.trim()))
    .filter(Boolean)
  const specifier = m[3]!.replace(/^\((.*)\)$/, '$1').replace(/\s+/g, '')
  return { name: normalizeName(m[1]!), extras, specifier, marker }
}

/** The values of PEP 508's environment markers for one interpreter (`extra` is added per question). */
export type MarkerEnvironment = Record<string, string>

const VERSION_VARIABLES = new Set(['python_version', 'python_full_version', 'implementation_version'])

type Token = { kind: 'str' | 'var' | 'op' | '(' | ')' | 'and' | 'or'; text: string }

function tokenize(marker: string): Token[] {
  const out: Token[] = []
  const re = /\s*(?:(['"])(.*?)\1|(\()|(\))|(<=|>=|===|==|!=|~=|<|>)|(not\s+in\b|in\b|and\b|or\b)|([A-Za-z_.]+))/y
  let pos = 0
  while (pos < marker.length) {
    if (/^\s*$/.test(marker.slice(pos))) break
    re.lastIndex = pos
    const m = re.exec(marker)
    if (!m) throw labError(`cannot read the marker "${marker}" at "${marker.slice(pos)}"`)
    pos = re.lastIndex
    if (m[2] !== undefined) out.push({ kind: 'str', text: m[2] })
    else if (m[3]) out.push({ kind: '(', text: '(' })
    else if (m[4]) out.push({ kind: ')', text: ')' })
    else if (m[5]) out.push({ kind: 'op', text: m[5] })
    else if (m[6] === 'and' || m[6] === 'or') out.push({ kind: m[6], text: m[6] })
    else if (m[6]) out.push({ kind: 'op', text: m[6].replace(/\s+/, ' ') })
    else out.push({ kind: 'var', text: m[7]!.replace(/^platform\.python_implementation$/, 'platform_python_implementation') })
  }
  return out
}

/** A release version (`3.11.2`) as numbers; undefined for anything else (pre-releases, local parts). */
function release(v: string): number[] | undefined {
  return /^\d+(\.\d+)*$/.test(v) ? v.split('.').map(Number) : undefined
}

function compareReleases(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d) return Math.sign(d)
  }
  return 0
}

function compare(left: string, op: string, right: string, isVersion: boolean, marker: string): boolean {
  if (op === 'in') return right.includes(left)
  if (op === 'not in') return !right.includes(left)
  const [a, b] = [release(left), release(right)]
  if (isVersion || (a && b)) {
    if (!a || !b) throw labError(`the marker "${marker}" compares a version the lab cannot order: ${left} ${op} ${right}`)
    const c = compareReleases(a, b)
    if (op === '~=') return c >= 0 && compareReleases(a.slice(0, b.length - 1), b.slice(0, -1)) === 0
    return { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0, '==': c === 0, '===': left === right, '!=': c !== 0 }[op] ?? false
  }
  if (op === '==' || op === '===') return left === right
  if (op === '!=') return left !== right
  throw labError(`the marker "${marker}" orders strings (${left} ${op} ${right}), which PEP 508 does not define`)
}

/** Whether `marker` holds in `env` (PEP 508: `and` binds tighter than `or`, parentheses group). */
export function evaluateMarker(marker: string, env: MarkerEnvironment): boolean {
  const tokens = tokenize(marker)
  let i = 0
  const value = (): { text: string; variable?: string } => {
    const t = tokens[i++]
    if (t?.kind === 'str') return { text: t.text }
    if (t?.kind === 'var') {
      if (!(t.text in env)) throw labError(`the marker "${marker}" names ${t.text}, which is not a PEP 508 environment marker`)
      return { text: env[t.text]!, variable: t.text }
    }
    throw labError(`cannot read the marker "${marker}": expected a variable or a string at token ${i}`)
  }
  const expr = (): boolean => {
    if (tokens[i]?.kind === '(') {
      i++
      const v = or()
      if (tokens[i++]?.kind !== ')') throw labError(`cannot read the marker "${marker}": unbalanced parentheses`)
      return v
    }
    const left = value()
    const op = tokens[i++]
    if (op?.kind !== 'op') throw labError(`cannot read the marker "${marker}": expected an operator`)
    const right = value()
    const variable = left.variable ?? right.variable
    if (variable === 'extra') return compare(normalizeName(left.text), op.text, normalizeName(right.text), false, marker)
    return compare(left.text, op.text, right.text, VERSION_VARIABLES.has(variable ?? ''), marker)
  }
  const and = (): boolean => {
    let v = expr()
    while (tokens[i]?.kind === 'and') {
      i++
      v = expr() && v
    }
    return v
  }
  const or = (): boolean => {
    let v = and()
    while (tokens[i]?.kind === 'or') {
      i++
      v = and() || v
    }
    return v
  }
  const result = or()
  if (i !== tokens.length) throw labError(`cannot read the marker "${marker}": unexpected "${tokens[i]!.text}"`)
  return result
}

/** Whether pip installs `req` for a project asked for with `extras` (no extras: `extra == ""`). */
export function requirementApplies(req: Requirement, env: MarkerEnvironment, extras: string[] = []): boolean {
  if (!req.marker) return true
  return ['', ...extras].some((extra) => evaluateMarker(req.marker!, { ...env, extra }))
}
