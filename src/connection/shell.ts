// Quoting and wrapping of remote commands, in one place: every argument that reaches a remote
// shell goes through quote(); nothing is interpolated raw.
import type { Become, ExecOptions } from './connection.js'

/** POSIX single-quote quoting. */
export function quote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

export function argv(args: string[]): string {
  return args.map(quote).join(' ')
}

function base64Lines(data: string | Buffer): string {
  const b64 = Buffer.from(data).toString('base64')
  return b64.replace(/.{1,76}/g, '$&\n')
}

/** A here-document that yields `data` exactly (binary-safe through base64). */
export function heredocBytes(data: string | Buffer, tag: string): { pipe: string; doc: string } {
  return { pipe: `base64 -d <<'${tag}'`, doc: `${base64Lines(data)}${tag}\n` }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Prefix that sets environment and working directory inside the script. */
export function prelude(opts: Pick<ExecOptions, 'env' | 'cwd'>): string {
  const lines: string[] = []
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${k}`)
    lines.push(`export ${k}=${quote(v)}`)
  }
  if (opts.cwd) lines.push(`cd ${quote(opts.cwd)} || exit 1`)
  return lines.length ? lines.join('\n') + '\n' : ''
}

/** The command line that runs `script` as the become user (or as the login user). */
export function wrapCommand(script: string, become: Become | undefined, loginUser: string | undefined): string {
  const sh = `/bin/sh -c ${quote(script)}`
  if (!become) return sh
  if (loginUser && become.user === loginUser) return sh
  // -H: HOME of the target user; -n unless a password is given (then read from stdin, see frame()).
  const flags = become.password !== undefined ? "-k -S -p ''" : '-n'
  return `sudo -H ${flags} -u ${quote(become.user)} -- ${sh}`
}

/**
 * One framed command for a persistent `sh` reading commands from its stdin: the command runs with
 * its own stdin (never the command stream), then a marker with the exit code is printed on stdout
 * and a marker on stderr, so the reader knows where this command's output ends.
 */
export function frame(token: string, script: string, opts: ExecOptions, loginUser: string | undefined): string {
  const cmd = wrapCommand(prelude(opts) + script, opts.become, loginUser)
  const password = opts.become?.password !== undefined && cmd.startsWith('sudo ') ? opts.become.password : undefined
  const sendPassword = password !== undefined ? `printf '%s\\n' ${quote(password)}` : ''
  let line: string
  if (opts.stdin === undefined) {
    line = password !== undefined ? `${sendPassword} | ${cmd}\n` : `${cmd} </dev/null\n`
  } else {
    const h = heredocBytes(opts.stdin, `RMP_IN_${token}`)
    line = password !== undefined ? `{ ${sendPassword}; ${h.pipe}\n${h.doc}} | ${cmd}\n` : `${h.pipe} | ${cmd}\n${h.doc}`
  }
  return `${line}printf '%s:%d:\\n' ${marker(token)} "$?"; printf '%s\\n' ${marker(token)} >&2\n`
}

export function marker(token: string): string {
  return `__RMP_END_${token}`
}
