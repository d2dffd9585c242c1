// The framed shell reading a command's output that comes in many chunks, as a large output over
// SSH does: the bytes come back whole, and the end marker is found wherever the chunks split it.
import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import { FramedShell } from '../../src/connection/framed-shell.js'

/** A shell that answers the first command by writing `answer` to stdout in `pieces` chunks. */
function fakeShell(answer: (endMarker: string) => Buffer, pieces: number) {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let written = ''
  stdin.on('data', (d: Buffer) => {
    written += d.toString()
    const group = /(__RMP_PG_[0-9a-f]+)/.exec(written)
    if (group && !written.includes('answered-group')) {
      written += 'answered-group'
      stdout.write(`${group[1]}:4242\n`)
    }
    const end = /(__RMP_END_[0-9a-f]+)/.exec(written)
    if (end && !written.includes('answered-command')) {
      written += 'answered-command'
      const bytes = answer(end[1]!)
      const size = Math.ceil(bytes.length / pieces)
      for (let i = 0; i < bytes.length; i += size) stdout.write(bytes.subarray(i, i + size))
      stderr.write(`warning\n${end[1]}\n`)
    }
  })
  return new FramedShell(stdin, stdout, stderr, 'root', () => undefined)
}

describe('framed shell: output in many chunks', () => {
  for (const [size, pieces] of [
    [300_000, 1],
    [300_000, 7],
    [300_000, 1000],
    [3000, 3100], // a byte at a time: the marker is cut at every place
  ] as const) {
    it(`a ${size}-byte output in ${pieces} chunk(s)`, async () => {
      const big = Buffer.alloc(size, 'x')
      const shell = fakeShell((end) => Buffer.concat([big, Buffer.from(`\n${end}:3\n`)]), pieces)
      const r = await shell.exec('cat big')
      expect(r.code).to.equal(3)
      expect(r.stdout.length).to.equal(big.length + 1)
      expect(r.stdout).to.equal(big.toString() + '\n')
      expect(r.stderr).to.equal('warning\n')
    })
  }

  it('text that merely looks like another marker is output, not the end', async () => {
    const shell = fakeShell((end) => Buffer.from(`__RMP_END_0000:1\n${end.slice(0, -1)}\n${end}:0\n`), 5)
    const r = await shell.exec('echo')
    expect(r.code).to.equal(0)
    expect(r.stdout).to.match(/^__RMP_END_0000:1\n__RMP_END_[0-9a-f]+\n$/)
  })
})
