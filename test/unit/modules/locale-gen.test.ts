// locale_gen: availability, presence and the /etc/locale.gen edit follow community.general's module.
import { expect } from 'chai'
import { settleNeeds } from '../../../src/engine/needs.js'
import { fixCase, isAvailable, localeGen, setLocale } from '../../../src/modules/locale-gen.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { ProbeContext } from '../../../src/modules/types.js'
import { parseLocales, type LocaleState } from '../../../src/probes/locales.js'
import { fakePath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const GEN = '# de_CH ISO-8859-1\n# en_US ISO-8859-1\n# en_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\n'

function plan(a: Record<string, unknown>, locales: LocaleState): string[] {
  const args = checkArgs(localeGen.args, a, false).args as never
  return settleNeeds(localeGen.plan(args, { locales, file: fakePath('/etc/locale.gen', { content: GEN }) }, ctx), ctx.check).map((c) => c.summary)
}

describe('locale_gen', () => {
  it('reads the probe: the mode, what can be made, what is there', () => {
    expect(parseLocales('@@mode\ndebian\n@@installed\nC\nC.utf8\n@@available\n# en_US.UTF-8 UTF-8\n')).to.deep.equal({
      mode: 'debian',
      installed: ['C', 'C.utf8'],
      available: '# en_US.UTF-8 UTF-8\n',
    })
    expect(parseLocales('@@mode\nnone\n@@installed\n@@available\n').mode).to.equal('none')
  })

  it('available: a line of /etc/locale.gen, commented out or not; Ubuntu: SUPPORTED, as it is', () => {
    expect(isAvailable(GEN, 'en_US.UTF-8', false)).to.equal(true)
    expect(isAvailable(GEN, 'en_US', false)).to.equal(true)
    expect(isAvailable(GEN, 'en_GB.UTF-8', false)).to.equal(false)
    expect(isAvailable('# en_US.UTF-8 UTF-8\n', 'en_US.UTF-8', true)).to.equal(false)
  })

  it("the edit enables or comments out the locale's own line only", () => {
    expect(setLocale(GEN, 'en_US.UTF-8', true)).to.equal('# de_CH ISO-8859-1\n# en_US ISO-8859-1\nen_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\n')
    expect(setLocale(GEN, 'fr_FR.UTF-8', false)).to.equal('# de_CH ISO-8859-1\n# en_US ISO-8859-1\n# en_US.UTF-8 UTF-8\n# fr_FR.UTF-8 UTF-8\n')
    expect(fixCase('en_US.utf8')).to.equal('en_US.UTF-8')
  })

  it('plans: edit and locale-gen, locale-gen alone, nothing, a failure, a missing package', () => {
    const debian = (installed: string[]): LocaleState => ({ mode: 'debian', available: GEN, installed })
    expect(plan({ name: 'en_US.UTF-8' }, debian(['C']))).to.deep.equal(['edit /etc/locale.gen', 'generate locale en_US.UTF-8 (locale-gen)'])
    expect(plan({ name: 'fr_FR.UTF-8' }, debian(['C']))).to.deep.equal(['generate locale fr_FR.UTF-8 (locale-gen)'])
    expect(plan({ name: 'fr_FR.UTF-8' }, debian(['C', 'fr_FR.utf8']))).to.deep.equal([])
    expect(plan({ name: 'en_US.UTF-8', state: 'absent' }, debian(['C']))).to.deep.equal([])
    expect(() => plan({ name: 'xx_YY.UTF-8' }, debian([]))).to.throw("The locale you've entered is not available on your system.")
    expect(() => plan({ name: 'en_US.UTF-8' }, { mode: 'none', available: '', installed: [] })).to.throw(/Is the package "locales" installed\?/)
  })
})
