// src/jinja against ansible-core 2.14: every case of jinja-cases.ts must give Ansible's answer,
// as recorded in jinja-ansible-answers.json; when ansible-playbook is installed, the recording is
// checked against a live run too. A difference fails unless KNOWN_DIFFERENCES (docs/jinja.md) lists it.
import { expect } from 'chai'
import { fileURLToPath } from 'node:url'
import { ansibleAvailable, type AnsibleAnswer, type JinjaCase } from './jinja-ansible.js'
import { comparable, differences, ours as oursFor, recorded as recordedIn, staleAnswers } from './jinja-recorded.js'
import { CASES, VARS } from './jinja-cases.js'
import { evaluateCondition as rmEvaluateCondition, notFound, renderString } from '../../src/playbook/expression.js'

// The recording lives beside the source (dist/ holds only compiled code).
const ANSWERS = fileURLToPath(new URL('../../../test/unit/jinja-ansible-answers.json', import.meta.url))
const ENV_NAME = 'RMP_JINJA_CONFORMANCE'
const ENV_VALUE = 'from-the-controller'

/** Cases where rm-play deliberately or knowingly differs; each reason is in docs/jinja.md. */
export const KNOWN_DIFFERENCES: Record<string, string> = {
  splitext: 'Python returns a tuple, whose str() is not literal_eval-ed back; rm-play returns a list',
}

const ours = (c: JinjaCase) => oursFor(c, VARS)
const recorded = () => recordedIn(ANSWERS)

describe('jinja conformance: src/jinja renders as ansible-core 2.14 does', function () {
  before(() => {
    process.env[ENV_NAME] = ENV_VALUE
  })

  it(`has at least 80 cases, each with a recorded Ansible answer`, function () {
    expect(CASES.length).to.be.at.least(80)
    const answers = recorded()
    expect(CASES.filter((c) => !(c.name in answers)).map((c) => c.name)).to.deep.equal([])
  })

  it('gives the recorded Ansible answer for every case not listed as a known difference', function () {
    const diffs = differences(CASES, VARS, recorded(), KNOWN_DIFFERENCES)
    expect(diffs, diffs.join('\n')).to.deep.equal([])
  })

  it("the issue's table, through rm-play's expression layer (expression.ts, as tasks use it), gives Ansible's answers", function () {
    const answers = recorded()
    const scope = { lookup: (k: string) => (Object.prototype.hasOwnProperty.call(VARS, k) ? VARS[k] : notFound) }
    const table = [
      'floordiv',
      'not-empty-list',
      'when-not-list',
      'when-not-dict',
      'list-eq',
      'list-plus',
      'str-times',
      'percent-format',
      'startswith',
      'range',
      'lookup-env',
      'neg-index',
      'slice',
      'items',
      'get-default',
      'get',
      'item-dot-0',
      'str-plus-int-errors',
      'str-eq-int',
    ]
    const layer = (c: JinjaCase): AnsibleAnswer => {
      try {
        return { value: c.when !== undefined ? rmEvaluateCondition(c.when, scope) : renderString(c.template!, scope) }
      } catch (e) {
        return { error: (e as Error).message }
      }
    }
    const diffs: string[] = []
    for (const name of table) {
      const c = CASES.find((x) => x.name === name)
      expect(c, name).to.not.equal(undefined)
      if (JSON.stringify(comparable(layer(c!))) !== JSON.stringify(comparable(answers[name])))
        diffs.push(`${name}: ansible ${JSON.stringify(answers[name])}, rm-play ${JSON.stringify(layer(c!))}`)
    }
    expect(diffs, diffs.join('\n')).to.deep.equal([])
  })

  it('still differs on each known difference (a fixed one must leave the list)', function () {
    const answers = recorded()
    for (const name of Object.keys(KNOWN_DIFFERENCES)) {
      const c = CASES.find((x) => x.name === name)!
      expect(JSON.stringify(comparable(ours(c))), name).to.not.equal(JSON.stringify(comparable(answers[name])))
    }
  })

  it('the recorded answers are what ansible-playbook says today (one batched run)', function () {
    if (!ansibleAvailable()) return this.skip()
    this.timeout(300_000)
    const stale = staleAnswers(CASES, VARS, ANSWERS, { [ENV_NAME]: ENV_VALUE })
    expect(stale, stale.join('\n')).to.deep.equal([])
  })
})
