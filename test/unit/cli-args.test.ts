// Flags as an Ansible user types them: bundled short flags, --opt=value, and a suggestion for a typo.
import { expect } from 'chai'
import { parseArgs } from '../../src/cli/args.js'

describe('cli args: flags as Ansible users type them', () => {
  it('issue 9: bundled short flags are read as getopt reads them (-CD, -bK, -Cvv, -Cl web1, -Clweb1)', () => {
    const a = parseArgs(['site.yml', '-CD', '-bK', '-Cvv'])
    expect([a.check, a.diff, a.become, a.askBecomePass, a.verbosity]).to.deep.equal([true, true, true, true, 2])
    expect(parseArgs(['site.yml', '-Cl', 'web1']).limit).to.equal('web1')
    const b = parseArgs(['site.yml', '-Clweb1'])
    expect([b.check, b.limit, b.playbooks]).to.deep.equal([true, 'web1', ['site.yml']])
    expect(parseArgs(['-vvv', 'site.yml']).verbosity).to.equal(3)
  })

  it('issue 9: --opt=value works for every flag that takes a value', () => {
    const a = parseArgs(['site.yml', '--limit=web1', '--forks=7', '--tags=nginx,redis'])
    expect([a.limit, a.forks, a.tags]).to.deep.equal(['web1', 7, ['nginx', 'redis']])
  })

  it('issue 9: an unknown flag is a usage error that suggests the nearest one, never a stack trace', () => {
    expect(() => parseArgs(['site.yml', '--chek'])).to.throw(/unknown option --chek \(did you mean --check\?\)/)
    expect(() => parseArgs(['site.yml', '--frobnicate'])).to.throw(/^unknown option --frobnicate$/)
    expect(() => parseArgs(['site.yml', '-CZ'])).to.throw(/unknown option -Z/)
  })
})
