// -e values: `k=v k2="two words"`, a JSON or YAML mapping, or @file (YAML/JSON, vault allowed).
import { splitKeyValues } from '../playbook/inventory-ini.js'
import { RmError } from '../playbook/errors.js'
import { loadVarsFile } from '../playbook/vars-files.js'
import { parseYaml } from '../playbook/yaml.js'

export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const v of values) {
    const text = v.trim()
    if (text.startsWith('@')) {
      Object.assign(out, loadVarsFile(text.slice(1)))
      continue
    }
    if (text.startsWith('{') || /^[\w-]+:\s/m.test(text)) {
      const parsed = parseYaml(text, '-e')
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RmError(`-e ${v}: expected a mapping`)
      Object.assign(out, parsed)
      continue
    }
    try {
      for (const kv of splitKeyValues(text)) out[kv.key] = kv.value
    } catch (e) {
      throw new RmError(`-e ${v}: ${(e as Error).message}`, undefined, 'use k=v, a JSON/YAML mapping, or @file')
    }
  }
  return out
}
