#!/usr/bin/env node
// The installed command. It runs the CLI's bundle (dist/bundle/rm-play.cjs, made by `npm run
// build`) with V8's code cache while the bundle is the current build of dist/src; else (after a
// bare `tsc`) the compiled modules themselves: the same code, a slower start. front answers
// --version, --help and the subcommands without starting the playbook engine.
import { fileURLToPath } from 'node:url'
import { bundleIsCurrent } from '../dist/src/cli/bundle-stamp.js'

const root = fileURLToPath(new URL('..', import.meta.url))
let cli
let saveCodeCache = () => {}
if (bundleIsCurrent(root)) {
  const { loadBundle } = await import('../dist/src/cli/code-cache.js')
  const bundle = loadBundle(`${root}dist/bundle/rm-play.cjs`)
  cli = bundle.exports
  saveCodeCache = bundle.save
} else {
  const [{ front }, { internalErrorText }] = await Promise.all([import('../dist/src/cli/front.js'), import('../dist/src/cli/internal-error.js')])
  cli = { front, internalErrorText }
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
  saveCodeCache()
  let pending = 2
  const done = () => --pending === 0 && process.exit(code)
  process.stdout.write('', done)
  process.stderr.write('', done)
}

cli.front(process.argv.slice(2)).then(exitWhenFlushed, (e) => {
  console.error(cli.internalErrorText(e))
  exitWhenFlushed(1)
})
