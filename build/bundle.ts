// Bundles the compiled CLI (dist/src, tsc's output) into one CommonJS file, dist/bundle/rm-play.cjs,
// with esbuild: node then reads one file instead of resolving and loading ~220 ES modules, and the
// bundle can use V8's code cache (src/cli/code-cache.ts). Lazy imports stay lazy: esbuild wraps
// each module in an initializer that runs at its first import. bin/rm-play.js runs the bundle only
// while it is current (src/cli/bundle-stamp.ts); `npm run build` makes it. Why: README, "Speed".
import { build, type Plugin } from 'esbuild'
import { readFileSync, rmSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { writeStamp } from '../src/cli/bundle-stamp.js'

const ROOT = join(import.meta.dirname, '..', '..')
const OUT = join(ROOT, 'dist', 'bundle')

/** Loaded at run time from node_modules, as before: native code and WASM found by path, the lab's zx. */
const EXTERNAL = ['minijinja-js', 'ssh2', 'zx', 'cpu-features']

/**
 * In the bundle, `import.meta.url` of each dist/src module stays the URL of that module's file, so
 * what it finds by path (package.json, the modules' doc comments, node_modules through
 * createRequire, the load cache's code hash) is what it finds unbundled. Any other use of
 * import.meta is an error here, not a surprise at run time.
 */
const keepModuleUrls: Plugin = {
  name: 'keep-module-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const other = /import\.meta(?!\.url\b)/.exec(text)
      if (other) return { errors: [{ text: `${args.path}: the bundle supports import.meta.url only, found ${other[0]}` }] }
      const rel = relative(OUT, args.path).split(sep).join('/')
      return { contents: text.replaceAll('import.meta.url', `__rmpModuleUrl(${JSON.stringify(rel)})`), loader: 'js' }
    })
  },
}

rmSync(OUT, { recursive: true, force: true })
await build({
  absWorkingDir: ROOT,
  entryPoints: { 'rm-play': 'dist/src/cli/bundle-entry.js' },
  outdir: OUT,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // import() of a dependency becomes require(): the bundle runs as a script, not a module.
  supported: { 'dynamic-import': false },
  // Strict first (ES modules are strict; a statement before esbuild's "use strict" would void it).
  banner: { js: `"use strict";\nconst __rmpModuleUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, rel)).href;` },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [keepModuleUrls],
})
writeStamp(ROOT)
