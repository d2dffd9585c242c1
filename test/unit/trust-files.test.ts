// Trust cases of the file writes, on this machine (the put script and the no-follow attribute
// setter run for real through a local connection; the module plans are pure). The same promises are
// proven on lab hosts in test/e2e/trust-files.test.ts.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalConnection } from '../../src/connection/local.js'
import { putScript } from '../../src/connection/put-file.js'
import { copy } from '../../src/modules/copy.js'
import { setAttrs } from '../../src/modules/file-attrs.js'
import { file } from '../../src/modules/file.js'
import { checkArgs } from '../../src/modules/schema.js'
import type { Change, ExecStep, ProbeContext, PrepareContext, PutStep } from '../../src/modules/types.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { DIFF_LIMIT } from '../../src/probes/files.js'
import { fakePath, missingPath } from './probes/files-recorded.js'
import { code } from '../../src/shell/index.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const temps = (d: string) => readdirSync(d).filter((n) => n.startsWith('.rmp-'))

describe('trust: file writes on this machine', function () {
  this.timeout(20000)
  let c: LocalConnection
  let d: string
  beforeEach(() => {
    c = new LocalConnection('local')
    d = mkdtempSync(join(tmpdir(), 'rmp-trust-files-'))
  })
  afterEach(async () => c.close())

  it('trust 32: a transfer cut short or corrupted is never renamed into place, and its temp is removed', async () => {
    const dest = join(d, 'app.conf')
    writeFileSync(dest, 'old\n')
    const step: PutStep = { kind: 'put', path: dest, content: 'new content, complete\n' }
    // What a killed controller leaves: the remote shell sees a normal end of input after part of it.
    let r = await c.exec(putScript(step), { stdin: 'new content, com' })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/upload of .*app\.conf incomplete: 16 of 22 bytes arrived; the destination is unchanged/)
    expect(readFileSync(dest, 'utf8')).to.equal('old\n')
    expect(temps(d)).to.deep.equal([])
    // Same size, other bytes.
    r = await c.exec(putScript(step), { stdin: 'new content, COMPLETE\n' })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/upload of .*app\.conf corrupt: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/)
    expect(readFileSync(dest, 'utf8')).to.equal('old\n')
    expect(temps(d)).to.deep.equal([])
    r = await c.exec(putScript(step), { stdin: 'new content, complete\n' })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(dest, 'utf8')).to.equal('new content, complete\n')
    expect(temps(d)).to.deep.equal([])
  })

  it('trust 32: the next write removes temps of killed runs, and only those (own, real directories, process gone)', async () => {
    const dead = await new Promise<number>((res) => {
      const p = spawn('true')
      p.on('exit', () => res(p.pid!))
    })
    const mk = (name: string) => {
      mkdirSync(join(d, name), { mode: 0o700 })
      return join(d, name)
    }
    const stale = mk('.rmp-tmp.deadAAAAAA')
    writeFileSync(join(stale, `pid.${dead}`), '')
    writeFileSync(join(stale, 'new'), 'partial')
    writeFileSync(join(mk('.rmp-tmp.liveBBBBBB'), `pid.${process.pid}`), '')
    mk('.rmp-tmp.freshCCCCC')
    const old = mk('.rmp-tmp.oldDDDDDDD')
    utimesSync(old, new Date(Date.now() - 5 * 60000), new Date(Date.now() - 5 * 60000))
    const foreign = mk('.rmp-tmp.otherEEEEE')
    writeFileSync(join(foreign, `pid.${dead}`), '')
    chownSync(foreign, 65534, 65534)
    mkdirSync(join(d, 'elsewhere'))
    writeFileSync(join(d, 'elsewhere', `pid.${dead}`), '')
    symlinkSync(join(d, 'elsewhere'), join(d, '.rmp-tmp.linkFFFFFF'))
    mk('.rmp-tmp.short')
    const r = await c.exec(putScript({ kind: 'put', path: join(d, 'f'), content: 'x' }), { stdin: 'x' })
    expect(r.code, r.stderr).to.equal(0)
    expect(temps(d).sort()).to.deep.equal(['.rmp-tmp.freshCCCCC', '.rmp-tmp.linkFFFFFF', '.rmp-tmp.liveBBBBBB', '.rmp-tmp.otherEEEEE', '.rmp-tmp.short'])
    expect(readdirSync(join(d, 'elsewhere'))).to.deep.equal([`pid.${dead}`])
  })

  it('trust 33: a new 0600 file under umask 000 is 0600 from the first byte: the temp is 0600 in a 0700 directory before the rename', async () => {
    const dest = join(d, 'secret.env')
    const seen = join(d, 'seen')
    // validate runs on the temp file just before the rename: it records what another user could see.
    const validate = `sh -c 'stat -c "%a %U %n" "$1" "\${1%/*}" > ${seen}; [ ! -e ${dest} ]' _ %s`
    const r = await c.exec(code(`umask 000; ${putScript({ kind: 'put', path: dest, content: 'TOKEN=1\n', mode: '0600', validate })}`), { stdin: 'TOKEN=1\n' })
    expect(r.code, r.stderr).to.equal(0)
    const lines = readFileSync(seen, 'utf8').trim().split('\n')
    expect(lines[0]).to.match(/^600 root .*\/\.rmp-tmp\.[A-Za-z0-9]{10}\/new$/)
    expect(lines[1]).to.match(/^700 root .*\/\.rmp-tmp\.[A-Za-z0-9]{10}$/)
    expect((statSync(dest).mode & 0o777).toString(8)).to.equal('600')
    // Without a mode, umask 000 gives 0666 as Ansible would, but only at the rename.
    const r2 = await c.exec(code(`umask 000; ${putScript({ kind: 'put', path: join(d, 'open'), content: 'x' })}`), { stdin: 'x' })
    expect(r2.code, r2.stderr).to.equal(0)
    expect((statSync(join(d, 'open')).mode & 0o777).toString(8)).to.equal('666')
  })

  it('trust 34: owner and mode never go through a symlink: the setter refuses it and the target is untouched', async () => {
    const target = join(d, 'target')
    writeFileSync(target, 'root only\n', { mode: 0o600 })
    symlinkSync(target, join(d, 'swapped'))
    writeFileSync(join(d, 'plain'), 'p\n', { mode: 0o600 })
    const r = await c.exec(code(`set -e; ${setAttrs([join(d, 'swapped'), join(d, 'plain')], 'nobody', undefined, '0644').text}`))
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/swapped is a symlink now \(it was not when read\): not following it/)
    expect((statSync(target).mode & 0o777).toString(8)).to.equal('600')
    expect(statSync(target).uid).to.equal(0)
    // The other path of the same command was changed.
    expect((statSync(join(d, 'plain')).mode & 0o777).toString(8)).to.equal('644')
    expect(statSync(join(d, 'plain')).uid).to.equal(65534)
    // A file its owner cannot read (0000) is changed too (O_PATH needs no read permission).
    chmodSync(d, 0o755)
    const locked = join(d, 'locked')
    writeFileSync(locked, '')
    chmodSync(locked, 0)
    chownSync(locked, 65534, 65534)
    const r2 = await c.exec(code(`su -s /bin/sh nobody -c ${JSON.stringify(setAttrs(locked, undefined, undefined, '0640').text).replace(/\$/g, '\\$')}`))
    expect(r2.code, r2.stderr).to.equal(0)
    expect((statSync(locked).mode & 0o777).toString(8)).to.equal('640')
  })

  it('trust 27: file state=link makes its link in a fresh mktemp -d directory; a planted .rmp-link.PID symlink is never used', async () => {
    const ch = file.plan(
      checkArgs(file.args, { path: join(d, 'current'), src: '/srv/releases/42', state: 'link', force: true }, false).args as never,
      {
        path: missingPath(join(d, 'current')),
        src: fakePath('/srv/releases/42', { type: 'directory' }),
        tree: undefined,
        emptyDir: undefined,
        mtime: undefined,
        atime: undefined,
      },
      ctx,
    )
    const script = (ch[0]!.steps[0] as ExecStep).script
    // The old predictable name, planted for every pid the session shell could have.
    mkdirSync(join(d, 'attacker'))
    const shellPid = Number((await c.exec(code('echo $$'))).stdout.trim())
    for (let p = shellPid - 5; p < shellPid + 50; p++) symlinkSync(join(d, 'attacker', 'owned'), join(d, `.rmp-link.${p}`))
    const r = await c.exec(script)
    expect(r.code, r.stderr).to.equal(0)
    expect(readlinkSync(join(d, 'current'))).to.equal('/srv/releases/42')
    expect(readdirSync(join(d, 'attacker'))).to.deep.equal([])
    expect(temps(d).filter((n) => n.startsWith('.rmp-tmp'))).to.deep.equal([])
    expect(lstatSync(join(d, `.rmp-link.${shellPid}`)).isSymbolicLink()).to.equal(true)
  })
})

describe('trust 37: --diff of copy and template content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-diff-'))
  const prep: PrepareContext = {
    findFile: (_k, n) => join(dir, n),
    renderTemplate: () => '',
    readFile: (p) => readFileSync(p),
    evaluate: () => undefined,
    readUnknown: () => false,
    isUndefined: () => false,
    condition: () => true,
    vars: {},
  }
  async function diffOf(a: Record<string, unknown>, existing?: string): Promise<Change['diff']> {
    const p = await copy.prepare!(checkArgs(copy.args, a, false).args as never, prep)
    const dest = String(a.dest)
    const st = existing === undefined ? missingPath(dest) : fakePath(dest, { content: existing })
    return copy.plan(p, { dest: st, child: undefined, remote: undefined, dirs: [], files: [], links: [], linkDirs: [] }, ctx)[0]!.diff
  }

  it('trust 37: text is shown as before/after; a vault-encrypted source is a placeholder with its size, never the bytes or a checksum', async () => {
    expect(await diffOf({ content: 'b\n', dest: '/f' }, 'a\n')).to.deep.equal({ path: '/f', before: 'a\n', after: 'b\n' })
    setVaultPassword('pw')
    try {
      writeFileSync(join(dir, 'secret.env'), encryptVault('TOKEN=hunter2-long\n', 'pw'))
      const d = await diffOf({ src: 'secret.env', dest: '/s' }, 'TOKEN=old-secret\n')
      expect(d).to.deep.equal({ path: '/s', before: '(secret content hidden, 17 bytes)\n', after: '(secret content hidden, 19 bytes)\n' })
      expect(JSON.stringify(d)).not.to.match(/hunter2|old-secret|sha1/)
    } finally {
      setVaultPassword(undefined)
    }
  })

  it('trust 37: binary and huge files are summarised ("binary file, N bytes", "N bytes, too large to show"), not dumped', async () => {
    writeFileSync(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]))
    const bin = await diffOf({ src: 'logo.png', dest: '/logo.png' })
    expect(bin!.after).to.match(/^\(binary file, 8 bytes, sha1 [0-9a-f]{40}\)\n$/)
    writeFileSync(join(dir, 'huge.txt'), 'x'.repeat(DIFF_LIMIT + 1))
    const huge = await diffOf({ src: 'huge.txt', dest: '/huge.txt' }, 'small\n')
    expect(huge).to.deep.include({ before: 'small\n' })
    expect(huge!.after).to.match(new RegExp(`^\\(${DIFF_LIMIT + 1} bytes, too large to show, sha1 [0-9a-f]{40}\\)\\n$`))
    expect(existsSync(join(dir, 'huge.txt'))).to.equal(true)
  })
})
