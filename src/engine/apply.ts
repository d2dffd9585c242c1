// Runs a change's steps on a host, in order; the first step that fails stops the change and
// explains itself (exit code, what the code usually means, the end of stderr).
import type { Connection, ExecOptions } from '../connection/connection.js'
import { putScript } from '../connection/put-file.js'
import type { Change, Step, StepOutput } from '../modules/types.js'
import { tail } from '../text/tail.js'

const MEANING: Record<number, string> = {
  1: 'general error',
  2: 'misuse of a shell builtin or bad arguments',
  100: 'apt/dpkg error',
  124: 'timed out',
  126: 'command found but not executable (permissions?)',
  127: 'command not found',
  128: 'invalid exit argument',
  130: 'interrupted (SIGINT)',
  137: 'killed (SIGKILL, maybe out of memory)',
  139: 'segmentation fault',
  143: 'terminated (SIGTERM)',
}

export function exitMeaning(code: number): string {
  return MEANING[code] ?? (code > 128 && code < 160 ? `killed by signal ${code - 128}` : 'failed')
}

export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output: StepOutput,
  ) {
    super(message)
    this.name = 'StepFailure'
  }
}

export async function runStep(conn: Connection, step: Step, base: ExecOptions): Promise<StepOutput> {
  const opts: ExecOptions =
    step.kind === 'put'
      ? { ...base, stdin: step.from !== undefined ? undefined : step.content }
      : {
          ...base,
          stdin: step.stdin,
          env: { ...(base.env ?? {}), ...(step.env ?? {}) },
          cwd: step.cwd ?? base.cwd,
          timeoutMs: step.timeoutMs ?? base.timeoutMs,
        }
  const script = step.kind === 'put' ? putScript(step) : step.script
  const r = await conn.exec(script, opts)
  return { step, code: r.code, stdout: r.stdout, stderr: r.stderr }
}

/** Applies changes in order; returns every step's output, or throws StepFailure at the first failure. */
export async function applyChanges(conn: Connection, changes: Change[], base: ExecOptions): Promise<StepOutput[]> {
  const outputs: StepOutput[] = []
  for (const change of changes) {
    for (const step of change.steps) {
      const out = await runStep(conn, step, base)
      outputs.push(out)
      const ok = step.kind === 'exec' ? (step.okCodes ?? [0]).includes(out.code) : out.code === 0
      if (!ok) {
        const err = tail(out.stderr, 8) || tail(out.stdout, 8)
        throw new StepFailure(`${change.summary}: exit ${out.code} (${exitMeaning(out.code)})${err ? `\n${err}` : ''}`, out)
      }
    }
  }
  return outputs
}
