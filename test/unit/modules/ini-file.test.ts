// ini_file: the edit is pure (text in, text out) and follows Ansible's do_ini line for line; the
// expected texts and messages below were produced by community.general's own do_ini (Ansible 7).
import { expect } from 'chai'
import { settleNeeds } from '../../../src/engine/needs.js'
import { editIni, iniFile, type IniArgs } from '../../../src/modules/ini-file.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { ProbeContext, PutStep } from '../../../src/modules/types.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

// [name, args, before, after (Ansible's), msg (Ansible's)]
type Case = [string, Record<string, unknown>, string, string, string]
const CASES: Case[] = [
  ['rewrites the option in its section, with spaces around =', { section: 's', option: 'x', value: '5' }, '[s]\nx=1\n', '[s]\nx = 5\n', 'option changed'],
  ['a present value: nothing', { section: 's', option: 'x', value: '1' }, '[s]\nx = 1\n', '[s]\nx = 1\n', 'OK'],
  ['a present value written without spaces is respaced', { section: 's', option: 'x', value: '1' }, '[s]\nx=1\n', '[s]\nx = 1\n', 'option changed'],
  ['no_extra_spaces', { section: 's', option: 'x', value: '1', no_extra_spaces: true }, '[s]\nx = 1\n', '[s]\nx=1\n', 'option changed'],
  [
    'a new option goes after the last non-blank, non-comment line of the section',
    { section: 's', option: 'w', value: '2' },
    '# top\nk = v\n\n[s]\nx = 1\n;y = 2\n\n[t]\nz=3\n',
    '# top\nk = v\n\n[s]\nx = 1\nw = 2\n;y = 2\n\n[t]\nz=3\n',
    'option added',
  ],
  ['a commented-out option is uncommented', { section: 's', option: 'y', value: '3' }, '[s]\nx = 1\n;y = 2\n', '[s]\nx = 1\ny = 3\n', 'option changed'],
  ['a new section goes at the end', { section: 'new', option: 'a', value: 'b' }, '[s]\nx = 1\n', '[s]\nx = 1\n[new]\na = b\n', 'section and option added'],
  [
    'global option before the first section',
    { option: 'g', value: '1' },
    '# top\nk = v\n\n[s]\nx = 1\n',
    '# top\nk = v\ng = 1\n\n[s]\nx = 1\n',
    'option added',
  ],
  ['a new file starts with a blank line before its section', { section: 's', option: 'x', value: '1' }, '', '\n[s]\nx = 1\n', 'section and option added'],
  ['a global option in a new file is followed by a blank line', { option: 'x', value: '1' }, '', 'x = 1\n\n', 'option added'],
  ['an unterminated last line is ended (a change on its own)', { section: 's', option: 'x', value: '1' }, '[s]\nx = 1', '[s]\nx = 1\n', 'OK'],
  [
    'exclusive: the other lines of the option go',
    { section: 's', option: 'x', value: '2' },
    '[s]\nx = 1\nx = 2\nx=3\n[s2]\nx = 1\n',
    '[s]\nx = 2\n[s2]\nx = 1\n',
    'option changed',
  ],
  [
    'values, not exclusive: missing ones added, others kept',
    { section: 's', option: 'x', values: ['2', '4'], exclusive: false },
    '[s]\nx = 1\nx = 2\n',
    '[s]\nx = 1\nx = 2\nx = 4\n',
    'option added',
  ],
  [
    "absent: the option's active lines go, comments stay",
    { section: 's', option: 'x', state: 'absent' },
    '[s]\nx = 1\n#x = 2\ny = 3\n',
    '[s]\n#x = 2\ny = 3\n',
    'option changed',
  ],
  [
    'absent without option: the section goes',
    { section: 's', state: 'absent' },
    '[a]\nk = 1\n[s]\nx = 1\n\n[t]\nz = 3\n',
    '[a]\nk = 1\n[t]\nz = 3\n',
    'section removed',
  ],
  ['allow_no_value: a bare option line', { section: 's', option: 'flag', allow_no_value: true }, '[s]\nx = 1\n', '[s]\nx = 1\nflag\n', 'option added'],
  ['allow_no_value without option: only the section', { section: 'q', allow_no_value: true }, '[s]\nx = 1\n', '[s]\nx = 1\n[q]\n', 'only section added'],
  ['CRLF and a BOM are dropped when the file changes', { section: 's', option: 'x', value: '2' }, '\ufeff[s]\r\nx = 1\r\n', '[s]\nx = 2\n', 'option changed'],
  ['the section line may carry a comment', { section: 's', option: 'x', value: '8' }, '[s] # c\n  x\t=  7 \n', '[s] # c\nx = 8\n', 'option changed'],
]

function args(a: Record<string, unknown>): IniArgs {
  const r = checkArgs(iniFile.args, { path: '/etc/x.ini', ...a }, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return r.args as IniArgs
}

const edit = (text: string, a: IniArgs) => editIni(text, { ...a, values: a.value !== undefined ? [a.value] : (a.values ?? []) })
const st = (file: ReturnType<typeof fakePath>) => ({ file })

describe('ini_file', () => {
  describe("the edit (Ansible's bytes and messages)", () => {
    for (const [name, a, before, after, msg] of CASES) {
      it(name, () => {
        const r = edit(before, args(a))
        expect(r.text).to.equal(after)
        expect(r.msg).to.equal(msg)
        expect(r.changed).to.equal(before !== after)
        expect(edit(r.text, args(a)).changed, 'second run').to.equal(false)
      })
    }
  })

  it('plans the write with a diff; then nothing; the result says what happened', () => {
    const a = args({ section: 's', option: 'x', value: '2' })
    const ch = settleNeeds(iniFile.plan(a, st(fakePath('/etc/x.ini', { content: '[s]\nx = 1\n' })), ctx), ctx.check)
    expect(ch[0]!.summary).to.equal('edit /etc/x.ini (option changed)')
    expect((ch[0]!.steps[0] as PutStep).content.toString()).to.equal('[s]\nx = 2\n')
    expect(ch[0]!.diff!.after).to.equal('[s]\nx = 2\n')
    const done = st(fakePath('/etc/x.ini', { content: '[s]\nx = 2\n' }))
    expect(settleNeeds(iniFile.plan(a, done, ctx), ctx.check)).to.deep.equal([])
    expect(iniFile.result!(a, done, [], ctx)).to.deep.equal({ msg: 'OK', path: '/etc/x.ini' })
  })

  it('a file with a BOM and CRLF line ends that needs no change is left byte for byte', () => {
    const file = st(fakePath('/etc/x.ini', { content: '\uFEFF[s]\r\nx = 1\r\n' }))
    expect(settleNeeds(iniFile.plan(args({ section: 's', option: 'x', value: '1' }), file, ctx), ctx.check)).to.deep.equal([])
  })

  it('a missing file is created (with its directories) unless create: false; absent leaves it missing', () => {
    const m = st(missingPath('/etc/x.ini'))
    const put = settleNeeds(iniFile.plan(args({ section: 's', option: 'x', value: '1' }), m, ctx), ctx.check)[0]!.steps.at(-1) as PutStep
    expect(put.content.toString()).to.equal('\n[s]\nx = 1\n')
    expect(() => settleNeeds(iniFile.plan(args({ section: 's', option: 'x', value: '1', create: false }), m, ctx), ctx.check)).to.throw(/does not exist/)
    expect(settleNeeds(iniFile.plan(args({ section: 's', state: 'absent' }), m, ctx), ctx.check)).to.deep.equal([])
    expect(iniFile.result!(args({ section: 's', state: 'absent' }), m, [], ctx)).to.deep.equal({ msg: 'OK', path: '/etc/x.ini' })
  })

  it('checks arguments at load time', () => {
    const v = (a: Record<string, unknown>) => iniFile.validate!(checkArgs(iniFile.args, { path: '/f', ...a }, true).args as never)
    expect(v({ section: 's', option: 'x' })).to.deep.equal(["Parameter 'value(s)' must be defined if state=present and allow_no_value=False."])
    expect(v({ section: 's', option: 'x', allow_no_value: true })).to.deep.equal([])
    expect(v({ section: 's', state: 'absent' })).to.deep.equal([])
  })
})
