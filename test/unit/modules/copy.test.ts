// copy: arguments + probed destination → a put step (atomic, mode set before rename) or nothing.
import { settleNeeds } from '../../../src/engine/needs.js'
import { nameResults } from '../../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { setAttrs } from '../../../src/modules/file-attrs.js'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copy, sha1 } from '../../../src/modules/copy.js'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ProbeContext, type PrepareContext, type ProbeState, type PutStep } from '../../../src/modules/types.js'
import { encryptVault, setVaultPassword } from '../../../src/playbook/vault.js'
import { DIFF_LIMIT, pathProbeId, type PathState } from '../../../src/probes/files.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'
import { code } from '../../../src/shell/index.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...ctx, check: true }
const destOpts = { checksum: 'sha1' as const, contentLimit: DIFF_LIMIT }

const dir = mkdtempSync(join(tmpdir(), 'rmp-copy-'))
writeFileSync(join(dir, 'app.conf'), 'port=8000\n')
chmodSync(join(dir, 'app.conf'), 0o640)
mkdirSync(join(dir, 'tree/sub'), { recursive: true })
writeFileSync(join(dir, 'tree/a.txt'), 'A\n')
writeFileSync(join(dir, 'tree/sub/b.txt'), 'B\n')

function prepCtx(): PrepareContext {
  return {
    findFile: (_kind, name) => join(dir, name),
    renderTemplate: () => '',
    readFile: (p) => readFileSync(p),
    evaluate: () => undefined,
    readUnknown: () => false,
    isUndefined: () => false,
    condition: () => true,
    vars: {},
  }
}

async function prepared(a: Record<string, unknown>) {
  const r = checkArgs(copy.args, a, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return copy.prepare!(r.args as never, prepCtx())
}

function state(paths: PathState[], opts: Record<string, unknown> = destOpts): ProbeState {
  const s: Record<string, unknown> = {}
  for (const p of paths) s[pathProbeId(p.path, opts)] = p
  return s
}

async function plan(a: Record<string, unknown>, paths: PathState[], c = ctx, extra: ProbeState = {}): Promise<Change[]> {
  const p = await prepared(a)
  return settleNeeds(copy.plan(p, nameResults(copy.probes(p, c), { ...state(paths), ...extra }), c), c.check)
}

const put = (ch: Change[]) => ch.flatMap((c) => c.steps).find((s): s is PutStep => s.kind === 'put')

describe('copy module', () => {
  it('content to a new file: one put step with the mode, a diff from nothing; then nothing', async () => {
    const ch = await plan({ content: 'SECRET=1\n', dest: '/srv/.env', mode: '0600', owner: 'app' }, [missingPath('/srv/.env')])
    expect(ch).to.have.length(1)
    expect(ch[0]!.summary).to.equal('create /srv/.env (mode 0600, owner app)')
    expect(put(ch)).to.deep.include({ kind: 'put', path: '/srv/.env', mode: '0600', owner: 'app', backup: false })
    expect(put(ch)!.content.toString()).to.equal('SECRET=1\n')
    expect(ch[0]!.diff).to.deep.equal({ path: '/srv/.env', before: '', after: 'SECRET=1\n' })
    const after = fakePath('/srv/.env', { content: 'SECRET=1\n', mode: '0600', owner: 'app', uid: 1000 })
    expect(await plan({ content: 'SECRET=1\n', dest: '/srv/.env', mode: '0600', owner: 'app' }, [after])).to.deep.equal([])
  })

  it('same content, other mode: fixes the mode in place, no rewrite', async () => {
    const ch = await plan({ content: 'x\n', dest: '/f', mode: '0600' }, [fakePath('/f', { content: 'x\n' })])
    expect(ch.map((c) => c.summary)).to.deep.equal(['set mode 0644 → 0600 on /f'])
    expect(put(ch)).to.equal(undefined)
  })

  it('other content: rewrites with backup and validate, shows a unified-diff input', async () => {
    const ch = await plan({ content: 'b\n', dest: '/f', backup: true, validate: 'check %s' }, [fakePath('/f', { content: 'a\n' })])
    expect(ch[0]!.summary).to.equal('write /f')
    expect(put(ch)).to.deep.include({ path: '/f', backup: true, validate: 'check %s', mode: undefined })
    expect(ch[0]!.diff).to.deep.equal({ path: '/f', before: 'a\n', after: 'b\n' })
  })

  it('a rewrite with only owner (or only group) keeps the other one of the existing file', async () => {
    const s = fakePath('/f', { content: 'a\n', owner: 'app', group: 'www-data', uid: 1000, gid: 33 })
    expect(put(await plan({ content: 'b\n', dest: '/f', owner: 'root' }, [s]))).to.deep.include({ owner: 'root', group: 'www-data' })
    expect(put(await plan({ content: 'b\n', dest: '/f', group: 'adm' }, [s]))).to.deep.include({ owner: 'app', group: 'adm' })
    expect(put(await plan({ content: 'b\n', dest: '/f' }, [s]))).to.deep.include({ owner: undefined, group: undefined })
  })

  it('binary files: the diff says so instead of showing bytes', async () => {
    const s = fakePath('/bin', { content: Buffer.from([0, 1, 2]) })
    const ch = await plan({ content: 'text\n', dest: '/bin' }, [s])
    expect(ch[0]!.diff!.before).to.match(/^\(binary file, 3 bytes, sha1 /)
  })

  it('src from files/: into a directory dest as dest/basename, mode preserve takes the source mode', async () => {
    const dest = fakePath('/etc/app', { type: 'directory' })
    const ch = await plan({ src: 'app.conf', dest: '/etc/app', mode: 'preserve' }, [dest, missingPath('/etc/app/app.conf')])
    expect(put(ch)).to.deep.include({ path: '/etc/app/app.conf', mode: '0640' })
  })

  it('dest ending in / creates its directories; a plain dest in a missing directory fails (uncertain in check mode)', async () => {
    const ch = await plan({ src: 'app.conf', dest: '/opt/new/', directory_mode: '0750' }, [
      missingPath('/opt/new/'),
      missingPath('/opt/new/app.conf', { parent: 'missing', ancestor: '/opt' }),
    ])
    expect(ch[0]!.steps[0]).to.deep.equal({
      kind: 'exec',
      script: code(`set -e\nmkdir -- /opt/new\n${setAttrs('/opt/new', undefined, undefined, '0750').text}`),
    })
    expect(put(ch)!.path).to.equal('/opt/new/app.conf')
    const a = { content: 'x', dest: '/opt/none/f' }
    const s = [missingPath('/opt/none/f', { parent: 'missing', ancestor: '/opt' })]
    let err: unknown
    try {
      await plan(a, s)
    } catch (e) {
      err = e
    }
    expect(err).to.be.instanceOf(ModuleFailure)
    expect((err as Error).message).to.equal('Destination directory /opt/none does not exist')
    const u = await plan(a, s, check)
    expect(u[0]!.uncertain).to.equal(true)
  })

  it('force: false leaves an existing file alone', async () => {
    expect(await plan({ content: 'new', dest: '/f', force: false }, [fakePath('/f', { content: 'old' })])).to.deep.equal([])
  })

  it('a symlink at dest is replaced by a file (follow: false) or written through (follow: true)', async () => {
    const link = fakePath('/l', { type: 'link', linkTarget: '/real', real: '/real', target: { type: 'file' }, content: 'same' })
    const replaced = await plan({ content: 'same', dest: '/l' }, [link])
    expect(replaced[0]!.summary).to.equal('replace symlink /l with a file')
    expect(put(replaced)!.path).to.equal('/l')
    expect(await plan({ content: 'same', dest: '/l', follow: true }, [link])).to.deep.equal([])
    expect(put(await plan({ content: 'other', dest: '/l', follow: true }, [link]))!.path).to.equal('/real')
  })

  it('refuses to replace a symlink to a directory with a file (the rename would land inside it)', async () => {
    const link = fakePath('/l', { type: 'link', linkTarget: '/d', real: '/d', target: { type: 'directory' } })
    let err: unknown
    try {
      await plan({ content: 'x', dest: '/l' }, [link])
    } catch (e) {
      err = e
    }
    expect((err as Error).message).to.match(/symlink to a directory/)
  })

  it('remote_src: compares checksums and puts the host file through the same atomic put step', async () => {
    const src = fakePath('/tmp/src.conf', { content: 'v=2\n', mode: '0600' })
    const srcState = state([src], { checksum: 'sha1', contentLimit: DIFF_LIMIT })
    const ch = await plan(
      { src: '/tmp/src.conf', dest: '/etc/x.conf', remote_src: true, mode: 'preserve' },
      [fakePath('/etc/x.conf', { content: 'v=1\n' })],
      ctx,
      srcState,
    )
    const step = ch[0]!.steps[0]!
    expect(step).to.include({ kind: 'put', path: '/etc/x.conf', from: '/tmp/src.conf', mode: '0600' })
    expect(ch[0]!.diff).to.deep.equal({ path: '/etc/x.conf', before: 'v=1\n', after: 'v=2\n' })
    expect(
      await plan({ src: '/tmp/src.conf', dest: '/etc/x.conf', remote_src: true }, [fakePath('/etc/x.conf', { content: 'v=2\n' })], ctx, srcState),
    ).to.deep.equal([])
  })

  it('a directory src is copied recursively: new directories first, then each file', async () => {
    const paths = [
      missingPath('/srv/tree'),
      missingPath('/srv/tree/sub'),
      missingPath('/srv/tree/a.txt', { parent: 'missing' }),
      missingPath('/srv/tree/sub/b.txt', { parent: 'missing' }),
    ]
    const s: Record<string, unknown> = {}
    for (const p of paths) {
      s[pathProbeId(p.path)] = p
      s[pathProbeId(p.path, destOpts)] = p
    }
    const p = await prepared({ src: 'tree', dest: '/srv', directory_mode: '0750' })
    const ch = settleNeeds(copy.plan(p, nameResults(copy.probes(p, ctx), s), ctx), ctx.check)
    expect(ch.map((c) => c.summary)).to.deep.equal(['create directories /srv/tree, /srv/tree/sub', 'create /srv/tree/a.txt', 'create /srv/tree/sub/b.txt'])
    expect((ch[0]!.steps[0] as { script: { text: string } }).script.text).to.contain(setAttrs('/srv/tree/sub', undefined, undefined, '0750').text)
  })

  it('an expected checksum that does not match fails the task', async () => {
    let err: unknown
    try {
      await plan({ content: 'x', dest: '/f', checksum: sha1('y') }, [missingPath('/f')])
    } catch (e) {
      err = e
    }
    expect((err as Error).message).to.match(/does not match the expected checksum/)
  })

  it('decrypts a vault-encrypted source', async () => {
    setVaultPassword('pw')
    writeFileSync(join(dir, 'secret.env'), encryptVault('TOKEN=abc\n', 'pw'))
    const ch = await plan({ src: 'secret.env', dest: '/s' }, [missingPath('/s')])
    expect(put(ch)!.content.toString()).to.equal('TOKEN=abc\n')
    setVaultPassword(undefined)
  })

  it('validates arguments at load time', () => {
    expect(checkArgs(copy.args, { dest: '/x' }, true).problems[0]!.message).to.match(/one of 'src', 'content' is required/)
    expect(checkArgs(copy.args, { dest: '/x', src: 'a', content: 'b' }, true).problems[0]!.message).to.match(/mutually exclusive/)
    expect(copy.validate!(checkArgs(copy.args, { dest: '/x/', content: 'b' }, true).args as never)).to.deep.equal(['can not use content with a dir as dest'])
    expect(copy.validate!(checkArgs(copy.args, { dest: '/x', content: 'b', validate: 'visudo -c' }, true).args as never)).to.deep.equal([
      'validate must contain %s (the new file): visudo -c',
    ])
    expect(copy.localFiles!(checkArgs(copy.args, { dest: '/x', src: 'a.conf' }, true).args as never)).to.deep.equal([
      { kind: 'files', name: 'a.conf', arg: 'src' },
    ])
    expect(copy.localFiles!(checkArgs(copy.args, { dest: '/x', src: '/tmp/a', remote_src: true }, true).args as never)).to.deep.equal([])
  })

  it('returns checksum, size, mode and the backup file the put step reported', async () => {
    const p = await prepared({ content: 'b\n', dest: '/f', backup: true })
    const st = state([fakePath('/f', { content: 'a\n', mode: '0640' })])
    const r = copy.result!(
      p,
      nameResults(copy.probes(p, ctx), st),
      [{ step: { kind: 'put', path: '/f', content: '' }, code: 0, stdout: 'backup_file=/f.2024-01-01@00:00:00~\n', stderr: '' }],
      ctx,
    )
    expect(r).to.include({ dest: '/f', checksum: sha1('b\n'), size: 2, mode: '0640', backup_file: '/f.2024-01-01@00:00:00~', state: 'file' })
  })
})
