// Ansible's filters on strings and paths: regex_*, b64*, quote, hash, to_uuid, basename & co.
import { createHash } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { posix } from 'node:path'
import type { Fn } from './filters-types.js'
import { pyStr } from './python.js'
import { pyRegex, pyReplacement } from './python-regex.js'
import { fromEngine, splitKwargs } from './values.js'
import { passwordHash } from './password-hash.js'
import { pythonPercent } from './percent-format.js'

const text = (v: unknown) => (v === undefined || v === null ? '' : pyStr(fromEngine(v)))
const RE_KW = ['ignorecase', 'multiline', 'count']

function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  const h = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest()
  h[6] = (h[6] & 0x0f) | 0x50
  h[8] = (h[8] & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/** Python's urllib.parse.quote: UTF-8 bytes, letters, digits and `_.-~` (plus `safe`) kept. */
function urlQuote(s: string, safe: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9_.~-]/.test(c) || safe.includes(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Jinja2's urlencode: a string quoted with `/` kept; a dict or list of pairs as a query string. */
function urlencode(v: unknown): string {
  const x = fromEngine(v)
  const qs = (t: unknown) => urlQuote(text(t), '').replace(/%20/g, '+')
  if (x !== null && typeof x === 'object') {
    const pairs = Array.isArray(x) ? (x as unknown[][]) : Object.entries(x)
    return pairs.map(([k, val]) => `${qs(k)}=${qs(val)}`).join('&')
  }
  return urlQuote(text(x), '/')
}

export const textFilters: Record<string, Fn> = {
  urlencode,
  regex_replace: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, RE_KW)
    const [pattern = '', repl = ''] = pos as string[]
    const count = Number(kw.count ?? pos[4] ?? 0)
    const re = pyRegex(String(pattern), {
      ignorecase: kw.ignorecase === true || pos[2] === true,
      multiline: kw.multiline === true || pos[3] === true,
      global: true,
    })
    const f = pyReplacement(String(repl))
    let n = 0
    return text(v).replace(re, (...a: unknown[]) => (count > 0 && n++ >= count ? String(a[0]) : f(...(a as [string]))))
  },
  regex_search: (v, pattern, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['ignorecase', 'multiline'])
    const m = pyRegex(String(pattern), { ignorecase: kw.ignorecase === true, multiline: kw.multiline === true }).exec(text(v))
    if (!m) return null
    if (pos.length === 0) return m[0]
    return pos.map((g) => {
      const s = String(g)
      const num = /^\\(\d+)$/.exec(s)
      const name = /^\\g<(\w+)>$/.exec(s)
      if (num) return m[Number(num[1])] ?? null
      if (name) return m.groups?.[name[1]] ?? null
      throw new Error(`Unknown argument ${s} to regex_search`)
    })
  },
  regex_findall: (v, pattern, ...rest) => {
    const { kw } = splitKwargs(rest, ['ignorecase', 'multiline'])
    const re = pyRegex(String(pattern), { ignorecase: kw.ignorecase === true, multiline: kw.multiline === true, global: true })
    return [...text(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')))
  },
  regex_escape: (v) => text(v).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&'),
  b64encode: (v) => Buffer.from(text(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(text(v), 'base64').toString('utf8'),
  quote: (v) => {
    const s = text(v)
    if (s === '') return "''"
    return /^[\w@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, `'"'"'`) + "'"
  },
  hash: (v, algo = 'sha1') => createHash(String(algo)).update(text(v), 'utf8').digest('hex'),
  checksum: (v) => createHash('sha1').update(text(v), 'utf8').digest('hex'),
  md5: (v) => createHash('md5').update(text(v), 'utf8').digest('hex'),
  sha1: (v) => createHash('sha1').update(text(v), 'utf8').digest('hex'),
  to_uuid: (v, ns = '361E6D51-FAEC-444A-9079-341386DA8E2E') => uuid5(String(ns), text(v)),
  basename: (v) => text(v).slice(text(v).lastIndexOf('/') + 1),
  dirname: (v) => {
    const s = text(v)
    const i = s.lastIndexOf('/') + 1
    const head = s.slice(0, i)
    return head && head !== '/'.repeat(head.length) ? head.replace(/\/+$/, '') : head
  },
  splitext: (v) => {
    const s = text(v)
    const ext = posix.extname(s)
    return [s.slice(0, s.length - ext.length), ext]
  },
  expanduser: (v) => text(v).replace(/^~(?=\/|$)/, homedir()),
  realpath: (v) => {
    try {
      return realpathSync(text(v))
    } catch {
      return posix.resolve(text(v))
    }
  },
  // Jinja2's format filter: `'%s-%s' | format(a, b)` is `'%s-%s' % (a, b)`
  format: (v, ...args) => pythonPercent(text(v), args.map(fromEngine), true),
  password_hash: (v, ...rest) => {
    const { pos, kw } = splitKwargs(rest, ['hashtype', 'salt', 'salt_size', 'rounds', 'ident'])
    const salt = kw.salt ?? pos[1]
    const rounds = kw.rounds ?? pos[3]
    return passwordHash(
      text(v),
      String(kw.hashtype ?? pos[0] ?? 'sha512'),
      salt === undefined || salt === null ? undefined : String(salt),
      rounds === undefined || rounds === null ? undefined : Number(rounds),
    )
  },
  comment: (v, style = 'plain') => {
    const prefix = ({ plain: '#', erlang: '%', c: '//', cblock: ' *', xml: '  ' } as Record<string, string>)[String(style)] ?? '#'
    return `${prefix}\n${text(v)
      .split('\n')
      .map((l) => `${prefix} ${l}`.trimEnd())
      .join('\n')}\n${prefix}`
  },
}
