// lineinfile: the edit is pure (text in, text out) and follows Ansible's rules; the plan writes it atomically.
import { settleNeeds } from '../../../src/engine/needs.js'
import { expect } from 'chai'
import { editLines, expandBackrefs, lineinfile, pyRegex, type LineArgs } from '../../../src/modules/lineinfile.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type ProbeContext, type PutStep } from '../../../src/modules/types.js'
import { type PathState } from '../../../src/probes/files.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }

type Case = [string, Partial<LineArgs>, string, string, string]
// [name, args, before, after, msg]
const CASES: Case[] = [
  ['adds a missing line at the end', { line: 'c' }, 'a\nb\n', 'a\nb\nc\n', 'line added'],
  ['leaves a present line', { line: 'b' }, 'a\nb\n', 'a\nb\n', ''],
  ['adds to an empty file', { line: 'x' }, '', 'x\n', 'line added'],
  ['ends an unterminated last line first', { line: 'b' }, 'a', 'a\nb\n', 'line added'],
  ['replaces the last line the regexp matches', { line: 'x=9', regexp: '^x=' }, 'x=1\ny\nx=2\n', 'x=1\ny\nx=9\n', 'line replaced'],
  ['firstmatch replaces the first', { line: 'x=9', regexp: '^x=', firstmatch: true }, 'x=1\ny\nx=2\n', 'x=9\ny\nx=2\n', ''.concat('line replaced')],
  ['regexp matching the wanted line: nothing', { line: 'x=9', regexp: '^x=' }, 'x=9\n', 'x=9\n', ''],
  ['regexp without a match: adds the line', { line: 'x=9', regexp: '^x=' }, 'a\n', 'a\nx=9\n', 'line added'],
  ['regexp without a match but the line is there: nothing', { line: 'x=9', regexp: '^nomatch' }, 'x=9\na\n', 'x=9\na\n', ''],
  ['insertafter: after the last anchor', { line: 'z', insertafter: '^a' }, 'a\nb\na\nc\n', 'a\nb\na\nz\nc\n', 'line added'],
  ['insertafter with firstmatch: after the first anchor', { line: 'z', insertafter: '^a', firstmatch: true }, 'a\nb\na\nc\n', 'a\nz\nb\na\nc\n', 'line added'],
  ['insertafter: anchor not found, at the end', { line: 'z', insertafter: '^q' }, 'a\n', 'a\nz\n', 'line added'],
  ['insertafter at the last line of an unterminated file', { line: 'z', insertafter: '^a' }, 'a', 'a\nz\n', 'line added'],
  ['insertafter: the line is already there elsewhere: nothing', { line: 'z', insertafter: '^a' }, 'z\na\n', 'z\na\n', ''],
  ['insertbefore: before the last anchor', { line: 'z', insertbefore: '^b' }, 'a\nb\n', 'a\nz\nb\n', 'line added'],
  ['insertbefore BOF', { line: 'z', insertbefore: 'BOF' }, 'a\n', 'z\na\n', 'line added'],
  ['insertafter BOF', { line: 'z', insertafter: 'BOF' }, 'a\n', 'z\na\n', 'line added'],
  ['insertafter EOF', { line: 'z', insertafter: 'EOF' }, 'a\n', 'a\nz\n', 'line added'],
  ['regexp wins over insertafter', { line: 'x=2', regexp: '^x=', insertafter: '^a' }, 'x=1\na\n', 'x=2\na\n', 'line replaced'],
  [
    'backrefs fill groups',
    { line: '\\1 no', regexp: '^(PermitRootLogin)\\s', backrefs: true },
    'PermitRootLogin yes\n',
    'PermitRootLogin no\n',
    'line replaced',
  ],
  ['backrefs with named groups', { line: '\\g<k>=new', regexp: '^(?P<k>\\w+)=old', backrefs: true }, 'key=old\n', 'key=new\n', 'line replaced'],
  ['backrefs without a match: nothing at all', { line: '\\1 no', regexp: '^(PermitRootLogin)\\s', backrefs: true }, 'other\n', 'other\n', ''],
  ['search_string is literal', { line: 'listen 80;', search_string: 'listen [::]' }, 'a\nlisten [::]:80;\n', 'a\nlisten 80;\n', 'line replaced'],
  ['an inline (?i) flag', { line: 'Port 22', regexp: '(?i)^port ' }, 'PORT 2222\n', 'Port 22\n', 'line replaced'],
  ['absent: removes every matching line', { state: 'absent', regexp: '^#' }, '#a\nb\n#c\n', 'b\n', '2 line(s) removed'],
  ['absent by exact line', { state: 'absent', line: 'b' }, 'a\nb\nbb\n', 'a\nbb\n', '1 line(s) removed'],
  ['absent: nothing to remove', { state: 'absent', line: 'q' }, 'a\n', 'a\n', ''],
  ['CRLF lines keep their endings when untouched', { line: 'c' }, 'a\r\nb\r\n', 'a\r\nb\r\nc\n', 'line added'],
]

const base: Pick<LineArgs, 'state' | 'backrefs' | 'firstmatch'> = { state: 'present', backrefs: false, firstmatch: false }

function args(a: Record<string, unknown>): LineArgs {
  const r = checkArgs(lineinfile.args, a, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return r.args as LineArgs
}

const st = (s: PathState) => ({ file: s })

describe('lineinfile', () => {
  describe('the edit (Ansible semantics)', () => {
    for (const [name, a, before, after, msg] of CASES) {
      it(name, () => {
        const r = editLines(before, { ...base, ...a })
        expect(r.text).to.equal(after)
        expect(r.msg).to.equal(msg)
        expect(r.changed).to.equal(before !== after)
        // Idempotence: the result edited again changes nothing.
        if (!a.backrefs || before !== after) {
          const again = editLines(r.text, { ...base, ...a })
          expect(again.changed, 'second run').to.equal(false)
        }
      })
    }
  })

  it('translates Python regular expressions', () => {
    expect(pyRegex('^(?P<a>x)(?P=a)$').test('xx')).to.equal(true)
    expect(pyRegex('\\Ax\\Z').test('x')).to.equal(true)
    expect(pyRegex('(?i)abc').flags).to.contain('i')
    expect(expandBackrefs('\\2-\\1\\n\\g<2>', /(a)(b)/.exec('ab')!)).to.equal('b-a\nb')
  })

  it('plans an atomic write of the edited content, with the diff; then nothing', () => {
    const a = args({ path: '/etc/redis/redis.conf', regexp: '^maxmemory ', line: 'maxmemory 2gb' })
    const s = fakePath('/etc/redis/redis.conf', { content: 'port 6379\nmaxmemory 1gb\n', mode: '0640', owner: 'redis' })
    const ch = settleNeeds(lineinfile.plan(a, st(s), ctx), ctx.check)
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('edit /etc/redis/redis.conf (line replaced)')
    const put = ch[0]!.steps[0] as PutStep
    expect(put).to.deep.include({ kind: 'put', path: '/etc/redis/redis.conf', mode: undefined, owner: undefined })
    expect(put.content.toString()).to.equal('port 6379\nmaxmemory 2gb\n')
    expect(ch[0]!.diff).to.deep.equal({ path: '/etc/redis/redis.conf', before: 'port 6379\nmaxmemory 1gb\n', after: 'port 6379\nmaxmemory 2gb\n' })
    const after = fakePath('/etc/redis/redis.conf', { content: 'port 6379\nmaxmemory 2gb\n', mode: '0640', owner: 'redis' })
    expect(settleNeeds(lineinfile.plan(a, st(after), ctx), ctx.check)).to.deep.equal([])
    expect(lineinfile.result!(a, st(s), [], ctx)).to.deep.equal({ msg: 'line replaced', backup: '' })
  })

  it('edits the real file behind a symlink', () => {
    const a = args({ path: '/etc/link.conf', line: 'x' })
    const s = fakePath('/etc/link.conf', { type: 'link', linkTarget: 'real.conf', real: '/etc/real.conf', target: { type: 'file' }, content: '' })
    expect((settleNeeds(lineinfile.plan(a, st(s), ctx), ctx.check)[0]!.steps[0] as PutStep).path).to.equal('/etc/real.conf')
  })

  it('a missing file: an error, or with create it is made (and its directories)', () => {
    const missing = missingPath('/srv/new/app.conf', { parent: 'missing', ancestor: '/srv' })
    expect(() => settleNeeds(lineinfile.plan(args({ path: '/srv/new/app.conf', line: 'x' }), st(missing), ctx), ctx.check)).to.throw(
      ModuleFailure,
      'Destination /srv/new/app.conf does not exist !',
    )
    const ch = settleNeeds(lineinfile.plan(args({ path: '/srv/new/app.conf', line: 'x', create: true, mode: '0600' }), st(missing), ctx), ctx.check)
    expect(ch[0]!.steps.map((s) => s.kind)).to.deep.equal(['exec', 'put'])
    expect((ch[0]!.steps[0] as { script: { text: string } }).script.text).to.contain('mkdir -- /srv/new')
    expect((ch[0]!.steps[1] as PutStep).content.toString()).to.equal('x\n')
    expect((ch[0]!.steps[1] as PutStep).mode).to.equal('0600')
    expect(settleNeeds(lineinfile.plan(args({ path: '/srv/new/app.conf', line: 'x', state: 'absent' }), st(missing), ctx), ctx.check)).to.deep.equal([])
  })

  it('only the mode differs: a chmod, and the message says so', () => {
    const a = args({ path: '/f', line: 'a', mode: '0600' })
    const s = fakePath('/f', { content: 'a\n' })
    const ch = settleNeeds(lineinfile.plan(a, st(s), ctx), ctx.check)
    expect(ch.map((c) => c.summary)).to.deep.equal(['set mode 0644 → 0600 on /f'])
    expect(lineinfile.result!(a, st(s), [], ctx)).to.include({ msg: 'ownership, perms or SE linux context changed' })
  })

  it('a file that is not UTF-8 is edited byte for byte', () => {
    const s = fakePath('/f', { content: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) })
    const put = settleNeeds(lineinfile.plan(args({ path: '/f', line: 'x' }), st(s), ctx), ctx.check)[0]!.steps[0] as PutStep
    expect([...(put.content as Buffer)]).to.deep.equal([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x78, 0x0a])
  })

  it('refuses directories', () => {
    expect(() => settleNeeds(lineinfile.plan(args({ path: '/d', line: 'x' }), st(fakePath('/d', { type: 'directory' })), ctx), ctx.check)).to.throw(
      /is a directory/,
    )
  })

  it('checks arguments at load time', () => {
    const problems = (a: Record<string, unknown>) => {
      const r = checkArgs(lineinfile.args, a, true)
      return [...r.problems.map((p) => p.message), ...(r.problems.length ? [] : lineinfile.validate!(r.args as never))]
    }
    expect(problems({ path: '/f' })).to.deep.equal(['line is required with state=present'])
    expect(problems({ path: '/f', line: 'x', backrefs: true })).to.deep.equal(['regexp is required with backrefs=true'])
    expect(problems({ path: '/f', state: 'absent' })).to.deep.equal(['one of line, search_string, or regexp is required with state=absent'])
    expect(problems({ path: '/f', line: 'x', regexp: '(' })[0]).to.match(/regexp is not a valid regular expression/)
    expect(problems({ path: '/f', line: 'x', insertafter: 'a', insertbefore: 'b' })[0]).to.match(/mutually exclusive/)
    expect(problems({ dest: '/f', line: 'x', regex: 'y' })).to.deep.equal([])
  })
})
