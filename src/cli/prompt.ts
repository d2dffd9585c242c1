// Reading a secret from the terminal without echo (for -K and vault prompts).
import { createInterface } from 'node:readline'

export async function readSecret(prompt: string): Promise<string> {
  process.stderr.write(prompt)
  const stdin = process.stdin
  const wasRaw = stdin.isTTY ? stdin.isRaw : false
  if (stdin.isTTY) stdin.setRawMode(true)
  const rl = createInterface({ input: stdin, terminal: false })
  try {
    if (!stdin.isTTY) {
      for await (const line of rl) return line
      return ''
    }
    return await new Promise<string>((resolve) => {
      let buf = ''
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData)
            process.stderr.write('\n')
            return resolve(buf)
          }
          if (ch === '\u0003') process.exit(130)
          if (ch === '\u007f') buf = buf.slice(0, -1)
          else buf += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    if (stdin.isTTY) stdin.setRawMode(wasRaw)
    rl.close()
  }
}
