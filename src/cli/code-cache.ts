// Runs the CLI's bundle (dist/bundle/rm-play.cjs) with V8's code cache: the bytecode of the
// functions an earlier command compiled, so this one skips most of its compiling (README, "Speed").
// The cache lives in the cache directory (cache-root.ts), never beside the install, keyed by the
// bundle's path, size and time and node's version; it is written atomically (tmp + rename), and any
// failure to read or write it only means compiling as without it. V8 checks the cache itself and
// rejects one made by another V8 or under other flags: the bundle then compiles normally, and the
// cache is written again at the end. Flags change the check, so the ones a run sets are set here
// first, for every command: made and used under the same flags.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Script } from 'node:vm'
import { useLiftoffOnly } from '../jinja/minijinja.js'
import { cacheRoot } from '../playbook/cache-root.js'
import { tuneV8ForRuns } from './v8-tuning.js'

/**
 * A command that used this many times the CPU time of the one that made the cache rewrites it: a
 * cache made by a syntax check lacks the engine a run compiles. (CPU time stands for "compiled
 * more": V8's own count walks the heap, which costs a run tens of milliseconds.)
 */
const GROWTH = 1.5
/** Another build's cache written this long ago is removed (a build still in use writes it again). */
const OLD_MS = 24 * 3600 * 1000
/** The cache file starts with the CPU time (µs) of the command that made it. */
const HEADER = 8

export interface LoadedBundle<T> {
  exports: T
  /** What became of the cache: none found (or caching is off), used, or rejected by V8. */
  cache: 'none' | 'used' | 'rejected'
  /** Writes the cache when there was none, V8 rejected it, or this command did much more. */
  save(): void
}

function cacheFile(bundle: string): string | undefined {
  const root = cacheRoot()
  if (!root) return undefined
  const s = statSync(bundle)
  const key = createHash('sha256').update(`${bundle}\0${s.size}\0${s.mtimeMs}\0${process.version}\0${process.arch}`).digest('hex')
  return join(root, 'code', key.slice(0, 20))
}

function readCache(file: string | undefined): { data: Buffer; cpu: number } | undefined {
  if (!file) return undefined
  try {
    const b = readFileSync(file)
    if (b.length > HEADER) return { data: b.subarray(HEADER), cpu: Number(b.readBigUInt64LE(0)) }
  } catch {
    // none yet
  }
  return undefined
}

function writeCache(file: string, data: Buffer, cpu: number): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    for (const f of readdirSync(dirname(file))) {
      const p = join(dirname(file), f)
      if (p !== file && Date.now() - statSync(p).mtimeMs > OLD_MS) rmSync(p, { force: true })
    }
    const header = Buffer.alloc(HEADER)
    header.writeBigUInt64LE(BigInt(Math.round(cpu)))
    writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    try {
      rmSync(tmp, { force: true })
    } catch {
      // no directory: nothing was written
    }
  }
}

/** Compiles and runs the CommonJS bundle at `bundle` (an absolute path), with the cache if V8 takes it. */
export function loadBundle<T>(bundle: string): LoadedBundle<T> {
  tuneV8ForRuns()
  useLiftoffOnly()
  let file: string | undefined
  try {
    file = cacheFile(bundle)
  } catch {
    file = undefined
  }
  const cached = readCache(file)
  const source = readFileSync(bundle, 'utf8')
  // The wrapper node puts around a CommonJS module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: cached?.data,
  })
  const module = { exports: {} as T }
  const run = script.runInThisContext() as (e: T, r: NodeJS.Require, m: { exports: T }, f: string, d: string) => void
  run(module.exports, createRequire(bundle), module, bundle, dirname(bundle))
  return {
    exports: module.exports,
    cache: !cached ? 'none' : script.cachedDataRejected ? 'rejected' : 'used',
    save() {
      if (!file) return
      const { user, system } = process.cpuUsage()
      if (cached && !script.cachedDataRejected && user + system < cached.cpu * GROWTH) return
      writeCache(file, script.createCachedData(), user + system)
    },
  }
}
