#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm's `prepare` builds dist/).
import { main } from '../dist/src/cli/main.js'
import { secretValues } from '../dist/src/playbook/vault.js'
import { maskString } from '../dist/src/report/mask.js'

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
    // A stack trace may quote a value the run was handling: mask the run's secrets in it too.
    console.error(maskString(`rm-play: internal error: ${e?.stack ?? e}`, secretValues))
    process.exitCode = 1
  },
)
