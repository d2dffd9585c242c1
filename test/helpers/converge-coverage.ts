// trust 35: the playbook that converges every changing module, and the modules it uses.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { canonicalModuleName } from '../../src/modules/index.js'

export const CONVERGE_PLAYBOOK = resolve('test', 'fixtures', 'trust-converge', 'site.yml')

/** The canonical module of every task and handler of a playbook (one module per task). */
export function modulesUsed(file: string): string[] {
  const plays = parse(readFileSync(file, 'utf8')) as { tasks?: Record<string, unknown>[]; handlers?: Record<string, unknown>[] }[]
  const used = new Set<string>()
  for (const play of plays) {
    for (const task of [...(play.tasks ?? []), ...(play.handlers ?? [])]) {
      const mods = Object.keys(task)
        .map(canonicalModuleName)
        .filter((m): m is string => m !== undefined)
      expect(mods, JSON.stringify(task)).to.have.length(1)
      used.add(mods[0]!)
    }
  }
  return [...used].sort()
}
