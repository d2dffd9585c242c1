// The CPU time the lab hosts themselves have used (sshd, shells, the commands the tools start), in
// seconds since they started: read before and after a run, the difference is what the run cost the
// hosts. systemd hosts: their cgroup's cpu.stat. sysv hosts: every process in the host's pid
// namespace, its own time plus what its reaped children used (a process that ended counts in its
// parent's, so each CPU second is counted once).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { readState } from '../src/lab/index.js'
import { cgroupHierarchies, kindOf, labCgroupName } from '../src/lab/systemd-host.js'

const CLK_TCK = 100 // sysconf(_SC_CLK_TCK) on Linux

function readOr(path: string, fn: (p: string) => string): string | undefined {
  try {
    return fn(path)
  } catch {
    return undefined
  }
}

function cgroupSeconds(lab: string, host: string): number {
  const v2 = cgroupHierarchies().find((h) => !h.endsWith('/systemd'))
  const stat = v2 && readOr(join(v2, labCgroupName(lab), host, 'cpu.stat'), (p) => readFileSync(p, 'utf8'))
  const usec = /^usage_usec (\d+)$/m.exec(stat ?? '')?.[1]
  if (usec === undefined) throw new Error(`no cpu.stat for systemd host ${host} of lab ${lab}`)
  return Number(usec) / 1e6
}

/** utime + stime + cutime + cstime (fields 14-17 of /proc/PID/stat) of every process per pid namespace. */
function secondsByPidNamespace(): Map<string, number> {
  const out = new Map<string, number>()
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const ns = readOr(`/proc/${pid}/ns/pid`, readlinkSync)
    const stat = readOr(`/proc/${pid}/stat`, (p) => readFileSync(p, 'utf8'))
    if (!ns || !stat) continue
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 on
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
    out.set(ns, (out.get(ns) ?? 0) + ticks / CLK_TCK)
  }
  return out
}

/** Total CPU seconds used so far by the named hosts of the lab. */
export function hostsCpuSeconds(lab: string, names: string[]): number {
  const state = readState(lab)
  if (!state) throw new Error(`lab ${lab} has no state`)
  const wanted = state.hosts.filter((h) => names.includes(h.name))
  let byNs: Map<string, number> | undefined
  let total = 0
  for (const h of wanted) {
    if (kindOf(h) === 'systemd') {
      total += cgroupSeconds(lab, h.name)
      continue
    }
    const ns = h.init && readOr(`/proc/${h.init.pid}/ns/pid`, readlinkSync)
    if (!ns) throw new Error(`sysv host ${h.name} of lab ${lab} is not running`)
    byNs ??= secondsByPidNamespace()
    total += byNs.get(ns) ?? 0
  }
  return total
}
