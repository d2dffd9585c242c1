// Loads MiniJinja's WASM module. V8 compiles it with Liftoff, its baseline compiler, only: left to
// tier up, V8 spent about 100 ms of CPU optimising the 1 MB module during a run's first thousand
// renders, and the optimised code rendered no faster after that (measured on node 20: 20,000 small
// renders took 0.33 s with Liftoff only, 0.46 s with tier-up). The flag concerns WebAssembly alone
// and must be set before the module compiles.
import { createRequire } from 'node:module'
import { setFlagsFromString } from 'node:v8'

type MiniJinja = typeof import('minijinja-js')

const require = createRequire(import.meta.url)
let flagSet = false

/** Sets the flag now (the CLI's code cache must be made and used under the same V8 flags). */
export function useLiftoffOnly(): void {
  if (!flagSet) {
    setFlagsFromString('--liftoff-only')
    flagSet = true
  }
}

/** MiniJinja; `fresh`: a new instance of the WASM module (after a panic the old one stays broken). */
export function loadMiniJinja(fresh = false): MiniJinja {
  useLiftoffOnly()
  const path = require.resolve('minijinja-js')
  if (fresh) delete require.cache[path]
  return require(path) as MiniJinja
}
