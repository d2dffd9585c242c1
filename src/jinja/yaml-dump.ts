// PyYAML's dump as Ansible's to_yaml (default_flow_style=None: leaf collections in flow style)
// and to_nice_yaml (block style, indent 4) call it: sorted keys, sequences not indented under
// their key, `-` padded to the indent before a mapping.
import { isPlainObject } from './python.js'

const RESERVED =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?|\d{4}-\d\d?-\d\d?.*|<<|=)$/

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v).includes('.') || String(v).includes('e') ? String(v) : String(v) + '.0'
  const s = String(v)
  if (s === '') return "''"
  if (s.includes('\n') || /[\x00-\x08\x0b-\x1f\x7f]/.test(s)) return JSON.stringify(s)
  const plain =
    !RESERVED.test(s) &&
    !/^[,[\]{}#&*!|>'"%@`\s]/.test(s) &&
    !/^[-?:](\s|$)/.test(s) &&
    !/\s$/.test(s) &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':')
  return plain ? s : "'" + s.replace(/'/g, "''") + "'"
}

const isLeaf = (v: unknown) => !Array.isArray(v) && !isPlainObject(v)
const isEmpty = (v: unknown) => (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0)
const sortedKeys = (o: Record<string, unknown>) => Object.keys(o).sort()

function flow(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(flow).join(', ') + ']'
  if (isPlainObject(v))
    return (
      '{' +
      sortedKeys(v)
        .map((k) => `${scalar(k)}: ${flow(v[k])}`)
        .join(', ') +
      '}'
    )
  return scalar(v)
}

export function pyYamlDump(v: unknown, opts: { indent: number; flowLeaves: boolean }): string {
  const { indent } = opts
  const inline = (x: unknown) => isLeaf(x) || isEmpty(x) || (opts.flowLeaves && (Array.isArray(x) ? x : Object.values(x as object)).every(isLeaf))
  // lines of a block node whose first line starts at `col` (the caller may already have written a prefix)
  const block = (x: unknown, col: number): string[] => {
    const pad = ' '.repeat(col)
    const out: string[] = []
    if (Array.isArray(x)) {
      for (const item of x) {
        if (inline(item)) out.push(`${pad}- ${flow(item)}`)
        else {
          const inner = block(item, col + indent)
          out.push(`${pad}-${' '.repeat(indent - 1)}${inner[0].slice(col + indent)}`, ...inner.slice(1))
        }
      }
    } else if (isPlainObject(x)) {
      for (const k of sortedKeys(x)) {
        const val = x[k]
        if (inline(val)) out.push(`${pad}${scalar(k)}: ${flow(val)}`)
        else out.push(`${pad}${scalar(k)}:`, ...block(val, Array.isArray(val) ? col : col + indent))
      }
    }
    return out
  }
  if (inline(v)) return flow(v) + '\n'
  return block(v, 0).join('\n') + '\n'
}
