// The readers probe parsers share: `@@name` sections and `key=value` lines.
import { expect } from 'chai'
import { keyValues, pairs, sections } from '../../../src/probes/output.js'

describe('probes/output', () => {
  it('splits at @@name lines, keeping each part verbatim; text before the first marker is under ""', () => {
    const s = sections('installed=1\n@@status\nweb RUNNING pid 7\n\n@@file\npresent\naGk=\n@@end\n')
    expect([...s.keys()]).to.deep.equal(['', 'status', 'file', 'end'])
    expect(s.get('')).to.equal('installed=1\n')
    expect(s.get('status')).to.equal('web RUNNING pid 7\n\n')
    expect(s.get('file')).to.equal('present\naGk=\n')
    expect(s.get('end')).to.equal('')
  })
  it('names may hold dots; a marker must fill its line; a repeated name keeps its first part', () => {
    const s = sections('@@user6.rules\n### tuple ### allow\nsee @@x here\n@@a\n1\n@@a\n2')
    expect(s.get('user6.rules')).to.equal('### tuple ### allow\nsee @@x here\n')
    expect(s.get('a')).to.equal('1\n')
    expect(s.has('x')).to.equal(false)
    expect(sections('no markers')).to.deep.equal(new Map([['', 'no markers']]))
    expect(sections('@@last')).to.deep.equal(
      new Map([
        ['', ''],
        ['last', ''],
      ]),
    )
  })
  it('key=value lines split at the first separator; lines without one are skipped', () => {
    expect(pairs('a=1\nnoise\nb=x=y\na=2\n=empty key\n')).to.deep.equal([
      ['a', '1'],
      ['b', 'x=y'],
      ['a', '2'],
      ['', 'empty key'],
    ])
    expect(keyValues('a=1\nb=\na=2')).to.deep.equal({ a: '2', b: '' })
    expect(keyValues('Package: jq\nVersion: 1.6-2\nnot a field', ': ')).to.deep.equal({ Package: 'jq', Version: '1.6-2' })
  })
})
