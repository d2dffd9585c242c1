// The one reading of yes/no (Ansible's boolean()), for keywords, module arguments, the bool filter
// and values rendered at run time. Anything else is an error where it is used, never a quiet false.
import { FALSE, TRUE } from '../text/yes-no.js'
import { isTemplated } from '../text/templated.js'

/** true/false for a boolean spelling (yes/no, on/off, true/false, 1/0, y/n, t/f); undefined otherwise. */
export function parseBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (typeof v !== 'string' && typeof v !== 'number') return undefined
  const s = String(v).trim().toLowerCase()
  if (TRUE.has(s)) return true
  if (FALSE.has(s)) return false
  return undefined
}

export const BOOL_HINT = 'write true or false (yes/no also work)'

export function notBool(keyword: string, v: unknown): string {
  return `${keyword} must be a boolean, got ${typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v))}`
}

/**
 * A yes/no keyword as written. A `{{ }}` template is kept (a string) to be rendered when the task
 * runs if `templated` allows it; otherwise it is an error, as is any other non-boolean value.
 */
export function keywordBool(keyword: string, v: unknown, templated: boolean, report: (message: string, hint: string) => void): boolean | string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string' && isTemplated(v)) {
    if (templated) return v
    report(`${keyword} cannot be templated: it is decided before any host runs`, BOOL_HINT)
    return undefined
  }
  const b = parseBool(v)
  if (b === undefined) report(notBool(keyword, v), BOOL_HINT)
  return b
}

/** keywordBool for keywords read before hosts run: never a template. */
export function fixedBool(keyword: string, v: unknown, report: (message: string, hint: string) => void): boolean | undefined {
  const b = keywordBool(keyword, v, false, report)
  return typeof b === 'boolean' ? b : undefined
}
