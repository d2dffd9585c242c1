// src/jinja against ansible-core 2.14: every case of jinja-cases.ts must give Ansible's answer,
// as recorded in jinja-ansible-answers.json; when ansible-playbook is installed, the recording is
// checked against a live run too. A difference fails unless KNOWN_DIFFERENCES (docs/jinja.md) lists it.
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { evaluateCondition, renderTemplateFile, templateString } from '../../src/jinja/index.js'
import { ansibleAvailable, runThroughAnsible, type AnsibleAnswer, type JinjaCase } from './jinja-ansible.js'
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

function ours(c: JinjaCase): AnsibleAnswer {
  try {
    if (c.when !== undefined) return { value: evaluateCondition(c.when, { vars: VARS }) }
    if (c.file !== undefined) return { value: renderTemplateFile(c.file, { vars: VARS }) }
    return { value: templateString(c.template!, { vars: VARS }) }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

/** Errors agree when both sides fail; their wording is rm-play's own. */
const comparable = (a: AnsibleAnswer) => ('error' in a ? { error: true } : a)

function recorded(): Record<string, AnsibleAnswer> {
  return JSON.parse(readFileSync(ANSWERS, 'utf8'))
}

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
    const answers = recorded()
    const diffs: string[] = []
    for (const c of CASES) {
      if (c.name in KNOWN_DIFFERENCES) continue
      const mine = comparable(ours(c))
      const theirs = comparable(answers[c.name])
      if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
        diffs.push(
          `${c.name}: ${c.template ?? c.when ?? JSON.stringify(c.file)}\n    ansible: ${JSON.stringify(answers[c.name])}\n    rm-play: ${JSON.stringify(ours(c))}`,
        )
      }
    }
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
    const live = Object.fromEntries(runThroughAnsible(CASES, VARS, { [ENV_NAME]: ENV_VALUE }))
    if (process.env.RMP_RECORD_ANSIBLE === '1') writeFileSync(ANSWERS, JSON.stringify(live, null, 1) + '\n')
    const rec = recorded()
    const stale = CASES.filter((c) => JSON.stringify(comparable(live[c.name])) !== JSON.stringify(comparable(rec[c.name]))).map(
      (c) => `${c.name}: recorded ${JSON.stringify(rec[c.name])}, live ${JSON.stringify(live[c.name])}`,
    )
    expect(stale, stale.join('\n')).to.deep.equal([])
  })
})
