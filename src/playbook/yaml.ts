// YAML → plain JS values that remember where each mapping, sequence and key came from.
// Ansible reads YAML 1.1 (so `mode: 0644` is octal and `yes` is true); we do the same.
import { readFileSync } from 'node:fs'
import { deserialize, serialize } from 'node:v8'
import type { Document, LineCounter, Node, Tags, YAMLError } from 'yaml'
import { RmError, RmErrors, type SourcePos } from './errors.js'
import { cacheKey, readEntry, writeEntry } from './load-cache.js'
import { yamlLib } from './yaml-lib.js'
import { ansibleTags, type LiteralMode } from './yaml-tags.js'

const POS = Symbol('rm-play.pos')

interface NodePos {
  at: SourcePos
  keys: Record<string, SourcePos>
  values: Record<string, SourcePos>
}

type WithPos = { [POS]?: NodePos }

/** Where a mapping or sequence that came from YAML starts. */
export function posOf(value: unknown): SourcePos | undefined {
  return value !== null && typeof value === 'object' ? (value as WithPos)[POS]?.at : undefined
}

/** Where `key` is written in a mapping that came from YAML (falls back to the mapping). */
export function keyPosOf(obj: unknown, key: string): SourcePos | undefined {
  if (obj === null || typeof obj !== 'object') return undefined
  const p = (obj as WithPos)[POS]
  return p?.keys[key] ?? p?.at
}

/** Where the value of `key` is written (a scalar's own position), falls back to the key. */
export function valuePosOf(obj: unknown, key: string): SourcePos | undefined {
  if (obj === null || typeof obj !== 'object') return undefined
  const p = (obj as WithPos)[POS]
  return p?.values[key] ?? p?.keys[key] ?? p?.at
}

function attach(node: Node | null | undefined, value: unknown, doc: Document, file: string, lc: LineCounter): void {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib()
  if (!node || value === null || typeof value !== 'object') return
  if (isAlias(node)) {
    attach(node.resolve(doc) as Node | undefined, value, doc, file, lc)
    return
  }
  const where = (offset: number | undefined): SourcePos => {
    const lp = lc.linePos(offset ?? 0)
    return { file, line: lp.line, col: lp.col }
  }
  if ((value as WithPos)[POS]) return // shared via an alias: first position wins
  const rec: NodePos = { at: where(node.range?.[0]), keys: {}, values: {} }
  Object.defineProperty(value, POS, { value: rec, enumerable: false })
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (k === '<<') continue
      const keyNode = pair.key as Node | null
      rec.keys[k] = where(keyNode?.range?.[0])
      const valNode = pair.value as Node | null
      if (valNode?.range) rec.values[k] = where(valNode.range[0])
      attach(valNode, (value as Record<string, unknown>)[k], doc, file, lc)
    }
  } else if (isSeq(node) && Array.isArray(value)) {
    node.items.forEach((item, i) => {
      const n = item as Node | null
      if (n?.range) rec.values[String(i)] = where(n.range[0])
      attach(n, value[i], doc, file, lc)
    })
  }
}

/**
 * YAML 1.1 as Ansible's PyYAML reads it: yes/no/on/off are booleans but y/n are strings (a loop
 * variable named `n` stays `n`); times like 12:30 and dates stay strings.
 */
const BOOL = 'tag:yaml.org,2002:bool'
function yaml11Tags(tags: Tags): Tags {
  return tags
    .filter(
      (t) => !(typeof t === 'object' && 'test' in t && t.test && (t.tag === 'tag:yaml.org,2002:timestamp' || t.test.source.includes('(?::[0-5]?[0-9])+'))),
    )
    .map((t) => {
      if (typeof t !== 'object' || t.tag !== BOOL || !('test' in t) || !t.test) return t
      const truthy = t.test.test('true')
      return { ...t, test: truthy ? /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/ : /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/ }
    })
}

/**
 * Parses YAML text; syntax errors, unknown tags (`!!js/function`, `!foo`) and `!vault` values that
 * do not decrypt become RmErrors with file:line:col. `literals`: how `!unsafe` and `!vault` strings
 * come out (yaml-tags.ts): encoded for values that are rendered later, plain for data.
 */
export function parseYaml(text: string, file: string, literals: LiteralMode = 'template'): unknown {
  return parseText(text, file, literals)
}

/**
 * parseYaml for the text of a file as it is on disk (never vault-decrypted text), through the
 * load cache (load-cache.ts): the same text parses to the same values and positions. A `!vault`
 * value is never cached: decrypting it is what marks it as a secret of the run.
 */
export function parseYamlFile(text: string, file: string, literals: LiteralMode = 'template'): unknown {
  if (text.includes('!vault')) return parseText(text, file, literals)
  const key = cacheKey('yaml', literals, text)
  const hit = readEntry(key)
  if (hit) {
    const value = fromCache(hit, file)
    if (value !== NOT_CACHED) return value
  }
  const value = parseText(text, file, literals)
  const data = toCache(value)
  if (data) writeEntry(key, data)
  return value
}

function parseText(text: string, file: string, literals: LiteralMode): unknown {
  const { LineCounter, parseAllDocuments } = yamlLib()
  const lc = new LineCounter()
  const customTags = (tags: Tags): Tags => [...yaml11Tags(tags), ...ansibleTags(literals)]
  const docs = parseAllDocuments(text, { lineCounter: lc, version: '1.1', merge: true, prettyErrors: false, uniqueKeys: true, customTags })
  const list = Array.isArray(docs) ? docs : [docs]
  const errors: RmError[] = []
  const at = (e: YAMLError): SourcePos => {
    const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0])
    return lp ? { file, line: lp.line, col: lp.col } : { file, line: 1, col: 1 }
  }
  for (const doc of list) {
    for (const e of doc.errors) {
      const tagged = e.code === 'TAG_RESOLVE_FAILED'
      errors.push(new RmError(tagged ? e.message.split('\n')[0]! : `YAML syntax error: ${e.message.split('\n')[0]}`, at(e)))
    }
    // The yaml package only warns about a tag it does not know and keeps the text: Ansible's
    // loader refuses it, and so do we (a `!!js/function` must never become a string silently).
    for (const w of doc.warnings) {
      if (w.code === 'TAG_RESOLVE_FAILED')
        errors.push(
          new RmError(
            `unknown YAML tag: ${w.message
              .split('\n')[0]!
              .replace(/^Unresolved tag: /, '')
              .replace('tag:yaml.org,2002:', '!!')}`,
            at(w),
            'rm-play knows the YAML 1.1 tags, !unsafe and !vault',
          ),
        )
    }
  }
  if (errors.length) throw new RmErrors(errors)
  const doc = list[0] as Document | undefined
  if (!doc) return null
  const value = doc.toJS({ maxAliasCount: 1000 })
  attach(doc.contents as Node | null, value, doc, file, lc)
  return value
}

export function loadYamlFile(file: string, from?: SourcePos): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new RmError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, from)
  }
  return parseYamlFile(text, file)
}

// A cached parse: the value (v8 serialization keeps shared aliases, Sets, Maps, bytes) and each
// object's positions without the file name, in the order one walk visits the objects.
type CachedPos = [line: number, col: number, keys: (string | number)[], values: (string | number)[]] | null
const NOT_CACHED = Symbol('not cached')

function eachObject(value: unknown, visit: (o: object) => void): void {
  const seen = new Set<object>()
  const go = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return
    seen.add(v)
    visit(v)
    if (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) go(x)
  }
  go(value)
}

const flat = (r: Record<string, SourcePos>): (string | number)[] => Object.entries(r).flatMap(([k, p]) => [k, p.line, p.col])
function unflat(a: (string | number)[], file: string): Record<string, SourcePos> {
  const out: Record<string, SourcePos> = {}
  for (let i = 0; i + 2 < a.length; i += 3) out[a[i] as string] = { file, line: a[i + 1] as number, col: a[i + 2] as number }
  return out
}

function toCache(value: unknown): Uint8Array | undefined {
  const positions: CachedPos[] = []
  eachObject(value, (o) => {
    const p = (o as WithPos)[POS]
    positions.push(p ? [p.at.line, p.at.col, flat(p.keys), flat(p.values)] : null)
  })
  try {
    return serialize([value, positions])
  } catch {
    return undefined
  }
}

function fromCache(data: Buffer, file: string): unknown {
  try {
    const [value, positions] = deserialize(data) as [unknown, CachedPos[]]
    let i = 0
    let ok = Array.isArray(positions)
    eachObject(value, (o) => {
      const p = positions[i++]
      if (p === undefined) ok = false
      else if (p)
        Object.defineProperty(o, POS, {
          value: { at: { file, line: p[0], col: p[1] }, keys: unflat(p[2], file), values: unflat(p[3], file) },
          enumerable: false,
        })
    })
    return ok && i === positions.length ? value : NOT_CACHED
  } catch {
    return NOT_CACHED
  }
}
