// Named probes: a module's probes go out in one round trip, each probe id once, and come back
// under the module's own names (lists in order, absent names left out), run by a real sh.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import type { Connection } from '../../../src/connection/connection.js'
import { probeList, runNamedProbes } from '../../../src/engine/probe-batch.js'
import type { Probe } from '../../../src/modules/types.js'
import { sh } from '../../../src/shell/index.js'

const echo = (word: string): Probe<string> => ({ id: `echo:${word}`, script: sh`echo ${word}`, parse: (o) => o.stdout.trim() })
const counted = (n: number): Probe<number> => ({ id: `count:${n}`, script: sh`echo ${String(n)}`, parse: (o) => Number(o.stdout) })

function shell(): { conn: Connection; scripts: string[] } {
  const scripts: string[] = []
  const conn: Connection = {
    host: 'local',
    async exec(script) {
      scripts.push(script.text)
      const r = spawnSync('sh', ['-c', script.text], { encoding: 'utf8' })
      return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 }
    },
    async close() {},
  }
  return { conn, scripts }
}

describe('engine/probe-batch: named probes', () => {
  it('one round trip; the same probe under two names runs once; results come back by name, lists in order', async () => {
    const { conn, scripts } = shell()
    const named = { a: echo('alpha'), again: echo('alpha'), b: echo('beta'), none: undefined, list: [counted(3), counted(1), counted(2)] }
    const state = await runNamedProbes(conn, named, {})
    expect(state).to.deep.equal({ a: 'alpha', again: 'alpha', b: 'beta', list: [3, 1, 2] })
    expect(scripts).to.have.length(1)
    expect(scripts[0]!.match(/echo alpha/g)).to.have.length(1)
  })
  it('probeList flattens names and lists and skips absent ones', () => {
    expect(probeList({ a: echo('x'), n: undefined, l: [counted(1)] }).map((p) => p.id)).to.deep.equal(['echo:x', 'count:1'])
  })
})
