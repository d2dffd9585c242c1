// How an ad-hoc command prints its results: one line (or block) per host, as Ansible's minimal
// callback does. Apart from adhoc.ts so that loading a playbook does not load the diff printer.
import type { Emit, HostResultEvent, RunEvent } from '../engine/events.js'
import { paintDiff, unifiedDiff } from '../report/diff.js'
import type { Paint } from '../report/paint.js'
import { pyJson } from './adhoc.js'

/** Modules whose result is printed as `rc=N >>` and the raw output (Ansible's MODULE_NO_JSON). */
const NO_JSON = new Set(['command', 'shell', 'raw'])

/** The result dict Ansible would print for a host. */
export function resultDict(e: HostResultEvent, module: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(e.output ?? {}) }
  // Other modules' rc/stdout are those of rm-play's own probes and steps, not the module's result.
  if (!NO_JSON.has(module) && e.status !== 'failed') for (const k of ['rc', 'stdout', 'stderr', 'stdout_lines', 'stderr_lines']) delete out[k]
  out.changed = e.status === 'changed'
  if (e.msg !== undefined && out.msg === undefined) out.msg = e.msg
  if (e.status === 'unreachable') out.unreachable = true
  if (e.hidden) return { changed: out.changed, censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result" }
  return out
}

/** One host's result, as Ansible's minimal (ad-hoc) callback prints it. */
export function adHocLine(e: HostResultEvent, module: string): string {
  const r = resultDict(e, module)
  // Check mode: a command that cannot be predicted is not run; Ansible reports it skipped.
  if (e.status === 'skipped' || (e.check && NO_JSON.has(module) && !('rc' in r))) return `${e.host} | SKIPPED`
  if (e.status === 'unreachable') return `${e.host} | UNREACHABLE! => ${pyJson(r)}`
  const caption = e.status === 'failed' ? 'FAILED' : e.status === 'changed' ? 'CHANGED' : 'SUCCESS'
  if (NO_JSON.has(module) && !e.hidden && ('rc' in r || 'stdout' in r || e.status !== 'failed')) {
    const text = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '')
    // Ansible's command module says only this when the exit code is not 0.
    const msg = e.status === 'failed' && typeof r.rc === 'number' && r.rc !== 0 ? 'non-zero return code' : text('msg')
    return `${e.host} | ${caption} | rc=${typeof r.rc === 'number' ? r.rc : -1} >>\n${text('stdout')}${text('stderr')}${msg}`
  }
  return `${e.host} | ${caption === 'FAILED' ? 'FAILED!' : caption} => ${pyJson(r)}`
}

export function adHocReporter(module: string, io: { out(s: string): void; err(s: string): void }, paint: Paint): Emit {
  return (ev: RunEvent) => {
    if (ev.type === 'warning') io.err(paint.magenta(`[WARNING]: ${ev.host ? `${ev.host}: ` : ''}${ev.msg}`) + '\n')
    else if (ev.type === 'play-start' && ev.hosts.length === 0) io.err(paint.magenta('[WARNING]: No hosts matched, nothing to do') + '\n')
    else if (ev.type === 'host-result' && !ev.handler) {
      for (const d of ev.diffs) io.out(paintDiff(unifiedDiff(d), paint) + '\n')
      const colour =
        ev.status === 'failed' || ev.status === 'unreachable'
          ? paint.red
          : ev.status === 'changed'
            ? paint.yellow
            : ev.status === 'skipped'
              ? paint.cyan
              : paint.green
      io.out(colour(adHocLine(ev, module)) + '\n')
    }
  }
}
