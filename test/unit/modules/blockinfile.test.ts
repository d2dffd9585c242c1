// blockinfile: a marked block, inserted, updated in place, or removed; pure edit + atomic write.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { blockinfile, editBlock, type BlockArgs } from '../../../src/modules/blockinfile.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type ProbeContext, type PutStep } from '../../../src/modules/types.js'
import { type PathState } from '../../../src/probes/files.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const B = '# BEGIN ANSIBLE MANAGED BLOCK\n'
const E = '# END ANSIBLE MANAGED BLOCK\n'

const base: Omit<BlockArgs, 'path' | 'create' | 'backup'> = {
  block: 'k=v\nk2=v2',
  marker: '# {mark} ANSIBLE MANAGED BLOCK',
  marker_begin: 'BEGIN',
  marker_end: 'END',
  state: 'present',
  append_newline: false,
  prepend_newline: false,
}

type Case = [string, Partial<BlockArgs>, string, string, string]
const CASES: Case[] = [
  ['inserts at the end by default', {}, 'a\n', `a\n${B}k=v\nk2=v2\n${E}`, 'Block inserted'],
  ['an identical block: nothing', {}, `a\n${B}k=v\nk2=v2\n${E}b\n`, `a\n${B}k=v\nk2=v2\n${E}b\n`, ''],
  ['updates a block in place', { block: 'k=new' }, `a\n${B}k=old\n${E}b\n`, `a\n${B}k=new\n${E}b\n`, 'Block inserted'],
  ['removes it (state absent)', { state: 'absent' }, `a\n${B}k=old\n${E}b\n`, 'a\nb\n', 'Block removed'],
  ['removes it (empty block)', { block: '' }, `a\n${B}k=old\n${E}`, 'a\n', 'Block removed'],
  ['absent and no block: nothing', { state: 'absent' }, 'a\n', 'a\n', ''],
  ['insertbefore BOF', { insertbefore: 'BOF' }, 'a\n', `${B}k=v\nk2=v2\n${E}a\n`, 'Block inserted'],
  [
    'insertafter a regexp (the last match)',
    { insertafter: '^\\[main\\]' },
    '[main]\nx\n[main]\ny\n',
    `[main]\nx\n[main]\n${B}k=v\nk2=v2\n${E}y\n`,
    'Block inserted',
  ],
  ['insertbefore a regexp', { insertbefore: '^y' }, 'x\ny\n', `x\n${B}k=v\nk2=v2\n${E}y\n`, 'Block inserted'],
  ['a regexp that matches nothing: at the end', { insertafter: '^zzz' }, 'x\n', `x\n${B}k=v\nk2=v2\n${E}`, 'Block inserted'],
  [
    'a custom marker',
    { marker: '; {mark} RUNMASTER', marker_begin: 'start', marker_end: 'stop' },
    'a\n',
    'a\n; start RUNMASTER\nk=v\nk2=v2\n; stop RUNMASTER\n',
    'Block inserted',
  ],
  ['ends an unterminated last line', {}, 'a', `a\n${B}k=v\nk2=v2\n${E}`, 'Block inserted'],
  ['a block ending in a newline is the same block', { block: 'k=v\nk2=v2\n' }, `${B}k=v\nk2=v2\n${E}`, `${B}k=v\nk2=v2\n${E}`, ''],
  [
    'prepend_newline and append_newline',
    { prepend_newline: true, append_newline: true, insertafter: '^a' },
    'a\nb\n',
    `a\n\n${B}k=v\nk2=v2\n${E}\nb\n`,
    'Block inserted',
  ],
]

function args(a: Record<string, unknown>): BlockArgs {
  const r = checkArgs(blockinfile.args, a, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return r.args as BlockArgs
}

const st = (s: PathState) => ({ file: s })

describe('blockinfile', () => {
  describe('the edit (Ansible semantics)', () => {
    for (const [name, a, before, after, msg] of CASES) {
      it(name, () => {
        const r = editBlock(before, true, { ...base, ...a })
        expect(r.text).to.equal(after)
        expect(r.msg).to.equal(msg)
        expect(editBlock(r.text, true, { ...base, ...a }).changed, 'second run').to.equal(false)
      })
    }
    it('a new file holds just the block', () => {
      expect(editBlock('', false, base)).to.deep.equal({ text: `${B}k=v\nk2=v2\n${E}`, msg: 'File created', changed: true })
    })
  })

  it('plans the write with a diff; then nothing', () => {
    const a = args({ path: '/etc/redis/redis.conf', marker: '# {mark} RUNMASTER', block: 'maxmemory 2gb' })
    const ch = settleNeeds(blockinfile.plan(a, st(fakePath('/etc/redis/redis.conf', { content: 'port 6379\n' })), ctx), ctx.check)
    expect(ch[0]!.summary).to.equal('edit /etc/redis/redis.conf (Block inserted)')
    expect((ch[0]!.steps[0] as PutStep).content.toString()).to.equal('port 6379\n# BEGIN RUNMASTER\nmaxmemory 2gb\n# END RUNMASTER\n')
    expect(ch[0]!.diff!.after).to.equal('port 6379\n# BEGIN RUNMASTER\nmaxmemory 2gb\n# END RUNMASTER\n')
    const done = fakePath('/etc/redis/redis.conf', { content: 'port 6379\n# BEGIN RUNMASTER\nmaxmemory 2gb\n# END RUNMASTER\n' })
    expect(settleNeeds(blockinfile.plan(a, st(done), ctx), ctx.check)).to.deep.equal([])
  })

  it('a missing file: an error, created with create, nothing to do when absent', () => {
    const m = missingPath('/etc/x.conf')
    expect(() => settleNeeds(blockinfile.plan(args({ path: '/etc/x.conf', block: 'a' }), st(m), ctx), ctx.check)).to.throw(ModuleFailure, /does not exist/)
    expect(
      (
        settleNeeds(blockinfile.plan(args({ path: '/etc/x.conf', block: 'a', create: true }), st(m), ctx), ctx.check)[0]!.steps[0] as PutStep
      ).content.toString(),
    ).to.equal(`${B}a\n${E}`)
    expect(settleNeeds(blockinfile.plan(args({ path: '/etc/x.conf', state: 'absent' }), st(m), ctx), ctx.check)).to.deep.equal([])
    expect(blockinfile.result!(args({ path: '/etc/x.conf', block: 'a', create: true }), st(m), [], ctx)).to.deep.equal({ msg: 'File created' })
  })

  it('checks arguments at load time', () => {
    const v = (a: Record<string, unknown>) => blockinfile.validate!(checkArgs(blockinfile.args, a, true).args as never)
    expect(v({ path: '/f', marker: '# fixed marker' })[0]).to.match(/begin and end markers are the same/)
    expect(v({ path: '/f', insertafter: '[' })[0]).to.match(/not a valid regular expression/)
    expect(v({ path: '/f', content: 'x' })).to.deep.equal([])
  })
})
