#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm's `prepare` builds dist/).
import { main } from '../dist/src/cli/main.js'
import { internalErrorText } from '../dist/src/cli/internal-error.js'

// `rm-play ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw e
})

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    console.error(internalErrorText(e))
    process.exitCode = 1
  },
)
