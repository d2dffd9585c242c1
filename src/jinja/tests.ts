// Ansible's Jinja tests (`x is failed`, `x is version('2', '>=')`, `path is file` ...). MiniJinja's
// own tests (defined, undefined, none, string, number, mapping, sequence, true, false, in ...) stay.
import { existsSync, lstatSync, statSync } from 'node:fs'
import { includes } from './equality.js'
import type { Fn } from './filters-types.js'
import { isPlainObject, pyStr, pyTruthy } from './python.js'
import { pyRegex } from './python-regex.js'
import { FilterError, fromEngine, splitKwargs, typeName } from './values.js'
import { versionCompare } from './version.js'

function result(v: unknown, test: string): Record<string, unknown> {
  const r = fromEngine(v)
  if (!isPlainObject(r)) throw new FilterError(`The '${test}' test expects a dictionary, got ${typeName(r)}`)
  return r
}

function changed(v: unknown): boolean {
  const r = result(v, 'changed')
  if ('changed' in r) return r.changed === true
  return Array.isArray(r.results) && r.results.some((x) => isPlainObject(x) && x.changed === true)
}

const regexTest =
  (kind: 'match' | 'search' | 'fullmatch') =>
  (v: unknown, pattern: unknown, ...rest: unknown[]) => {
    const { pos, kw } = splitKwargs(rest, ['ignorecase', 'multiline', 'match_type'])
    const mode = String(kw.match_type ?? kind)
    const re = pyRegex(String(pattern), { ignorecase: (kw.ignorecase ?? pos[0]) === true, multiline: (kw.multiline ?? pos[1]) === true })
    const s = pyStr(fromEngine(v) ?? '')
    const m = re.exec(s)
    if (!m) return false
    if (mode === 'match') return new RegExp(`^(?:${re.source})`, re.flags).test(s)
    if (mode === 'fullmatch') return new RegExp(`^(?:${re.source})$`, re.flags).test(s)
    return true
  }

const stat = (p: unknown, f: (s: NonNullable<ReturnType<typeof statSync>>) => boolean) => {
  try {
    return f(statSync(String(p))!)
  } catch {
    return false
  }
}

export const ansibleTests: Record<string, Fn> = {
  failed: (v) => result(v, 'failed').failed === true,
  failure: (v) => result(v, 'failure').failed === true,
  succeeded: (v) => result(v, 'succeeded').failed !== true,
  success: (v) => result(v, 'success').failed !== true,
  successful: (v) => result(v, 'successful').failed !== true,
  changed,
  change: changed,
  skipped: (v) => result(v, 'skipped').skipped === true,
  skip: (v) => result(v, 'skip').skipped === true,
  finished: (v) => result(v, 'finished').finished !== 0,
  match: regexTest('match'),
  search: regexTest('search'),
  regex: regexTest('search'),
  subset: (a, b) => {
    const bl = fromEngine(b) as unknown[]
    return (fromEngine(a) as unknown[]).every((x) => includes(bl, x))
  },
  superset: (a, b) => {
    const al = fromEngine(a) as unknown[]
    return (fromEngine(b) as unknown[]).every((x) => includes(al, x))
  },
  contains: (seq, v) => includes(fromEngine(seq) as unknown[], fromEngine(v)),
  any: (v) => (fromEngine(v) as unknown[]).some(Boolean),
  all: (v) => (fromEngine(v) as unknown[]).every(Boolean),
  version: (v, ver, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['strict', 'version_type'])
    return versionCompare(fromEngine(v), fromEngine(ver), (pos[0] as string) ?? 'eq', kw.strict === true, kw.version_type as string | undefined)
  },
  truthy: (v) => pyTruthy(fromEngine(v)),
  falsy: (v) => !pyTruthy(fromEngine(v)),
  // controller-side path tests, as Ansible's run on the controller
  file: (p) => stat(p, (s) => s.isFile()),
  directory: (p) => stat(p, (s) => s.isDirectory()),
  exists: (p) => existsSync(String(p)),
  link: (p) => {
    try {
      return lstatSync(String(p)).isSymbolicLink()
    } catch {
      return false
    }
  },
  abs: (p) => String(p).startsWith('/'),
}
ansibleTests.version_compare = ansibleTests.version
