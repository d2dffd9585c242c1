// get_url's plan on recorded path states: download, leave alone, re-download on checksum or
// content change, attributes only; the step writes a temp file, verifies, sets mode, renames.
import { settleNeeds } from '../../../src/engine/needs.js'
import { nameResults, probeList } from '../../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { setAttrs } from '../../../src/modules/file-attrs.js'
import { getUrl, type GetUrlArgs } from '../../../src/modules/get-url.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import { parsePathState } from '../../../src/probes/files.js'
import { code } from '../../../src/shell/index.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const SUM = '1ab094ade32450c63a421b4dda9fa4351896c54c8073795d64786ac97da000eb'
// pathProbe(..., { checksum: 'sha256' }) on a lab host: a file, a directory, a missing file in an
// existing directory, a missing file in a missing directory.
const FILE = `umask 0022\nlstat 81a4 644 0 0 6 1795957662.000000000 1795958538.323878301 1795958538.323878301 1548426 121 1 root root\nsum ${SUM}  -\nparent directory\nancestor /srv/dl/app.conf\nancestordir 0\n`
const DIR =
  'umask 0022\nlstat 41ed 755 0 0 4096 1795958538.323878301 1795958538.307878301 1795958538.323878301 1548420 121 3 root root\nparent directory\nancestor /srv/dl\nancestordir 1\n'
const NONE = 'umask 0022\nparent directory\nancestor /srv/dl\nancestordir 1\n'
const NOPARENT = 'umask 0022\nparent missing\nancestor /srv\nancestordir 1\n'

function args(input: Record<string, unknown>): GetUrlArgs {
  const { args, problems } = checkArgs(getUrl.args, { url: 'http://10.0.0.1:8080/files/app.conf', ...input }, false)
  expect(problems).to.deep.equal([])
  return args as GetUrlArgs
}

/** State for the module's probes: paths by name → recorded output, tools, remote checksum. */
function stateFor(a: GetUrlArgs, paths: Record<string, string>, tools: string[], remote?: { sum?: string; error?: string }) {
  const st: Record<string, unknown> = {}
  const named = getUrl.probes(a, ctx)
  for (const p of probeList(named)) {
    if (p.id.startsWith('path:')) {
      const path = p.id.split(':')[1]!
      st[p.id] = parsePathState(path, { stdout: paths[path] ?? NONE, code: 0 })
    } else if (p.id.startsWith('tools:')) st[p.id] = tools
    else if (p.id.startsWith('urlsum:')) st[p.id] = remote
  }
  return nameResults(named, st)
}

const planOf = (a: GetUrlArgs, st: ReturnType<typeof stateFor>, c = ctx) => settleNeeds(getUrl.plan(a, st, c), c.check)
const step = (ch: Change) => ch.steps[0] as ExecStep

describe('modules/get_url: plan', () => {
  it('a missing file is downloaded with the first tool there, into a temp file beside it, checked, chmod-ed, renamed', () => {
    const a = args({ dest: '/srv/dl/app.conf', checksum: `sha256:${SUM}`, mode: '0640' })
    const ch = planOf(a, stateFor(a, { '/srv/dl/app.conf': NONE }, ['wget', 'python3']))
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('download http://10.0.0.1:8080/files/app.conf to /srv/dl/app.conf')
    const s = step(ch[0]!).script.text
    expect(s).to.include('t=$(mktemp -d "$dir/.rmp-tmp.XXXXXXXXXX")')
    expect(s).to.include('tmp="$t/new"')
    expect(s).to.include('wget -nv --config="$tmp.rc"')
    expect(s).to.include(`got=$(sha256sum < "$tmp" | cut -d' ' -f1)`)
    expect(s.indexOf('chmod -- 00640 "$tmp"')).to.be.lessThan(s.indexOf('mv -fT -- "$tmp" "$dest"'))
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/dl/app.conf', before: '(absent)\n', after: `sha256: ${SUM}\nmode: 0640\n` })
    // Once there with the right checksum and mode: nothing to do.
    expect(planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE.replace('81a4 644', '81a0 640') }, ['wget']))).to.deep.equal([])
  })

  it('dest is a directory: the file is named after the URL', () => {
    const a = args({ dest: '/srv/dl' })
    const ch = planOf(a, stateFor(a, { '/srv/dl': DIR }, ['curl']))
    expect(ch[0]!.summary).to.equal('download http://10.0.0.1:8080/files/app.conf to /srv/dl/app.conf')
    expect(step(ch[0]!).script.text).to.include('curl -K - -o "$tmp"')
    expect(step(ch[0]!).stdin).to.include('url = "http://10.0.0.1:8080/files/app.conf"')
    expect(planOf(a, stateFor(a, { '/srv/dl': DIR, '/srv/dl/app.conf': FILE }, ['curl']))).to.deep.equal([])
  })

  it('an existing file without force is left alone; only its mode is corrected', () => {
    const a = args({ dest: '/srv/dl/app.conf', mode: '0600' })
    const ch = planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['python3']))
    expect(ch[0]!.summary).to.equal('set mode 0644 → 0600 on /srv/dl/app.conf')
    // set -e: with owner and mode both to fix, a failing chown fails the step.
    expect(step(ch[0]!).script.text).to.equal(`set -e\n${setAttrs('/srv/dl/app.conf', undefined, undefined, '0600').text}`)
  })

  it('a checksum that differs means downloading again', () => {
    const a = args({ dest: '/srv/dl/app.conf', checksum: `sha256:${'a'.repeat(64)}` })
    const ch = planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['python3']))
    expect(ch[0]!.summary).to.equal('download http://10.0.0.1:8080/files/app.conf to /srv/dl/app.conf (sha256 1ab094ade324… differs from the checksum)')
    expect(step(ch[0]!).script.text).to.include('python3 -c')
  })

  it('force compares what the URL serves now with the file', () => {
    const a = args({ dest: '/srv/dl/app.conf', force: true })
    expect(planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['python3'], { sum: SUM }))).to.deep.equal([])
    const ch = planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['python3'], { sum: 'b'.repeat(64) }))
    expect(ch[0]!.summary).to.match(/\(the URL serves other content\)$/)
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/dl/app.conf', before: `sha256: ${SUM}\n`, after: `sha256: ${'b'.repeat(64)}\n` })
    expect(() => planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['python3'], { error: 'Request failed: HTTP Error 404: Not Found' }))).to.throw(
      ModuleFailure,
      'Request failed for http://10.0.0.1:8080/files/app.conf: Request failed: HTTP Error 404',
    )
  })

  it('force with a password cannot look first: would run, and the password only travels in stdin', () => {
    const a = args({ dest: '/srv/dl/app.conf', force: true, url_username: 'deploy', url_password: 's3cret-pw' })
    expect(
      probeList(getUrl.probes(a, ctx))
        .map((p) => p.id)
        .some((id) => id.startsWith('urlsum:')),
    ).to.equal(false)
    const ch = planOf(a, stateFor(a, { '/srv/dl/app.conf': FILE }, ['curl']))
    expect(ch[0]!.uncertain).to.equal(true)
    const s = step(ch[0]!)
    expect(s.secret).to.equal(true)
    expect(s.script.text).to.not.include('s3cret-pw')
    expect(s.stdin).to.include('user = "deploy:s3cret-pw"')
  })

  it('failures and their check-mode forms: no directory, no download tool, not a file', () => {
    const a = args({ dest: '/srv/nodir/app.conf' })
    expect(() => planOf(a, stateFor(a, { '/srv/nodir/app.conf': NOPARENT }, ['curl']))).to.throw(
      ModuleFailure,
      'Destination directory of /srv/nodir/app.conf does not exist',
    )
    expect(planOf(a, stateFor(a, { '/srv/nodir/app.conf': NOPARENT }, ['curl']), { ...ctx, check: true })[0]!.uncertain).to.equal(true)
    const b = args({ dest: '/srv/dl/app.conf' })
    expect(() => planOf(b, stateFor(b, {}, []))).to.throw(ModuleFailure, 'no curl, wget or python3 on the host')
    expect(() => planOf(args({ dest: '/srv/dl/' }), stateFor(args({ dest: '/srv/dl/' }), { '/srv/dl/': DIR, '/srv/dl/app.conf': DIR }, ['curl']))).to.throw(
      ModuleFailure,
      'exists and is not a regular file (directory)',
    )
    const c = args({ url: 'http://h/dir/', dest: '/srv/dl' })
    expect(() => planOf(c, stateFor(c, { '/srv/dl': DIR }, ['curl']))).to.throw(ModuleFailure, 'names no file')
  })
})

describe('modules/get_url: result', () => {
  it('from the step output, or from the state when nothing was downloaded', () => {
    const a = args({ dest: '/srv/dl/app.conf' })
    const st = stateFor(a, { '/srv/dl/app.conf': FILE }, ['curl'])
    expect(
      getUrl.result!(a, st, [{ step: { kind: 'exec', script: code('') }, code: 0, stdout: 'status_code=200\nsize=6\nsha1=abc\n', stderr: '' }], ctx),
    ).to.deep.equal({ dest: '/srv/dl/app.conf', url: a.url, status_code: 200, size: 6, checksum_dest: 'abc', checksum_src: 'abc', msg: 'OK (6 bytes)' })
    // As Ansible: without a checksum it would have downloaded again ('OK (<bytes>)'); a matching checksum skips the download
    expect(getUrl.result!(a, st, [], ctx)).to.deep.equal({ dest: '/srv/dl/app.conf', url: a.url, size: 6, msg: 'OK (6 bytes)' })
    const c = args({ dest: '/srv/dl/app.conf', checksum: `sha1:${'a'.repeat(40)}` })
    const attrs = { step: { kind: 'exec' as const, script: code('') }, code: 0, stdout: '', stderr: '' }
    expect(getUrl.result!(c, st, [], ctx).msg).to.equal('file already exists')
    expect(getUrl.result!(c, st, [attrs], ctx).msg).to.equal('file already exists but file attributes changed')
  })
})

describe('modules/get_url: arguments', () => {
  const problems = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(getUrl.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : getUrl.validate!(args as GetUrlArgs))]
  }
  it('checksums, URLs, headers, credentials', () => {
    expect(problems({ url: 'http://h/x', dest: '/x', checksum: 'sha256:abc' })).to.deep.equal(["a sha256 checksum has 64 hex digits, got 'abc'"])
    expect(problems({ url: 'http://h/x', dest: '/x', checksum: 'crc32:abcd' })[0]).to.match(/checksum must be '<algorithm>:<hex>'/)
    expect(problems({ url: 'http://h/x', dest: '/x', checksum: 'sha256:https://h/SHA256SUMS' })).to.deep.equal([
      'checksum as the URL of a checksum file is not supported: give the hex digest',
    ])
    expect(problems({ url: 'h/x', dest: '/x' })[0]).to.match(/url must be http/)
    expect(problems({ url: 'http://h/x', dest: '/x', headers: { 'Bad Header': 'v' } })[0]).to.match(/not a valid header name/)
    expect(problems({ url: 'http://h/x', dest: '/x', url_password: 'p' })).to.deep.equal(["arguments 'url_password', 'url_username' must be given together"])
    expect(problems({ url: 'http://h/x', dest: '/x', mode: 'u=rwz' })[0]).to.match(/mode/)
    expect(problems({ url: 'http://h/x', dest: '/x', checksum: `SHA256:${'A'.repeat(64)}` })).to.deep.equal([])
  })
})
