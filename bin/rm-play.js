#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm's `prepare` builds dist/). front.js answers
// --version, --help and the subcommands without loading the playbook engine.
import { front } from '../dist/src/cli/front.js'

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
  let pending = 2
  const done = () => --pending === 0 && process.exit(code)
  process.stdout.write('', done)
  process.stderr.write('', done)
}

front(process.argv.slice(2)).then(exitWhenFlushed, async (e) => {
  const { internalErrorText } = await import('../dist/src/cli/internal-error.js')
  console.error(internalErrorText(e))
  exitWhenFlushed(1)
})
