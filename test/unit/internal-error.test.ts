import { expect } from 'chai'
import { internalErrorText } from '../../src/cli/internal-error.js'
import { currentRun } from '../../src/playbook/run-context.js'

describe('internal errors', () => {
  it('trust 22: a stack trace that quotes a secret shows it masked', () => {
    const secret = 'stack-trace-secret-9431'
    currentRun().secrets.add(secret)
    try {
      const text = internalErrorText(new TypeError(`cannot read 'x' of ${secret}`))
      expect(text).to.match(/^rm-play: internal error: TypeError: cannot read 'x' of \*+/)
      expect(text).to.not.include(secret)
      expect(internalErrorText(`thrown ${secret}`)).to.equal('rm-play: internal error: thrown ********')
    } finally {
      currentRun().secrets.delete(secret)
    }
  })
})
