// Seeded `random`/`shuffle` and `json_query` against ansible-core 2.14 (+ community.general):
// the answers recorded in jinja-random-query-answers.json, re-checked live when Ansible is
// installed; and the Mersenne Twister against python3's random module over many seeds.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PyRandom } from '../../src/jinja/python-random.js'
import { ansibleAvailable } from './jinja-ansible.js'
import { differences, recorded, staleAnswers } from './jinja-recorded.js'
import { QUERY_CASES, RANDOM_CASES, RQ_VARS } from './jinja-random-query-cases.js'

const ANSWERS = fileURLToPath(new URL('../../../test/unit/jinja-random-query-answers.json', import.meta.url))
const ENV = { RMP_JINJA_CONFORMANCE: 'from-the-controller' }
const CASES = [...RANDOM_CASES, ...QUERY_CASES]

/** Where rm-play knowingly differs (README, "Intended differences"). */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'jq-avg': "a float with an integral value leaves a filter as an int (MiniJinja's JS boundary): Python's 3.0 prints as 3",
  'jq-avg-in-text': 'the same integral float, inside text',
  'jq-compare-strings': "Python refuses to order a str and an int (TypeError); JavaScript's jmespath compares them",
  'jq-compare-null': "ordering null: Python's jmespath gives null, JavaScript's false (alike in a [?filter])",
}

describe('random(seed=), shuffle(seed=) and json_query as ansible-core 2.14 answers them', function () {
  before(() => Object.assign(process.env, ENV))

  it('every case has a recorded Ansible answer', function () {
    const answers = recorded(ANSWERS)
    expect(CASES.filter((c) => !(c.name in answers)).map((c) => c.name)).to.deep.equal([])
  })

  it(`gives Ansible's answer for the ${RANDOM_CASES.length} random/shuffle cases`, function () {
    const diffs = differences(RANDOM_CASES, RQ_VARS, recorded(ANSWERS), KNOWN_DIFFERENCES)
    expect(diffs, diffs.join('\n')).to.deep.equal([])
  })

  it(`gives Ansible's answer for the ${QUERY_CASES.length} json_query cases`, function () {
    const diffs = differences(QUERY_CASES, RQ_VARS, recorded(ANSWERS), KNOWN_DIFFERENCES)
    expect(diffs, diffs.join('\n')).to.deep.equal([])
  })

  it('still differs on each known difference (a fixed one must leave the list)', function () {
    const answers = recorded(ANSWERS)
    for (const name of Object.keys(KNOWN_DIFFERENCES)) {
      const c = CASES.find((x) => x.name === name)!
      expect(differences([c], RQ_VARS, answers), name).to.have.length(1)
    }
  })

  it('the recorded answers are what ansible-playbook says today', function () {
    if (!ansibleAvailable()) return this.skip()
    this.timeout(300_000)
    const stale = staleAnswers(CASES, RQ_VARS, ANSWERS, ENV)
    expect(stale, stale.join('\n')).to.deep.equal([])
  })

  it("draws python3's random.Random(seed) values for int, str and huge seeds (getrandbits, randbelow)", function () {
    const seeds: (number | string)[] = [0, 1, -1, 42, 2 ** 32, 2 ** 53 - 1, -123456789, '', 'x', 'web1.example.com', 'héllo ✓', 'a'.repeat(300)]
    const bounds = [1, 2, 3, 7, 60, 100, 1000, 2 ** 31, 2 ** 32 + 1, 10 ** 15]
    const script = `
import json, random, sys
out = []
for s in json.load(sys.stdin):
    r = random.Random(s)
    out.append([r.getrandbits(k) for k in (1, 31, 32, 33, 64, 100)] + [r._randbelow(n) for n in ${JSON.stringify(bounds)}])
print(json.dumps([[str(v) for v in row] for row in out]))`
    const py = spawnSync('python3', ['-c', script], { input: JSON.stringify(seeds), encoding: 'utf8' })
    if (py.error) return this.skip()
    expect(py.status, py.stderr).to.equal(0)
    const ours = seeds.map((s) => {
      const r = new PyRandom(s)
      return [...[1, 31, 32, 33, 64, 100].map((k) => String(r.getrandbits(k))), ...bounds.map((n) => String(r.randbelow(n)))]
    })
    expect(ours).to.deep.equal(JSON.parse(py.stdout))
  })
})
