// become_method su with a password, from a login user other than root. su reads a password from a
// terminal only (and flushes what was typed ahead), so such a command gets its own channel with a
// pty, as Ansible's su become plugin does: wait for su's prompt, write the password, wait for the
// new shell to say it is there, then send the script.
//
// A pty merges stderr into stdout, turns \n into \r\n and limits a line to 4 KiB: so the shell first
// puts the terminal in raw mode (one long line of script passes whole), runs the script with its
// own stdin and with stdout and stderr in two files, and prints both base64 between markers.
// Neither the script nor the password is ever on a command line; the password is written to the
// terminal once, after the prompt, and nowhere else.
import { StringDecoder } from 'node:string_decoder'
import type { Become, ExecOptions, ExecResult } from './connection.js'
import { heredocBytes, quote } from '../shell/index.js'
import { prelude } from './shell.js'

/** Ansible's su prompts (plugins/become/su.py SU_PROMPT_LOCALIZATIONS). */
const PROMPTS = [
  'Password',
  '암호',
  'パスワード',
  'Adgangskode',
  'Contraseña',
  'Contrasenya',
  'Hasło',
  'Heslo',
  'Jelszó',
  'Lösenord',
  'Mật khẩu',
  'Mot de passe',
  'Parola',
  'Parool',
  'Pasahitza',
  'Passord',
  'Passwort',
  'Salasana',
  'Sandi',
  'Senha',
  'Wachtwoord',
  'ססמה',
  'Лозинка',
  'Парола',
  'Пароль',
  'गुप्तशब्द',
  'शब्दकूट',
  'సంకేతపదము',
  'හස්පදය',
  '密码',
  '密碼',
  '口令',
]

/** A prompt is the last, unfinished line of su's output: a localized "Password", then a colon. */
const PROMPT = new RegExp(`(\\w+'s )?(${PROMPTS.join('|')}) ?(:|：) ?$`, 'iu')

/** What su says to a wrong password (Ansible's BecomeModule.fail for su). */
const FAILURE = /Authentication failure/i

/** Whether this command needs the terminal: su, a password, and a login user other than root. */
export function suNeedsTerminal(become: Become | undefined, loginUser: string | undefined): become is Become & { password: string } {
  return become?.method === 'su' && become.password !== undefined && loginUser !== 'root' && become.user !== loginUser
}

const readyMarker = (token: string) => `__RMP_SU_READY_${token}`
const outMarker = (token: string) => `__RMP_SU_OUT_${token}`
const errMarker = (token: string) => `__RMP_SU_ERR_${token}`
const endMarker = (token: string) => `__RMP_SU_END_${token}`

/**
 * The channel's command: su starting a shell that puts the terminal in raw mode, says it is
 * there, and runs the one base64 line that follows. Fixed text: no script, no secret.
 */
export function suCommand(user: string, token: string): string {
  return `su -s /bin/sh -c ${quote(suShell(token))} ${quote(user)}`
}

/** What the shell su starts runs: raw terminal, the ready marker, then the one line of script. */
export function suShell(token: string): string {
  return `stty raw -echo; printf '%s\\n' ${readyMarker(token)}; IFS= read -r s; eval "$(printf %s "$s" | base64 -d)"`
}

/** The line sent once su is through: the script in base64 (decoded and run by suCommand's shell). */
export function suPayload(token: string, script: string, opts: ExecOptions): string {
  const run = `( eval ${quote(prelude(opts) + script)} )`
  const data = opts.stdin !== undefined ? heredocBytes(opts.stdin, `RMP_IN_${token}`) : undefined
  const text = [
    'd=$(mktemp -d) || exit 1',
    data ? `${data.pipe} | ${run} >"$d/o" 2>"$d/e"\n${data.doc}` : `${run} </dev/null >"$d/o" 2>"$d/e"`,
    'rc=$?',
    `printf '%s\\n' ${outMarker(token)}; base64 "$d/o"; printf '%s\\n' ${errMarker(token)}; base64 "$d/e"`,
    `printf '%s:%d:\\n' ${endMarker(token)} "$rc"`,
    'rm -rf "$d"',
    '',
  ].join('\n')
  return Buffer.from(text).toString('base64') + '\n'
}

/** The pty channel as the dialogue sees it. */
export interface Terminal {
  write(s: string): void
  onData(f: (d: Buffer) => void): void
  onClose(f: () => void): void
  close(): void
}

export interface SuDialogueOptions {
  token: string
  become: Become & { password: string }
  script: string
  opts: ExecOptions
  /** From the start until su is through (Ansible's timeout for the privilege escalation prompt). */
  authTimeoutMs: number
}

/** What su said before the shell started (its prompt and messages; never the password, echo is off). */
const said = (text: string) => JSON.stringify(text.replace(/\r/g, '').trim().slice(-200))

/**
 * Talks to su on `term`: the password after the prompt, the script once the shell is there; the
 * script's result, or a clear error for a wrong password, no prompt, or a dead channel.
 */
export function suDialogue(term: Terminal, o: SuDialogueOptions): Promise<ExecResult> {
  const { token, become } = o
  const who = `su to ${become.user}`
  return new Promise((resolve, reject) => {
    let text = ''
    const decoder = new StringDecoder('utf8')
    let phase: 'auth' | 'run' | 'done' = 'auth'
    let answered = false
    const timers: NodeJS.Timeout[] = []
    const finish = (r: ExecResult | Error) => {
      if (phase === 'done') return
      phase = 'done'
      timers.forEach(clearTimeout)
      term.close()
      if (r instanceof Error) reject(r)
      else resolve(r)
    }
    timers.push(
      setTimeout(() => {
        if (phase === 'auth') finish(new Error(`${who}: Timeout (${o.authTimeoutMs / 1000}s) waiting for privilege escalation prompt: su said ${said(text)}`))
      }, o.authTimeoutMs),
    )
    if (o.opts.timeoutMs) timers.push(setTimeout(() => finish(new Error(`command timed out after ${o.opts.timeoutMs} ms`)), o.opts.timeoutMs))
    const auth = () => {
      const ready = text.indexOf(readyMarker(token) + '\n')
      if (ready >= 0) {
        phase = 'run'
        text = text.slice(ready + readyMarker(token).length + 1)
        term.write(suPayload(token, o.script, o.opts))
        return run()
      }
      if (answered && FAILURE.test(text)) return finish(new Error(`${who}: Incorrect su password (su said ${said(text)})`))
      const lastLine = text.slice(text.lastIndexOf('\n') + 1)
      if (!answered && PROMPT.test(lastLine)) {
        answered = true
        term.write(become.password + '\n')
      }
    }
    const run = () => {
      const out = text.indexOf(outMarker(token) + '\n')
      const err = text.indexOf(errMarker(token) + '\n')
      const end = text.indexOf(endMarker(token) + ':')
      if (out < 0 || err < out || end < err || text.indexOf(':\n', end + endMarker(token).length + 1) < 0) return
      const code = parseInt(text.slice(end + endMarker(token).length + 1), 10)
      const decode = (from: number, to: number) => Buffer.from(text.slice(from, to), 'base64').toString('utf8')
      finish({ code, stdout: decode(out + outMarker(token).length + 1, err), stderr: decode(err + errMarker(token).length + 1, end) })
    }
    term.onData((d) => {
      if (phase === 'done') return
      // raw mode is not on before the shell runs: su's own lines end in \r\n (after, all is base64)
      text += decoder.write(d).replace(/\r/g, '')
      if (phase === 'auth') auth()
      else run()
    })
    term.onClose(() => {
      if (phase === 'auth' && FAILURE.test(text)) finish(new Error(`${who}: Incorrect su password (su said ${said(text)})`))
      else if (phase === 'auth') finish(new Error(`${who} failed: su said ${said(text)}`))
      else finish(new Error(`${who}: the shell ended before the command's result came back`))
    })
  })
}
