// concat.ts renders plain-tag templates without MiniJinja: for every template and value it takes,
// the result must be the engine's, byte for byte; for the rest it must step aside.
import { expect } from 'chai'
import { renderConcat } from '../../src/jinja/concat.js'
import { setOutputObserver } from '../../src/jinja/environment.js'
import { ansibleLiteral } from '../../src/jinja/python.js'
import { renderWithEngine, templateString } from '../../src/jinja/render.js'

const VALUES: Record<string, unknown> = {
  s: 'text',
  empty: '',
  nl: 'ends\n',
  nl2: 'two\n\n',
  lead: '\nlead',
  markers: '{{ not rendered }} {% neither %}',
  unicode: 'žluť 🐴',
  quote: `it's "q"`,
  brace: '{"a": 1}',
  list_like: '[1, 2]',
  truthy: 'True',
  zero: 0,
  int: 42,
  neg: -7,
  big: 2 ** 53 - 1,
  d: { k: 'v', n: 8080, inner: { deep: 'x' }, items: 'key named items' },
}

const TEMPLATES = [
  '{{ s }}',
  '{{s}}',
  'a {{ s }} b',
  '{{ s }}{{ empty }}{{ s }}',
  '{{ nl }}',
  '{{ nl }}\n',
  '{{ nl2 }}\n',
  'x\n{{ nl }}\n\n',
  '{{ lead }}',
  '{{ markers }}',
  '{{ unicode }} / {{ quote }}',
  '{{ brace }}',
  '{{ list_like }}',
  'x{{ list_like }}',
  '{{ truthy }}',
  'setting = {{ int }}\n',
  '{{ zero }}',
  '{{ neg }}..{{ big }}',
  '{{ int }}',
  '{{ d.k }}:{{ d.n }}',
  '/srv/{{ d.inner.deep }}/\n',
  'only text\n',
  '\n',
]

const vars = () => structuredClone(VALUES)

/** Both renders of a template: concat.ts's (undefined when it steps aside) and the engine's. */
function both(t: string, v: Record<string, unknown> = vars()): { concat: string | undefined; engine: string } {
  return { concat: renderConcat(t, v), engine: renderWithEngine(t, { vars: v }, true) }
}

describe('jinja concat: plain tags without the engine', () => {
  for (const t of TEMPLATES) {
    it(`renders ${JSON.stringify(t)} as the engine does`, () => {
      const r = both(t)
      if (t.includes('{{')) expect(r.concat, 'concat.ts should take this one').to.be.a('string')
      if (r.concat !== undefined) expect(r.concat).to.equal(r.engine)
    })
  }

  it("gives templateString the engine's results, literal_eval and restored newlines included", () => {
    const trailing = (s: string) => s.length - s.replace(/\n+$/, '').length
    for (const t of TEMPLATES) {
      const engine = renderWithEngine(t, { vars: vars() }, true)
      // a lone `{{ name }}` of a number keeps its type (render.ts, before any render)
      const single = /^\{\{\s*(\w+)\s*\}\}$/.exec(t)
      const native = single && typeof VALUES[single[1]!] === 'number'
      const expected = native ? VALUES[single[1]!] : ansibleLiteral(engine + '\n'.repeat(Math.max(0, trailing(t) - trailing(engine))))
      expect(templateString(t, { vars: vars() }), t).to.deep.equal(expected)
    }
  })

  const ASIDE: [string, Record<string, unknown>][] = [
    ['{{ f }}', { f: 1.5 }],
    ['{{ b }}', { b: true }],
    ['{{ n }}', { n: null }],
    ['{{ l }}', { l: [1] }],
    ['{{ m }}', { m: { a: 1 } }],
    ['{{ huge }}', { huge: 2 ** 60 }],
    ['{{ negzero }}', { negzero: -0 }],
    ['{{ missing }}', {}],
    ['{{ d.missing }}', { d: {} }],
    ['{{ d.items }}', { d: { items: 'x' } }],
    ['{{ d.k }}', { d: new Map([['k', 'v']]) }],
    ['{{ s.upper }}', { s: 'x' }],
    ['{{ s | upper }}', { s: 'x' }],
    ['{{ s ~ s }}', { s: 'x' }],
    ['{{- s }}', { s: 'x' }],
    ['{{ s -}}', { s: 'x' }],
    ['{% if s %}{{ s }}{% endif %}', { s: 'x' }],
    ['{# c #}{{ s }}', { s: 'x' }],
    ['{"k": "{{ s }}"}', { s: 'x' }],
    ['a\r\n{{ s }}', { s: 'x' }],
    ['{{ true }}', { true: 'shadow' }],
    ['{{ none }}', { none: 'shadow' }],
    ['{{ d.__class__ }}', { d: { __class__: 'x' } }],
    ['no tags', {}],
  ]
  for (const [t, v] of ASIDE) {
    it(`leaves ${JSON.stringify(t)} with ${JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? 'Map' : x))} to the engine`, () => {
      expect(renderConcat(t, v)).to.equal(undefined)
    })
  }

  it('shows each printed value to the output observer, as the engine does', () => {
    const seen: [string, unknown][] = []
    const taintTracking = setOutputObserver((tag, value) => seen.push([tag, value]))
    try {
      renderConcat('{{ s }}-{{ d.n }}', vars())
      const fast = [...seen]
      seen.length = 0
      renderWithEngine('{{ s }}-{{ d.n }}', { vars: vars() }, true)
      expect(fast).to.deep.equal([
        ['s', 'text'],
        ['d.n', 8080],
      ])
      expect(fast).to.deep.equal(seen)
    } finally {
      setOutputObserver(taintTracking)
    }
  })
})
