// Runs `rm-play lab` alone, for trying the lab before the main CLI wires it in.
import { labCommand } from './lab.js'

process.exitCode = await labCommand(process.argv.slice(2))
