import { expect } from 'chai'
import { tagSelected } from '../../src/engine/tags.js'

describe('tag selection (Ansible rules)', () => {
  const cases: [string[], string[], string[], boolean][] = [
    [[], [], [], true],
    [['nginx'], ['nginx'], [], true],
    [['redis'], ['nginx'], [], false],
    [[], ['nginx'], [], false],
    [['always'], ['nginx'], [], true],
    [['always'], [], ['always'], false],
    [['never'], [], [], false],
    [['never', 'debug'], ['debug'], [], true],
    [['never'], ['never'], [], true],
    [['nginx'], [], ['nginx'], false],
    [['nginx'], ['tagged'], [], true],
    [[], ['untagged'], [], true],
    [['x'], ['untagged'], [], false],
    [['x'], ['all'], [], true],
    [['x'], [], ['tagged'], false],
  ]
  for (const [tags, only, skip, want] of cases) {
    it(`tags [${tags}] --tags [${only}] --skip-tags [${skip}] → ${want}`, () => expect(tagSelected(tags, only, skip)).to.equal(want))
  }
})
