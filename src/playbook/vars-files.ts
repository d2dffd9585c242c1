// Variable files (group_vars, host_vars, vars_files, include_vars, -e @file): YAML or JSON
// mappings, optionally encrypted with the vault.
import { readFileSync } from 'node:fs'
import { RmError } from './errors.js'
import { currentRun } from './run-context.js'
import { isVaultText, decryptVaultFile } from './vault.js'
import { parseYaml, parseYamlFile, posOf } from './yaml.js'
import { renderedLiteral, type LiteralMode } from './yaml-tags.js'

/**
 * `literals: 'plain'` for variables that are data and never rendered again (include_vars results):
 * `!unsafe` and `!vault` strings then come out as their plain text.
 */
export function loadVarsFile(file: string, literals: LiteralMode = 'template'): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
    currentRun().counters.varsFileReads++
  } catch {
    throw new RmError(`vars file not found: ${file}`)
  }
  const secret = isVaultText(text)
  if (secret) text = decryptVaultFile(text, file)
  // decrypted text stays in memory: only a plain file goes through the load cache
  const v = secret ? parseYaml(text, file, literals) : parseYamlFile(text, file, literals)
  if (v === null || v === undefined) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw new RmError('a vars file must be a mapping of names to values', posOf(v) ?? { file, line: 1, col: 1 })
  if (secret) markSecret(v as Record<string, unknown>, currentRun().secrets)
  return v as Record<string, unknown>
}

function markSecret(v: unknown, secrets: Set<string>): void {
  if (typeof v === 'string' || typeof v === 'number') {
    if (String(v).length >= 3) secrets.add(String(v))
    // an `!unsafe` value inside the vault file: what it renders to is the secret
    if (typeof v === 'string' && renderedLiteral(v) !== v) secrets.add(renderedLiteral(v))
  } else if (Array.isArray(v)) v.forEach((x) => markSecret(x, secrets))
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => markSecret(x, secrets))
}
