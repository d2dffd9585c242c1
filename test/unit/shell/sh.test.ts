import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { argv, code, heredocBytes, joinScripts, quote, Script, sh } from '../../../src/shell/index.js'

// What a real POSIX shell makes of the script: the words printf receives, one per line.
function words(script: Script): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -- ${script.text}; for w do printf '%s\\0' "$w"; done`], { encoding: 'utf8' })
  return out.split('\0').slice(0, -1)
}

describe('shell: the sh tagged template', () => {
  const hostile = ['$(touch /tmp/rmp-canary)', '`id`', "it's", 'a b', '-rf', '', 'line1\nline2', '"; rm -rf / #', '*', '~root', '$HOME']

  it('turns every hostile value into exactly one word, byte for byte', () => {
    for (const v of hostile) expect(words(sh`${v}`), JSON.stringify(v)).to.deep.equal([v])
  })

  it('spreads an array into one word per item', () => {
    expect(words(sh`${hostile}`)).to.deep.equal(hostile)
    expect(words(argv(hostile))).to.deep.equal(hostile)
  })

  it('inserts a Script as code and a plain string as data', () => {
    const inner = sh`echo ${'x y'}`
    expect(sh`a; ${inner}`.text).to.equal("a; echo 'x y'")
    expect(sh`${inner.text}`.text).to.equal(quote("echo 'x y'"))
  })

  it('refuses values that are not words (undefined, null, objects, booleans, NaN)', () => {
    for (const v of [undefined, null, {}, true, NaN]) expect(() => sh`x ${v as unknown as string}`).to.throw(TypeError)
  })

  it('joins only Scripts', () => {
    expect(joinScripts([code('a'), sh`b ${'c d'}`]).text).to.equal("a\nb 'c d'")
    expect(() => joinScripts(['rm -rf /' as unknown as Script])).to.throw(TypeError)
  })

  it('carries any bytes through a here-document', () => {
    const data = Buffer.from([0, 1, 2, 255, 10, 36, 40])
    const h = heredocBytes(data, 'EOD')
    const out = execFileSync('/bin/sh', ['-c', `${h.pipe}\n${h.doc.text}`])
    expect(Buffer.compare(out, data)).to.equal(0)
    expect(() => heredocBytes('x', "E'OF")).to.throw()
  })
})
