// results.json: what the bench measured, kept between runs so that one tool or one host count can
// be measured again without the others. A file in an older shape is started afresh (version 2's
// controller CPU left out the background connection holders', and its rm-play had no keeper).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { InitKind } from '../src/lab/index.js'
import type { EquivalenceCheck } from './equivalence.js'
import type { Cost } from './measure.js'
import type { Startup } from './startup.js'
import type { Tool } from './tools.js'

export interface ToolResult {
  converge: Cost
  /** The second run, nothing to change; `hostsCpu`: the CPU seconds the hosts used meanwhile. */
  noop: Cost & { hostsCpu: number }
  check: Cost
  date: string
  runs: number
}

export interface AtHosts {
  hosts: number
  init: InitKind
  tools: Partial<Record<Tool, ToolResult>>
}

export interface Machine {
  cores: number
  cpuModel: string
  memoryGb: number
  /** 1-minute load average when the bench started: anything near the core count means a busy machine. */
  load: number
  node: string
  versions: Partial<Record<Tool, string>>
}

export interface Results {
  version: 3
  machine?: Machine
  tasksPerHost?: number
  startup?: Startup & { date: string }
  equivalence?: { date: string; hosts: number; checks: EquivalenceCheck[] }
  byHosts: Record<string, AtHosts>
}

export function loadResults(path: string): Results {
  const old = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<Results>) : undefined
  return old?.version === 3 ? (old as Results) : { version: 3, byHosts: {} }
}

export function saveResults(path: string, r: Results): void {
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n')
}
