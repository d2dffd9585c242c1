#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm's `prepare` builds dist/).
import { main } from '../dist/src/cli/main.js'

main(process.argv.slice(2)).then((code) => { process.exitCode = code })
