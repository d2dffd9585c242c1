// Ansible's INI inventory: [group], [group:vars], [group:children], hosts with inline k=v vars,
// ranges like web[01:10] or db-[a:c], and `# comments` where Ansible's ini plugin allows them.
import { RmError, RmErrors, type SourcePos } from './errors.js'
import { pythonLiteral, shlexWords } from './python-literal.js'

export interface RawGroup {
  hosts: Map<string, Record<string, unknown>>
  vars: Record<string, unknown>
  children: Set<string>
  pos?: SourcePos
}

/** Groups in the order Ansible creates them, and hosts in the order first seen (both decide host order). */
export class RawInventory extends Map<string, RawGroup> {
  readonly hostOrder = new Set<string>()
  /** The source being read (a file, or a comma list of hosts), and each host's first one: Ansible's inventory_file. */
  currentSource?: string
  readonly sourceOf = new Map<string, string>()

  constructor() {
    super()
    // Ansible's inventory starts with these two, `ungrouped` a child of `all`
    rawGroup(this, 'all').children.add('ungrouped')
    rawGroup(this, 'ungrouped')
  }

  /** Adds (or updates) a host of a group; a new host takes its place in the inventory's order. */
  addHost(group: string, host: string, vars: Record<string, unknown>, pos?: SourcePos): void {
    const g = rawGroup(this, group, pos)
    if (!this.hostOrder.has(host) && this.currentSource !== undefined) this.sourceOf.set(host, this.currentSource)
    this.hostOrder.add(host)
    g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...vars })
  }
}

export function rawGroup(inv: RawInventory, name: string, pos?: SourcePos): RawGroup {
  let g = inv.get(name)
  if (!g) {
    g = { hosts: new Map(), vars: {}, children: new Set(), pos }
    inv.set(name, g)
  }
  return g
}

/** Expands `web[01:03]` → web01 web02 web03, `x[a:c]`, and `[1:10:2]` steps; several ranges multiply. */
export function expandHostRange(pattern: string): string[] {
  const m = /^(.*?)\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\](.*)$/.exec(pattern)
  if (!m) return [pattern]
  const [, head, from, to, stepText, tail] = m as unknown as [string, string, string, string, string | undefined, string]
  const step = stepText ? parseInt(stepText, 10) : 1
  const out: string[] = []
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.length > 1 && from.startsWith('0') ? from.length : 0
    for (let i = parseInt(from, 10); i <= parseInt(to, 10); i += step) out.push(String(i).padStart(width, '0'))
  } else if (/^[a-zA-Z]$/.test(from) && /^[a-zA-Z]$/.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step) out.push(String.fromCharCode(c))
  } else {
    throw new Error(`invalid host range [${from}:${to}]`)
  }
  return out.flatMap((x) => expandHostRange(`${head}${x}${tail}`))
}

/** Splits `a=1 b="two words" c='x' d={{ x | default(1) }}` respecting quotes and {{ }}. */
export function splitKeyValues(text: string): { key: string; value: string; quoted: boolean }[] {
  const words: string[] = []
  let cur = ''
  let quote = ''
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      cur += c
      if (c === '\\' && i + 1 < text.length) cur += text[++i]
      else if (c === quote) quote = ''
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (text.startsWith('{{', i) || text.startsWith('{%', i)) depth++
    else if ((text.startsWith('}}', i) || text.startsWith('%}', i)) && depth > 0) {
      depth--
      cur += text.slice(i, i + 2)
      i++
      continue
    }
    if (/\s/.test(c) && depth === 0) {
      if (cur) words.push(cur)
      cur = ''
      continue
    }
    cur += c
  }
  if (quote) throw new Error(`unterminated quote in '${text}'`)
  if (cur) words.push(cur)
  return words.map((w) => {
    const eq = w.indexOf('=')
    if (eq <= 0) throw new Error(`expected key=value, got '${w}'`)
    const raw = w.slice(eq + 1)
    const m = /^(["'])([\s\S]*)\1$/.exec(raw)
    return { key: w.slice(0, eq), value: m ? (m[1] === '"' ? m[2]!.replace(/\\(.)/g, '$1') : m[2]!) : raw, quoted: !!m }
  })
}

/** A value as Ansible's ini plugin keeps it: what Python's literal_eval makes of it, else the string. */
function iniValue(value: string): unknown {
  const lit = pythonLiteral(value)
  return lit ? lit.value : value
}

/**
 * Ansible's ini plugin: a group is created at its own section header; a child named in
 * [parent:children] before its section is pending until that section appears (so the parent's
 * children come in the order their sections do), and one never defined is an error, as is a
 * [group:vars] section of a group that has no section of its own.
 */
export function parseIniInventory(text: string, file: string, inv: RawInventory = new RawInventory()): RawInventory {
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  const errors: RmError[] = []
  const pending = new Map<string, { kind: 'vars' | 'children'; pos: SourcePos; parents: string[] }>()
  text.split('\n').forEach((raw, idx) => {
    const pos = { file, line: idx + 1, col: 1 + (raw.length - raw.trimStart().length) }
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) return
    const header = /^\[([^\]:\s]+)(?::(vars|children))?\]\s*(?:#.*)?$/.exec(line)
    if (header) {
      section = header[1]!
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts'
      if (!inv.has(section) && kind === 'vars' && !pending.has(section)) pending.set(section, { kind, pos, parents: [] })
      rawGroup(inv, section, pos)
      const waiting = pending.get(section)
      if (waiting && kind !== 'vars') {
        for (const parent of waiting.parents) rawGroup(inv, parent).children.add(section)
        pending.delete(section)
      }
      return
    }
    if (line.startsWith('[')) {
      errors.push(new RmError(`invalid section header '${line}'`, pos, 'use [group], [group:vars] or [group:children]'))
      return
    }
    const g = rawGroup(inv, section, pos)
    try {
      if (kind === 'children') {
        // a group name, then maybe a `# comment` (Ansible's groupname pattern)
        const child = /^([^:\]\s]+)\s*(?:#.*)?$/.exec(line)?.[1]
        if (!child) throw new Error(`expected a group name, got '${line}'`)
        if (inv.has(child)) g.children.add(child)
        else {
          const waiting = pending.get(child) ?? { kind: 'children' as const, pos, parents: [] }
          waiting.parents.push(section)
          pending.set(child, waiting)
        }
      } else if (kind === 'vars') {
        const eq = line.indexOf('=')
        if (eq < 0) throw new Error(`expected key=value in [${section}:vars]`)
        g.vars[line.slice(0, eq).trim()] = iniValue(line.slice(eq + 1).trim())
      } else {
        const [name, ...rest] = shlexWords(line)
        const vars: Record<string, unknown> = {}
        for (const w of rest) {
          const eq = w.indexOf('=')
          if (eq <= 0) throw new Error(`expected key=value host variable assignment, got '${w}'`)
          vars[w.slice(0, eq)] = iniValue(w.slice(eq + 1))
        }
        for (const h of expandHostRange(name!)) inv.addHost(section, h, vars, pos)
      }
    } catch (e) {
      errors.push(new RmError(`inventory: ${(e as Error).message}`, pos))
    }
  })
  for (const [name, p] of pending) {
    if (p.kind === 'vars')
      errors.push(
        new RmError(`inventory: section [${name}:vars] is for a group that is never defined`, p.pos, `add a [${name}] section (Ansible refuses it too)`),
      )
    else
      errors.push(
        new RmError(
          `inventory: [${p.parents.at(-1)}:children] names group '${name}', which is never defined`,
          p.pos,
          `add a [${name}] section (Ansible refuses it too)`,
        ),
      )
  }
  if (errors.length) throw new RmErrors(errors)
  return inv
}
