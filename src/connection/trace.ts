// -vvv: what a connection does, line by line (Ansible's "<host> EXEC ..."), for the CLI to mask
// and print. Never the become password: the line says one is given, not what it is.
import type { ExecOptions } from './connection.js'

export type Trace = (line: string) => void

/** The line for one command: how it is run (login user, or become) and the script itself. */
export function execLine(script: string, opts: ExecOptions | undefined, loginUser: string): string {
  const b = opts?.become
  const how = b && b.user !== loginUser ? `${b.method ?? 'sudo'} to ${b.user}${b.password !== undefined ? ' (with a password)' : ''}` : loginUser
  const env = opts?.env && Object.keys(opts.env).length ? ` env ${Object.keys(opts.env).join(',')}` : ''
  const cwd = opts?.cwd ? ` in ${opts.cwd}` : ''
  return `EXEC as ${how}${env}${cwd}: ${opts?.untraced ? '(hidden: no_log)' : script.replace(/\n+$/, '')}`
}
