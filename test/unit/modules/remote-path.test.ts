import { expect } from 'chai'
import { childPath, dirsBetween, parentDir } from '../../../src/shell/remote-path.js'

describe('modules/remote-path', () => {
  it('parentDir: the root is its own parent; a bare name is in .', () => {
    expect(['/', '/x', '/x/', '/a/b', '/a/b//', 'x', 'a/b'].map(parentDir)).to.deep.equal(['/', '/', '/', '/a', '/a', '.', 'a'])
  })

  it('childPath: no doubled slash, nothing added to a bare name', () => {
    expect([childPath('/', 'x'), childPath('/a/', 'x'), childPath('/a//', 'x'), childPath('/a', 'x'), childPath('.', 'x')]).to.deep.equal([
      '/x',
      '/a/x',
      '/a/x',
      '/a/x',
      'x',
    ])
  })

  it('dirsBetween: the directories to make, outermost first', () => {
    expect(dirsBetween('/', '/a/b')).to.deep.equal(['/a', '/a/b'])
    expect(dirsBetween('/srv', '/srv/a/b/')).to.deep.equal(['/srv/a', '/srv/a/b'])
    expect(dirsBetween('.', 'a/b')).to.deep.equal(['a', 'a/b'])
    expect(dirsBetween('/srv/a', '/srv/a')).to.deep.equal([])
  })
})
