import { expect } from 'chai'
import { VarScope, markUnknown } from '../../src/playbook/vars.js'
import { PRECEDENCE } from '../../src/playbook/vars.js'

describe('variables', () => {
  it('later layers win, and values render lazily against the whole scope', () => {
    const s = new VarScope([
      { name: 'defaults', values: { port: 80, url: 'http://{{ host }}:{{ port }}' } },
      { name: 'host', values: { host: 'web1', port: 8080 } },
    ])
    expect(s.lookup('url')).to.equal('http://web1:8080')
  })
  it('data layers are never rendered again', () => {
    const s = new VarScope([{ name: 'register', values: { out: '{{ secret }}' }, data: true }])
    expect(s.lookup('out')).to.equal('{{ secret }}')
  })
  it('a variable that refers to itself is an error, not a hang', () => {
    const s = new VarScope([{ name: 'v', values: { a: '{{ b }}', b: '{{ a }}' } }])
    expect(() => s.lookup('a')).to.throw(/refers to itself/)
  })
  it('records reads of values check mode could not produce', () => {
    const s = new VarScope([{ name: 'register', values: { r: markUnknown({ rc: 0 }) }, data: true }])
    s.lookup('r')
    expect([...s.touchedUnknown]).to.deep.equal(['r'])
  })
  it('documents its precedence from role defaults to extra vars', () => {
    expect(PRECEDENCE[0]).to.match(/role defaults/)
    expect(PRECEDENCE[PRECEDENCE.length - 1]).to.match(/extra vars/)
  })
})
