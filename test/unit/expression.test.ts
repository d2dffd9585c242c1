import { expect } from 'chai'
import { evaluate, evaluateCondition, expressionCounters, notFound, renderString, renderValue, UndefinedVariableError, ExpressionError, OMIT } from '../../src/playbook/expression.js'
import { VarScope } from '../../src/playbook/vars.js'

const vars: Record<string, unknown> = { a: 1, name: 'Web', list: [1, 2, 3], r: { changed: true, rc: 0, failed: false }, users: [{ name: 'x', on: true }, { name: 'y', on: false }], d: { k: 'v' }, empty: '' }
const src = { lookup: (k: string) => (k in vars ? vars[k] : notFound) }
const ev = (e: string) => evaluate(e, src)

describe('expressions: JavaScript with the Jinja forms', () => {
  const cases: [string, unknown][] = [
    ['a + 1', 2],
    ["name | lower", 'web'],
    ["missing | default('dflt')", 'dflt'],
    ['missing.deep | default(5)', 5],
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
    ["missing ?? 'q'", 'q'],
    ['typeof missing', 'undefined'],
    ["'yes' if a == 1 else 'no'", 'yes'],
    ['list | length > 2', true],
    ['[1, 2] | union([3])', [1, 2, 3]],
    ['{a: None, none: 1}', { a: null, none: 1 }],
    ["a > 0 ? 'yes' : 'no'", 'yes'],
    ["'12.1' is version('12', '>=')", true],
    ["'3' | int + 1", 4],
    ['(a | string) + "x"', '1x'],
    ["d['k']", 'v'],
    ["{'b': 2} | combine({'c': 3})", { b: 2, c: 3 }],
    ["d | dict2items", [{ key: 'k', value: 'v' }]],
    ["'a,b' | split(',') | last", 'b'],
    ["'x' | regex_replace('x', 'y')", 'y'],
    ['list | sum', 6],
    ['Math.max(...list)', 3],
    ["'v' ~ a ~ 'x'", 'v1x'],
    ['~a', -2],
    ["missing | default('yes' if a == 1 else 'no')", 'yes'],
    ["'a' if a == 2 else 'b' if a == 1 else 'c'", 'b'],
  ]
  for (const [e, want] of cases) it(`${e} → ${JSON.stringify(want)}`, () => expect(ev(e)).to.deep.equal(want))

  it('an undefined variable is an error that names it', () => {
    expect(() => ev('nope + 1')).to.throw(UndefinedVariableError).with.property('variable', 'nope')
    expect(() => ev('r.rc == nope')).to.throw(/undefined variable 'nope'/)
  })
  it('an unknown filter or test is a syntax error', () => {
    expect(() => ev('a | frobnicate')).to.throw(ExpressionError, /unknown filter 'frobnicate'/)
    expect(() => ev('a is frob')).to.throw(ExpressionError, /unknown test 'frob'/)
  })
  it('expressions cannot assign', () => {
    expect(() => ev('a = 3')).to.throw(/cannot assign/)
  })
})

describe('rendering strings', () => {
  it('a whole-string expression keeps its type', () => {
    expect(renderString('{{ list }}', src)).to.deep.equal([1, 2, 3])
    expect(renderString('{{ a }}', src)).to.equal(1)
  })
  it('mixed text is a string; objects become JSON', () => {
    expect(renderString('x {{ a }} y {{ list }}', src)).to.equal('x 1 y [1,2,3]')
  })
  it('undefined attribute is an error naming the expression', () => {
    expect(() => renderString('{{ r.nope }}', src)).to.throw(/'r.nope' is undefined/)
  })
  it('omit removes a key; templated keys are rendered', () => {
    const v = renderValue({ keep: '{{ a }}', drop: '{{ omit }}', '{{ name }}': 1 }, { lookup: (k) => (k === 'omit' ? OMIT : src.lookup(k)) })
    expect(v).to.deep.equal({ keep: 1, Web: 1 })
  })
  it('Jinja statements are refused with a hint', () => {
    expect(() => renderString('{% if a %}x{% endif %}', src)).to.throw(/not supported/)
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

describe('one scope proxy per scope', () => {
  it('expressions on the same scope share one proxy', () => {
    const scope = new VarScope([{ name: 'v', values: { a: 1, b: '{{ a + 1 }}' } }])
    const before = expressionCounters.scopeProxies
    expect(evaluate('a', scope)).to.equal(1)
    expect(evaluate('b * 10', scope)).to.equal(20)
    expect(evaluate("missing | default('d')", scope)).to.equal('d')
    expect(expressionCounters.scopeProxies - before).to.equal(1)
  })
  it('a variable rendered inside a guard still fails on its own undefined names', () => {
    const scope = new VarScope([{ name: 'v', values: { x: '{{ nowhere }}', y: '{{ nowhere | default(7) }}' } }])
    expect(evaluate("x | default('d')", scope)).to.equal('d')
    expect(evaluate('x is defined', scope)).to.equal(false)
    expect(evaluate("(x ?? 'q')", scope)).to.equal('q')
    expect(evaluate("y | default('d')", scope)).to.equal(7)
    expect(() => evaluate('x', scope)).to.throw(UndefinedVariableError, "'nowhere'")
    expect(evaluate('missing.deep | default(5)', scope)).to.equal(5)
  })
})
