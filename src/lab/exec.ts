// Local commands (ip, mount, debootstrap, apt-get, git) through zx, with argv arrays so nothing is
// ever re-parsed by a shell, and failures turned into one-line errors with the stderr tail.
// The lab never writes into a pipe of a process that may not read it (ssh-keygen exits without
// reading, and the write then fails with an uncaught EPIPE): stdin is /dev/null, or a private temp
// file holding `input`.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// zx loads with the first command run, not with `rm-play lab list|status`.
const loadZx = () => import('zx')
import { tail } from '../text/tail.js'
import { labError } from './errors.js'

export interface RunOptions {
  input?: string
  env?: Record<string, string | undefined>
  cwd?: string
  /** Default true: a non-zero exit throws. */
  check?: boolean
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number
}

/** Runs `fn` with a file descriptor to read `input` from (a file, never a pipe), or 'ignore'. */
async function withStdin<T>(input: string | undefined, fn: (stdin: number | 'ignore') => Promise<T>): Promise<T> {
  if (input === undefined) return fn('ignore')
  const dir = mkdtempSync(join(tmpdir(), 'rmp-lab-stdin-'))
  try {
    const file = join(dir, 'input')
    writeFileSync(file, input, { mode: 0o600 })
    const fd = openSync(file, 'r')
    try {
      return await fn(fd)
    } finally {
      closeSync(fd)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env
  const { $ } = await loadZx()
  const out = await withStdin(opts.input, (stdin) => $({ quiet: true, nothrow: true, stdio: [stdin, 'pipe', 'pipe'], env, cwd: opts.cwd })`${argv}`)
  const res = { stdout: out.stdout, stderr: out.stderr, code: out.exitCode ?? 1 }
  if (res.code !== 0 && opts.check !== false) {
    throw labError(`'${argv.join(' ')}' failed (exit ${res.code}): ${tail(res.stderr || res.stdout, 5) || 'no output'}`)
  }
  return res
}

/**
 * Runs a bash script from a private temp file: a lab of 200 hosts makes scripts longer than the
 * kernel takes as one argument (128 KiB), and `bash -c SCRIPT` then fails before it starts.
 */
export async function runScript(script: string, opts: Omit<RunOptions, 'input'> = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-lab-script-'))
  try {
    const file = join(dir, 'script.sh')
    writeFileSync(file, script, { mode: 0o600 })
    return await run(['bash', '--', file], opts)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs a command and hands each line of its combined output to `onLine` as it comes. */
export async function runStreaming(argv: string[], onLine: (line: string) => void, opts: RunOptions = {}): Promise<RunResult> {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env
  const { $ } = await loadZx()
  const p = $({ quiet: true, nothrow: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd: opts.cwd })`${argv} 2>&1`
  const seen: string[] = []
  for await (const line of p) {
    seen.push(line)
    if (seen.length > 50) seen.shift()
    onLine(line)
  }
  const out = await p
  const res = { stdout: out.stdout, stderr: '', code: out.exitCode ?? 1 }
  if (res.code !== 0 && opts.check !== false) {
    throw labError(`'${argv.join(' ')}' failed (exit ${res.code}): ${tail(seen.join('\n'), 5) || 'no output'}`)
  }
  return res
}
