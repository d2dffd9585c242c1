// Change.needs: the run mode, not the module, decides what a missing precondition means.
import { expect } from 'chai'
import { settleNeeds } from '../../../src/engine/needs.js'
import { ModuleFailure, needing, type Change } from '../../../src/modules/types.js'

const plain: Change = { summary: 'write /etc/a', steps: [] }
const blocked = needing('cron: user app does not exist', [{ summary: 'add job x (user app does not exist yet)', steps: [] }], { user: 'app' })

describe('modules/needs: a change that needs what an earlier task would make', () => {
  it('a real run fails with the message and data, before any step', () => {
    expect(() => settleNeeds([plain, ...blocked], false))
      .to.throw(ModuleFailure, 'cron: user app does not exist')
      .with.property('data')
      .that.deep.equals({ user: 'app' })
  })
  it('check mode reports it as "may change" and keeps the others as they are', () => {
    expect(settleNeeds([plain, ...blocked], true)).to.deep.equal([plain, { summary: 'add job x (user app does not exist yet)', steps: [], uncertain: true }])
  })
  it('nothing to report: a quiet change still makes a real run fail', () => {
    const none = needing('postgres_db x: cannot connect', [])
    expect(() => settleNeeds(none, false)).to.throw(ModuleFailure, 'cannot connect')
    expect(settleNeeds(none, true).filter((c) => !c.quiet)).to.deep.equal([])
  })
  it('changes without needs pass through untouched', () => {
    expect(settleNeeds([plain], false)).to.deep.equal([plain])
  })
})
