// Ansible's `version` test (alias version_compare): LooseVersion ordering by default, as 2.14 does.
import { FilterError } from './values.js'

function loose(v: string): (number | string)[] {
  return (v.match(/\d+|[a-z]+|\.|[^\d\sa-z.]+/gi) ?? []).filter((c) => c !== '.').map((c) => (/^\d+$/.test(c) ? Number(c) : c))
}

function semverParts(v: string): (number | string)[] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(v)
  if (!m) throw new FilterError(`Version comparison failed: '${v}' is not a valid SemVer string`)
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? '~' : m[4]]
}

function cmp(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return -1
    if (i >= b.length) return 1
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (typeof x !== typeof y) throw new FilterError("Version comparison failed: '<' not supported between instances of 'int' and 'str'")
    return x < y ? -1 : 1
  }
  return 0
}

const OPS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0,
  '=': (c) => c === 0,
  eq: (c) => c === 0,
  '<': (c) => c < 0,
  lt: (c) => c < 0,
  '<=': (c) => c <= 0,
  le: (c) => c <= 0,
  '>': (c) => c > 0,
  gt: (c) => c > 0,
  '>=': (c) => c >= 0,
  ge: (c) => c >= 0,
  '!=': (c) => c !== 0,
  '<>': (c) => c !== 0,
  ne: (c) => c !== 0,
}

export function versionCompare(value: unknown, version: unknown, operator = 'eq', strict = false, versionType?: string): boolean {
  const op = OPS[String(operator)]
  if (!op) throw new FilterError(`Invalid operator type (${operator})`)
  const kind = versionType ?? (strict ? 'strict' : 'loose')
  const parse = kind === 'semver' || kind === 'semantic' ? semverParts : loose
  if (!['loose', 'strict', 'semver', 'semantic'].includes(kind)) throw new FilterError(`Invalid version type (${kind})`)
  return op(cmp(parse(String(value)), parse(String(version))))
}
