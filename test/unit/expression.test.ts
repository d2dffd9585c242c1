import { expect } from 'chai'
import {
  compile,
  evaluate,
  evaluateCondition,
  notFound,
  renderString,
  renderValue,
  UndefinedVariableError,
  ExpressionError,
  OMIT,
} from '../../src/playbook/expression.js'
import { VarScope } from '../../src/playbook/vars.js'

const vars: Record<string, unknown> = {
  a: 1,
  name: 'Web',
  list: [1, 2, 3],
  r: { changed: true, rc: 0, failed: false },
  users: [
    { name: 'x', on: true },
    { name: 'y', on: false },
  ],
  d: { k: 'v' },
  empty: '',
}
const src = { lookup: (k: string) => (k in vars ? vars[k] : notFound) }
const ev = (e: string) => evaluate(e, src)

describe('expressions: Jinja2 as Ansible evaluates it', () => {
  const cases: [string, unknown][] = [
    ['a + 1', '2'],
    ['name | lower', 'web'],
    ["missing | default('dflt')", 'dflt'],
    ['missing.deep | default(5)', '5'],
    ["name | default('x') | upper", 'WEB'],
    ["empty | default('e', true)", 'e'],
    ['a == 1 and not (a > 2)', true],
    ['a == 2 or False', false],
    ['2 in list', true],
    ['4 not in list', true],
    ["'k' in d", true],
    ["'eb' in name", true],
    ['missing is defined', false],
    ['missing is not defined', true],
    ['r is changed', true],
    ['r is succeeded', true],
    ['r is failed', false],
    ["users | selectattr('on') | map(attribute='name') | list", ['x']],
    ["users | map(attribute='name') | join(',')", 'x,y'],
    ["'yes' if a == 1 else 'no'", 'yes'],
    ['list | length > 2', true],
    ['[1, 2] | union([3])', [1, 2, 3]],
    ["{'a': None, 'none': 1}", { a: null, none: 1 }],
    ["'yes' if a > 0 else 'no'", 'yes'],
    ["'12.1' is version('12', '>=')", true],
    ["'3' | int + 1", '4'],
    ['(a | string) + "x"', '1x'],
    ["d['k']", 'v'],
    ["{'b': 2} | combine({'c': 3})", { b: 2, c: 3 }],
    ['d | dict2items', [{ key: 'k', value: 'v' }]],
    ["'a,b' | split(',') | last", 'b'],
    ["'x' | regex_replace('x', 'y')", 'y'],
    ['list | sum', '6'],
    ['list | max', '3'],
    ["'v' ~ a ~ 'x'", 'v1x'],
    ['-a', '-1'],
    ["missing | default('yes' if a == 1 else 'no')", 'yes'],
    ["'a' if a == 2 else 'b' if a == 1 else 'c'", 'b'],
  ]
  for (const [e, want] of cases) it(`${e} → ${JSON.stringify(want)}`, () => expect(ev(e)).to.deep.equal(want))

  it('an undefined variable is an error that names it', () => {
    expect(() => ev('nope + 1'))
      .to.throw(UndefinedVariableError)
      .with.property('variable', 'nope')
    expect(() => ev('r.rc == nope')).to.throw(/undefined variable 'nope'/)
  })
  it('an unknown filter, test or lookup is an error', () => {
    expect(() => ev('a | frobnicate')).to.throw(ExpressionError, /frobnicate/)
    expect(() => ev('a is frob')).to.throw(ExpressionError, /frob/)
    expect(() => compile('a | frobnicate')).to.throw(ExpressionError, /no filter named 'frobnicate'/)
    expect(() => compile('a is frob')).to.throw(ExpressionError, /no test named 'frob'/)
    expect(() => compile("lookup('nosuch', 'x')")).to.throw(ExpressionError, /lookup plugin \(nosuch\) not found/)
    expect(() => compile("a | ansible.builtin.to_json is ansible.builtin.string and lookup('env', 'HOME') | d(1)")).not.to.throw()
  })
  it('expressions cannot assign', () => {
    expect(() => ev('a = 3')).to.throw(ExpressionError)
  })
})

describe('rendering strings', () => {
  it('a whole-string expression keeps its type', () => {
    expect(renderString('{{ list }}', src)).to.deep.equal([1, 2, 3])
    expect(renderString('{{ a }}', src)).to.equal(1)
  })
  it("mixed text is a string; lists and dicts print as Python's str()", () => {
    expect(renderString('x {{ a }} y {{ list }} {{ d }}', src)).to.equal("x 1 y [1, 2, 3] {'k': 'v'}")
  })
  it('undefined attribute is an error naming the expression', () => {
    expect(() => renderString('{{ r.nope }}', src)).to.throw(/undefined variable 'r.nope'/)
  })
  it('omit removes a key; templated keys are rendered', () => {
    const v = renderValue({ keep: '{{ a }}', drop: '{{ omit }}', '{{ name }}': 1 }, { lookup: (k) => (k === 'omit' ? OMIT : src.lookup(k)) })
    expect(v).to.deep.equal({ keep: 1, Web: 1 })
  })
  it('Jinja statements work in YAML values', () => {
    expect(renderString('{% if a %}x{% endif %}{% for i in list %}{{ i }}{% endfor %}', src)).to.equal('x123')
  })
})

describe('conditions', () => {
  it('bare, braced, boolean and string forms', () => {
    expect(evaluateCondition('a == 1', src)).to.equal(true)
    expect(evaluateCondition('{{ a == 2 }}', src)).to.equal(false)
    expect(evaluateCondition(true, src)).to.equal(true)
    expect(evaluateCondition('list', src)).to.equal(true)
    expect(evaluateCondition('empty', src)).to.equal(false)
  })
})

describe('variables that are templates', () => {
  it('a variable rendered inside a guard still fails on its own undefined names', () => {
    const scope = new VarScope([{ name: 'v', values: { x: '{{ nowhere }}', y: '{{ nowhere | default(7) }}' } }])
    expect(evaluate("x | default('d')", scope)).to.equal('d')
    expect(evaluate('x is defined', scope)).to.equal(false)
    expect(evaluate("y | default('d')", scope)).to.equal('7')
    expect(() => evaluate('x', scope)).to.throw(UndefinedVariableError, "'nowhere'")
    expect(evaluate('missing.deep | default(5)', scope)).to.equal('5')
  })
})
