#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm's `prepare` builds dist/). front.js answers
// --version, --help and the subcommands without loading the playbook engine.
import { front } from '../dist/src/cli/front.js'

// `rm-play ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

front(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  async (e) => {
    const { internalErrorText } = await import('../dist/src/cli/internal-error.js')
    console.error(internalErrorText(e))
    process.exitCode = 1
  },
)
