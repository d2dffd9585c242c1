// Every module rm-play ships, one import per file. Add a module here to make it usable.
import { assert } from './assert.js'
import { command } from './command.js'
import { debug } from './debug.js'
import { fail } from './fail.js'
import { git } from './git.js'
import { includeVars } from './include-vars.js'
import { meta } from './meta.js'
import { pause } from './pause.js'
import { ping } from './ping.js'
import { pip } from './pip.js'
import { setFact } from './set-fact.js'
import { shell } from './shell.js'
import type { Module } from './types.js'
import { uri } from './uri.js'
import { waitFor } from './wait-for.js'

export const catalogue = [assert, command, debug, fail, git, includeVars, meta, pause, ping, pip, setFact, shell, uri, waitFor] as Module[]
