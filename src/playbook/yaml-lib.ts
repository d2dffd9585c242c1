// The yaml package, loaded on first use: a load whose files all come from the load cache
// (load-cache.ts) never needs it, and it is a tenth of a syntax check's start-up.
import { createRequire } from 'node:module'

let lib: typeof import('yaml') | undefined

export function yamlLib(): typeof import('yaml') {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'))
}
