// --ssh-common-args / --ssh-extra-args: rm-play's SSH is ssh2, not OpenSSH, so only the options it
// honours are accepted; any other is refused by name rather than silently dropped.
import { RmError } from '../playbook/errors.js'
import { shlexSplit } from '../shell/shlex.js'

/** `-o` options (lower case) that the connection honours (engine/connect.ts, connection/ssh.ts). */
export const HONOURED_OPTIONS = [
  'serveraliveinterval',
  'serveralivecountmax',
  'stricthostkeychecking',
  'userknownhostsfile',
  'connecttimeout',
  'port',
  'user',
  'identityfile',
  'kexalgorithms',
  'hostkeyalgorithms',
  'ciphers',
  'macs',
  'controlmaster',
  'controlpersist',
]
const HONOURED_FLAGS = ['-o', '-i', '-p', '-l']

/** Throws an RmError naming every option rm-play cannot honour. */
export function checkSshArgs(flag: string, text: string): string {
  let words: string[]
  try {
    words = shlexSplit(text)
  } catch (e) {
    throw new RmError(`${flag}: ${(e as Error).message}`)
  }
  const refused: string[] = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const short = w.slice(0, 2)
    if (!w.startsWith('-') || !HONOURED_FLAGS.includes(short)) {
      refused.push(w)
      continue
    }
    const value = w.length > 2 ? w.slice(2) : words[++i]
    if (value === undefined) throw new RmError(`${flag}: ${w} needs a value`)
    if (short === '-o') {
      const name = /^([^=\s]+)/.exec(value)?.[1] ?? value
      if (!HONOURED_OPTIONS.includes(name.toLowerCase()) || !/[=\s]/.test(value)) refused.push(`-o ${value}`)
    }
  }
  if (refused.length)
    throw new RmError(
      `${flag}: rm-play's SSH (ssh2, not OpenSSH) cannot honour ${refused.map((r) => `'${r}'`).join(', ')}; it takes -o with ${HONOURED_OPTIONS.join(', ')} (any case), and -i FILE, -p PORT, -l USER`,
    )
  return text
}
