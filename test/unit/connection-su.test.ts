// su with a password over a terminal (connection/su-terminal.ts): the dialogue with a stand-in for
// su (the prompt, the password, a failure) around the real shell su would start, run locally.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { suDialogue, suShell, type Terminal } from '../../src/connection/su-terminal.js'

const become = { user: 'root', method: 'su' as const, password: "pw 'x' 密" }

/** A fake su: says `prompt` (in two pieces, cut inside a character), then answers the password as `answer` does. */
function fakeSu(prompt: string, answer: (line: string, t: { say(s: string): void; shell(): void; end(): void }) => void) {
  const writes: string[] = []
  let onData: (d: Buffer) => void = () => undefined
  let onClose: () => void = () => undefined
  let shellIn: ((s: string) => void) | undefined
  let closed = false
  const token = 'abc123'
  const end = () => {
    if (!closed) ((closed = true), onClose())
  }
  const t = {
    say: (s: string) => onData(Buffer.from(s)),
    shell: () => {
      const sh = spawn('/bin/sh', ['-c', suShell(token)], { stdio: ['pipe', 'pipe', 'pipe'] })
      // a terminal merges the two streams (stty's complaint about no terminal lands here too)
      sh.stdout.on('data', (d: Buffer) => onData(d))
      sh.stderr.on('data', (d: Buffer) => onData(d))
      sh.on('close', end)
      shellIn = (s) => sh.stdin.write(s)
    },
    end,
  }
  const term: Terminal = {
    write: (s) => {
      writes.push(s)
      if (shellIn) shellIn(s)
      else answer(s, t)
    },
    onData: (f) => {
      onData = f
      const b = Buffer.from(prompt)
      setImmediate(() => {
        f(b.subarray(0, b.length - 2))
        f(b.subarray(b.length - 2))
      })
    },
    onClose: (f) => (onClose = f),
    close: () => undefined,
  }
  return { term, writes, token }
}

describe('su with a password over a terminal', () => {
  it('waits for a localized prompt, writes the password once, then stdout, stderr and rc come back apart', async () => {
    const su = fakeSu('Passwort: ', (line, t) => (line === become.password + '\n' ? (t.say('\r\n'), t.shell()) : t.end()))
    const r = await suDialogue(su.term, {
      token: su.token,
      become,
      script: "echo out; echo err >&2; printf 'a\\nb\\n'; cat; exit 3",
      opts: { stdin: 'fed\n' },
      authTimeoutMs: 10000,
    })
    expect(r).to.deep.equal({ code: 3, stdout: 'out\na\nb\nfed\n', stderr: 'err\n' })
    expect(su.writes[0]).to.equal(become.password + '\n')
    expect(su.writes.slice(1).join('')).not.to.contain(become.password)
  })

  it('a prompt cut inside a multi-byte character is still a prompt (密码：)', async () => {
    const su = fakeSu('密码：', (_line, t) => (t.say('\r\n'), t.shell()))
    const r = await suDialogue(su.term, { token: su.token, become, script: 'echo ok', opts: {}, authTimeoutMs: 10000 })
    expect(r.stdout).to.equal('ok\n')
  })

  it('"Authentication failure" after the password: "Incorrect su password", whether su closes or not', async () => {
    for (const close of [true, false]) {
      const su = fakeSu('Password: ', (_line, t) => {
        t.say('\r\nsu: Authentication failure\r\n')
        if (close) t.end()
      })
      const e = await suDialogue(su.term, { token: su.token, become, script: 'true', opts: {}, authTimeoutMs: 10000 }).catch((x: Error) => x)
      expect((e as Error).message).to.equal('su to root: Incorrect su password (su said "Password: \\nsu: Authentication failure")')
    }
  })

  it('no prompt before the deadline: a timeout error, and the password is never written', async () => {
    const su = fakeSu('Welcome\n', () => undefined)
    const e = await suDialogue(su.term, { token: su.token, become, script: 'true', opts: {}, authTimeoutMs: 300 }).catch((x: Error) => x)
    expect((e as Error).message).to.match(/^su to root: Timeout \(0.3s\) waiting for privilege escalation prompt: su said "Welcome"$/)
    expect(su.writes).to.deep.equal([])
  })
})
