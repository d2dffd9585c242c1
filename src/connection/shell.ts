// Wrapping of remote commands, in one place: every argument that reaches a remote shell goes
// through quote(); nothing is interpolated raw. Quoting itself lives in src/shell/ (modules use
// `sh` from there); this file does not re-export it.
import type { Become, ExecOptions } from './connection.js'
import { heredocBytes, quote } from '../shell/index.js'

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

/**
 * One framed command for a persistent `sh` reading commands from its stdin: the command runs with
 * its own stdin (never the command stream), then a marker with the exit code is printed on stdout
 * and a marker on stderr, so the reader knows where this command's output ends.
 *
 * The script never becomes an argument of a process (so `ps` on the host shows no script, no SQL,
 * no secret): as the login user it is `eval`ed in a subshell of the session shell; under sudo it
 * travels on the new shell's stdin, base64 on one line, ahead of any data for the script.
 */
export function frame(token: string, script: string, opts: ExecOptions, loginUser: string | undefined): string {
  const body = prelude(opts) + script
  const become: Become | undefined = opts.become && !(loginUser && opts.become.user === loginUser) ? opts.become : undefined
  const data = opts.stdin !== undefined ? heredocBytes(opts.stdin, `RMP_IN_${token}`) : undefined
  let line: string
  if (!become) {
    const run = `( eval ${quote(body)} )`
    line = data ? `${data.pipe} | ${run}\n${data.doc}` : `${run} </dev/null\n`
  } else if (become.method === 'su') {
    line = suLine(become, body, data, loginUser)
  } else {
    // -H: HOME of the target user; -n unless a password is given (then sudo reads it first, -S).
    const flags = become.password !== undefined ? "-k -S -p ''" : '-n'
    const reader = quote('IFS= read -r s; eval "$(printf %s "$s" | base64 -d)"')
    const sudo = `sudo -H ${flags} -u ${quote(become.user)} -- /bin/sh -c ${reader}`
    const head = [
      ...(become.password !== undefined ? [`printf '%s\\n' ${quote(become.password)}`] : []),
      `printf '%s\\n' ${quote(Buffer.from(body).toString('base64'))}`,
    ].join('; ')
    line = data ? `{ ${head}; ${data.pipe}\n${data.doc}} | ${sudo}\n` : `{ ${head}; } | ${sudo}\n`
  }
  return `${line}printf '%s:%d:\\n' ${marker(token)} "$?"; printf '%s\\n' ${marker(token)} >&2\n`
}

export function marker(token: string): string {
  return `__RMP_END_${token}`
}

/**
 * --become-method su: the script travels as under sudo (base64 on the new shell's stdin). su reads
 * a password from a terminal only, which the framed shell does not have: from root no password
 * is asked; from another user with a password, an SSH connection opens a channel with a terminal
 * for the command (su-terminal.ts), and a local connection refuses (below) rather than hang.
 */
function suLine(become: Become, body: string, data: ReturnType<typeof heredocBytes> | undefined, loginUser: string | undefined): string {
  const reader = quote('IFS= read -r s; eval "$(printf %s "$s" | base64 -d)"')
  const head = `printf '%s\\n' ${quote(Buffer.from(body).toString('base64'))}`
  // su flushes what was typed ahead when it turns echo off, so a password cannot be fed to it the
  // way sudo -S takes one: that needs a terminal and a wait for the prompt (SSH only).
  if (become.password !== undefined && loginUser !== 'root')
    throw new Error(
      `become_method su with a password needs a terminal, which rm-play opens over SSH only: for a local connection run rm-play as root or use --become-method sudo`,
    )
  const su = `su -s /bin/sh -c ${reader} ${quote(become.user)}`
  return data ? `{ ${head}; ${data.pipe}\n${data.doc}} | ${su}\n` : `{ ${head}; } | ${su}\n`
}
