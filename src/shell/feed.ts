// A command that reads data on its stdin from a here-document inside the script: the data never
// becomes an argument of any process (not in `ps`), and never shell syntax (base64, quoted tag).
import { heredocBytes } from './heredoc.js'
import { joinScripts, Script, code, sh } from './sh.js'

/** Whether shell text has a line break outside quotes (where a here-document's body would start). */
function hasUnquotedNewline(text: string): boolean {
  let q: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (q === "'") {
      if (ch === "'") q = undefined
    } else if (ch === '\\') i++
    else if (q === '"') {
      if (ch === '"') q = undefined
    } else if (ch === "'" || ch === '"') q = ch
    else if (ch === '\n') return true
  }
  return false
}

/**
 * `base64 -d <<'TAG' | command`, then the here-document: `command` reads `data` byte for byte.
 * The command must be one line (a here-document's body starts at the next line break): put a
 * longer script in a function first.
 */
export function fedFrom(data: string | Buffer, tag: string, command: Script): Script {
  if (!(command instanceof Script)) throw new TypeError('fedFrom: the command must be a Script')
  if (hasUnquotedNewline(command.text)) throw new Error('fedFrom: the command must be one line (define a function for a longer one)')
  const h = heredocBytes(data, tag)
  // The document is base64 lines and the tag: no shell syntax can be in it.
  return joinScripts([sh`${h.pipe} | ${command}`, code(h.doc.text.replace(/\n$/, ''))])
}
