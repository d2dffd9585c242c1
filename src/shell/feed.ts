// A command that reads data on its stdin from a here-document inside the script: the data never
// becomes an argument of any process (not in `ps`), and never shell syntax (base64, quoted tag).
import { heredocBytes } from './heredoc.js'
import { joinScripts, Script, code, sh } from './sh.js'

/** `base64 -d <<'TAG' | command`, then the here-document: `command` reads `data` byte for byte. */
export function fedFrom(data: string | Buffer, tag: string, command: Script): Script {
  if (!(command instanceof Script)) throw new TypeError('fedFrom: the command must be a Script')
  const h = heredocBytes(data, tag)
  // The document is base64 lines and the tag: no shell syntax can be in it.
  return joinScripts([sh`${h.pipe} | ${command}`, code(h.doc.replace(/\n$/, ''))])
}
