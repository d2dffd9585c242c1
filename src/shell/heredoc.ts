// Data carried inside a script: base64 in a quoted here-document, so any bytes arrive exactly and
// nothing in them is read by the shell.
import { code, Script, sh } from './sh.js'

function base64Lines(data: string | Buffer): string {
  const b64 = Buffer.from(data).toString('base64')
  return b64.replace(/.{1,76}/g, '$&\n')
}

/** A here-document that yields `data` exactly: `pipe` reads it, `doc` follows the command line. */
export function heredocBytes(data: string | Buffer, tag: string): { pipe: Script; doc: Script } {
  if (!/^[A-Za-z0-9_]+$/.test(tag)) throw new Error(`heredoc tag must be a word: ${tag}`)
  return { pipe: sh`base64 -d <<${code(`'${tag}'`)}`, doc: code(`${base64Lines(data)}${tag}\n`) }
}
