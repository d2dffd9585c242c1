// One timed run of a command: wall time, the CPU time and peak memory of it and its children (read
// by bench/rusage.py through wait4), and its output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { $ } from 'zx'

export interface Cost {
  wall: number
  /** user + system CPU seconds of the process and the children it waited for, plus backgroundCpu */
  cpu: number
  /** the peak RSS of the tool's largest process */
  maxRssMb: number
  /** CPU seconds the background connection holders (bench/holders.ts) used during the run */
  backgroundCpu?: number
  /** the largest background connection holder's peak RSS since it started */
  backgroundRssMb?: number
}

export interface Measured extends Cost {
  /** stdout, then stderr (pyinfra logs to stderr) */
  output: string
}

const RUSAGE = join(import.meta.dirname, '..', '..', 'bench', 'rusage.py')

/** Runs argv; throws with the output's tail when it exits non-zero. */
export async function measure(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-bench-'))
  try {
    const out = join(dir, 'rusage.json')
    const res = await $({ env: { ...env, RUSAGE_OUT: out }, cwd, nothrow: true, quiet: true })`/usr/bin/python3 ${RUSAGE} ${argv}`
    if (res.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${res.exitCode}:\n${(res.stdout + res.stderr).slice(-3000)}`)
    const r = JSON.parse(readFileSync(out, 'utf8')) as { wall: number; user: number; sys: number; maxRssKb: number }
    return { wall: r.wall, cpu: r.user + r.sys, maxRssMb: r.maxRssKb / 1024, output: res.stdout + res.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** The median of each field over several measurements. */
export function medianCost(xs: Cost[]): Cost {
  const of = (k: keyof Cost) => median(xs.map((x) => x[k] ?? 0))
  return { wall: of('wall'), cpu: of('cpu'), maxRssMb: of('maxRssMb'), backgroundCpu: of('backgroundCpu'), backgroundRssMb: of('backgroundRssMb') }
}
