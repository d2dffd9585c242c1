// Every module rm-play ships, one import per file. Add a module here to make it usable.
import { assert } from './assert.js'
import { command } from './command.js'
import { debug } from './debug.js'
import { fail } from './fail.js'
import { includeVars } from './include-vars.js'
import { meta } from './meta.js'
import { pause } from './pause.js'
import { ping } from './ping.js'
import { setFact } from './set-fact.js'
import { shell } from './shell.js'
import type { Module } from './types.js'
import { uri } from './uri.js'
import { waitFor } from './wait-for.js'

export const catalogue = [assert, command, debug, fail, includeVars, meta, pause, ping, setFact, shell, uri, waitFor] as Module[]
