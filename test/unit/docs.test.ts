// docs/modules.md is generated from the modules' own doc comments and schemas: it must match.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { catalogueMarkdown } from '../../src/cli/doc.js'
import { allModules } from '../../src/modules/index.js'

describe('module documentation', () => {
  it('docs/modules.md is up to date (npm run docs regenerates it)', () => {
    expect(readFileSync('docs/modules.md', 'utf8')).to.equal(catalogueMarkdown() + '\n')
  })
  it('every module has a doc comment with an example and every argument a description', () => {
    for (const m of allModules()) {
      const section = catalogueMarkdown().split(`\n## ${m.name}\n`)[1]!.split('\n## ')[0]!
      expect(section, m.name).to.match(/- \w+:/)
      for (const [k, spec] of Object.entries(m.args.options)) expect(spec.doc, `${m.name}.${k}`).to.have.length.greaterThan(3)
    }
  })
})
