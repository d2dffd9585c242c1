#!/usr/bin/env node
// The installed command. front.js answers --version, --help and the subcommands from dist/src
// without the playbook engine. A run takes the engine from the bundle (dist/bundle/rm-play.cjs,
// made by `npm run build`, run with V8's code cache) while it is the current build of dist/src;
// else (after a bare `tsc`) from dist/src itself: the same code, a slower start.
import { fileURLToPath } from 'node:url'
import { front } from '../dist/src/cli/front.js'

/** The bundle, once a run has loaded it. */
let bundle

/** main.ts for a run (only a run pays for choosing and loading it). */
async function engine() {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const { bundleIsCurrent } = await import('../dist/src/cli/bundle-stamp.js')
  if (!bundleIsCurrent(root)) return import('../dist/src/cli/main.js')
  const { loadBundle } = await import('../dist/src/cli/code-cache.js')
  bundle ??= loadBundle(`${root}dist/bundle/rm-play.cjs`)
  return bundle.exports
}

// `rm-play ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

/**
 * Exits once what was printed is flushed, without waiting for the rest: the hosts' SSH connections
 * were told to close (a server takes its time to answer), keepalive timers, idle sockets. Nothing is
 * left to do when the command has returned.
 */
function exitWhenFlushed(code) {
  process.exitCode = code
  bundle?.save()
  let pending = 2
  const done = () => --pending === 0 && process.exit(code)
  process.stdout.write('', done)
  process.stderr.write('', done)
}

front(process.argv.slice(2), undefined, engine).then(exitWhenFlushed, async (e) => {
  // An error from the bundle's run is printed by the bundle (its InternalError, its run's secrets).
  const { internalErrorText } = bundle?.exports ?? (await import('../dist/src/cli/internal-error.js'))
  console.error(internalErrorText(e))
  exitWhenFlushed(1)
})
