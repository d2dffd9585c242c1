// Secrets (vault values, no_log arguments) are replaced wherever they would be shown.
export const MASK = '********'

export function maskString(s: string, secrets: ReadonlySet<string>): string {
  let out = s
  for (const secret of secrets) if (secret && out.includes(secret)) out = out.split(secret).join(MASK)
  return out
}

/** A copy of any value with every secret inside its strings masked. */
export function maskDeep<T>(v: T, secrets: ReadonlySet<string>): T {
  if (secrets.size === 0) return v
  if (typeof v === 'string') return maskString(v, secrets) as T
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, secrets)) as T
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = maskDeep(x, secrets)
    return out as T
  }
  return v
}
