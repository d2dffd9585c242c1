// The file module's plan: (arguments, probed state) → changes, and [] once the state is reached.
import { settleNeeds } from '../../../src/engine/needs.js'
import { nameResults, probeList } from '../../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { file, parseStamp, planTree, type FileArgs } from '../../../src/modules/file.js'
import { setAttrs, setAttrsPrefix } from '../../../src/modules/file-attrs.js'
import { ModuleFailure, type Change, type ProbeContext, type ProbeState } from '../../../src/modules/types.js'
import { pathProbeId, type PathState, type TreeEntry } from '../../../src/probes/files.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'
import { code } from '../../../src/shell/index.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const check: ProbeContext = { ...ctx, check: true }

function args(a: Record<string, unknown>): FileArgs {
  const r = checkArgs(file.args, a, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return r.args as FileArgs
}

function state(paths: PathState[], extra: Record<string, unknown> = {}): ProbeState {
  const s: Record<string, unknown> = { ...extra }
  for (const p of paths) s[pathProbeId(p.path)] = p
  return s
}

function plan(a: Record<string, unknown>, paths: PathState[], c = ctx, extra: Record<string, unknown> = {}): Change[] {
  return settleNeeds(file.plan(args(a), nameResults(file.probes(args(a), c), state(paths, extra)), c), c.check)
}

const scripts = (ch: Change[]) => ch.flatMap((c) => c.steps.map((s) => (s.kind === 'exec' ? s.script.text : `put ${s.path}`))).join('\n')

describe('file module', () => {
  describe('state=directory', () => {
    it('creates a missing directory and each missing parent with owner and mode; then nothing', () => {
      const ch = plan({ path: '/srv/a/b/c', state: 'directory', owner: 'app', mode: '0750' }, [
        missingPath('/srv/a/b/c', { parent: 'missing', ancestor: '/srv' }),
      ])
      expect(ch).to.have.length(1)
      expect(ch[0]!.summary).to.equal('create directory /srv/a/b/c (and 2 parents) (mode 0750, owner app)')
      const s = scripts(ch)
      for (const d of ['/srv/a', '/srv/a/b', '/srv/a/b/c']) {
        expect(s).to.contain(`mkdir -- ${d}\n`)
        expect(s).to.contain(`${setAttrs(d, 'app', undefined, '0750').text}\n`)
      }
      expect(ch[0]!.diff).to.deep.equal({ path: '/srv/a/b/c', before: 'state: absent\n', after: 'state: directory\nowner: app\nmode: 0750\n' })
      expect(
        plan({ path: '/srv/a/b/c', state: 'directory', owner: 'app', mode: '0750' }, [
          fakePath('/srv/a/b/c', { type: 'directory', owner: 'app', mode: '0750' }),
        ]),
      ).to.deep.equal([])
    })

    it('creates a relative path under the current directory', () => {
      const ch = plan({ path: 'data/cache', state: 'directory' }, [missingPath('data/cache', { parent: 'missing', ancestor: '.' })])
      expect(scripts(ch)).to.contain('mkdir -- data\nmkdir -- data/cache')
    })

    it('fixes the mode of an existing directory (symbolic, from its current mode)', () => {
      const ch = plan({ path: '/d', state: 'directory', mode: 'g+w' }, [fakePath('/d', { type: 'directory', mode: '0755' })])
      expect(ch.map((c) => c.summary)).to.deep.equal(['set mode 0755 → 0775 on /d'])
      expect(plan({ path: '/d', state: 'directory', mode: 'g+w' }, [fakePath('/d', { type: 'directory', mode: '0775' })])).to.deep.equal([])
    })

    it('refuses a file in the way, and a file among the parents', () => {
      expect(() => plan({ path: '/d', state: 'directory' }, [fakePath('/d')])).to.throw(ModuleFailure, /already exists as a file/)
      expect(() => plan({ path: '/f/x/y', state: 'directory' }, [missingPath('/f/x/y', { parent: 'missing', ancestor: '/f', ancestorIsDir: false })])).to.throw(
        ModuleFailure,
        /\/f is not a directory/,
      )
    })

    it('follows a symlink to a directory (follow: true) and changes the target', () => {
      const s = fakePath('/link', { type: 'link', linkTarget: '/real', real: '/real', target: { type: 'directory', mode: '0700' } })
      const ch = plan({ path: '/link', state: 'directory', mode: '0755' }, [s])
      expect(scripts(ch)).to.contain(setAttrs('/real', undefined, undefined, '0755').text)
      expect(() => plan({ path: '/link', state: 'directory', follow: false }, [s])).to.throw(/already exists as a link/)
    })

    it('recurse: changes only the groups of entries that differ, ownership before modes; then nothing', () => {
      const tree: TreeEntry[] = [
        { count: 3, type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0 },
        { count: 1, type: 'directory', mode: '0755', owner: 'app', group: 'app', uid: 1000, gid: 1000 },
        { count: 2, type: 'link', mode: '0777', owner: 'root', group: 'root', uid: 0, gid: 0 },
      ]
      const top = fakePath('/srv/app', { type: 'directory', owner: 'app', group: 'app', mode: '0750' })
      const ch = plan({ path: '/srv/app', state: 'directory', recurse: true, owner: 'app', group: 'app', mode: 'u=rwX,g=rX,o=' }, [top], ctx, {
        'tree:/srv/app': tree,
      })
      expect(ch).to.have.length(1)
      expect(ch[0]!.summary).to.equal('set owner app, group app, mode u=rwX,g=rX,o= on 6 entries under /srv/app')
      const s = scripts(ch)
      expect(s.indexOf('chown')).to.be.lessThan(s.indexOf('perl'))
      expect(s).to.contain('find -H /srv/app -mindepth 1 \\( ! -user app -o ! -group app \\) -exec chown -h -- app:app {} +')
      expect(s).to.contain(`find -H /srv/app -mindepth 1 ! -type d ! -type l -perm 0644 -exec ${setAttrsPrefix(undefined, undefined, '0640').text} {} +`)
      expect(s).to.contain(`find -H /srv/app -mindepth 1 -type d -perm 0755 -exec ${setAttrsPrefix(undefined, undefined, '0750').text} {} +`)
      const done: TreeEntry[] = [
        { count: 3, type: 'file', mode: '0640', owner: 'app', group: 'app', uid: 1000, gid: 1000 },
        { count: 1, type: 'directory', mode: '0750', owner: 'app', group: 'app', uid: 1000, gid: 1000 },
        { count: 2, type: 'link', mode: '0777', owner: 'app', group: 'app', uid: 1000, gid: 1000 },
      ]
      expect(
        plan({ path: '/srv/app', state: 'directory', recurse: true, owner: 'app', group: 'app', mode: 'u=rwX,g=rX,o=' }, [top], ctx, { 'tree:/srv/app': done }),
      ).to.deep.equal([])
    })

    it('recurse with an octal mode applies it to files and directories alike (as Ansible does), never to links', () => {
      const t = planTree(
        '/t',
        [
          { count: 1, type: 'link', mode: '0777', owner: 'root', group: 'root', uid: 0, gid: 0 },
          { count: 1, type: 'directory', mode: '0755', owner: 'root', group: 'root', uid: 0, gid: 0 },
        ],
        { mode: '0700' },
        0o022,
      )
      expect(t.cmds.map(String)).to.deep.equal([`find -H /t -mindepth 1 -type d -perm 0755 -exec ${setAttrsPrefix(undefined, undefined, '0700').text} {} +`])
    })
  })

  describe('state=file', () => {
    it('sets owner/group/mode of an existing file, and is idempotent', () => {
      const ch = plan({ path: '/f', state: 'file', owner: 'app', group: 'adm', mode: '0600' }, [fakePath('/f')])
      expect(ch[0]!.summary).to.equal('set owner root → app, group root → adm, mode 0644 → 0600 on /f')
      expect(ch[0]!.diff).to.deep.equal({ path: '/f', before: 'owner: root\ngroup: root\nmode: 0644\n', after: 'owner: app\ngroup: adm\nmode: 0600\n' })
      expect(
        plan({ path: '/f', state: 'file', owner: 'app', group: 'adm', mode: '0600' }, [
          fakePath('/f', { owner: 'app', group: 'adm', mode: '0600', uid: 1000 }),
        ]),
      ).to.deep.equal([])
    })

    it('fails on a missing file, except in check mode where an earlier task may create it', () => {
      expect(() => plan({ path: '/nope', state: 'file' }, [missingPath('/nope')])).to.throw(ModuleFailure, /file \(\/nope\) is absent, cannot continue/)
      const ch = plan({ path: '/nope', state: 'file', mode: '0600' }, [missingPath('/nope')], check)
      expect(ch).to.have.length(1)
      expect(ch[0]!.uncertain).to.equal(true)
    })

    it('fails on a directory', () => {
      expect(() => plan({ path: '/d', state: 'file' }, [fakePath('/d', { type: 'directory' })])).to.throw(/is directory, cannot continue/)
    })

    it('without state, works on what the path is (a directory stays a directory)', () => {
      expect(plan({ path: '/d', mode: '0700' }, [fakePath('/d', { type: 'directory' })])[0]!.summary).to.equal('set mode 0755 → 0700 on /d')
    })

    it('sets a modification time given in the format, then leaves it', () => {
      const a = { path: '/f', state: 'file', modification_time: '202401020304.05' }
      const epochs = { 'epoch:2024-01-02 03:04:05': 1704164645 }
      const ch = plan(a, [fakePath('/f', { mtime: 1700000000 })], ctx, epochs)
      expect(scripts(ch)).to.contain("touch -h -m -d '2024-01-02 03:04:05' -- /f")
      expect(plan(a, [fakePath('/f', { mtime: 1704164645.5 })], ctx, epochs)).to.deep.equal([])
    })
  })

  describe('state=absent', () => {
    it('removes a directory recursively; nothing when already absent', () => {
      const ch = plan({ path: '/d', state: 'absent' }, [fakePath('/d', { type: 'directory' })])
      expect(ch[0]!.summary).to.equal('remove /d (directory, recursively)')
      expect(scripts(ch)).to.contain('rm -rf -- /d')
      expect(plan({ path: '/d', state: 'absent' }, [missingPath('/d')])).to.deep.equal([])
    })
  })

  describe('state=touch', () => {
    it('creates a missing file 0600 and exclusively first, then gives it owner and mode', () => {
      const ch = plan({ path: '/t', state: 'touch', mode: '0640', owner: 'app' }, [missingPath('/t')])
      const s = scripts(ch)
      expect(s).to.contain('(umask 077 && set -C && : > /t)')
      expect(s.indexOf('umask 077')).to.be.lessThan(s.indexOf(setAttrs('/t', 'app', undefined, '0640').text))
    })

    it('a missing file without a mode gets the umask default', () => {
      expect(scripts(plan({ path: '/t', state: 'touch' }, [missingPath('/t', { umask: 0o027 })]))).to.contain(setAttrs('/t', undefined, undefined, '0640').text)
    })

    it('an existing file: times now (always a change), or nothing with preserve', () => {
      expect(plan({ path: '/t', state: 'touch' }, [fakePath('/t')])[0]!.summary).to.equal('set modification time now, access time now on /t')
      expect(plan({ path: '/t', state: 'touch', modification_time: 'preserve', access_time: 'preserve' }, [fakePath('/t')])).to.deep.equal([])
    })
  })

  describe('state=link', () => {
    const src = fakePath('/srv/releases/42', { type: 'directory' })
    it('creates a link atomically (made beside, renamed over), then nothing', () => {
      const ch = plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link' }, [missingPath('/srv/current'), src])
      expect(ch[0]!.summary).to.equal('create link /srv/current → /srv/releases/42')
      const s = scripts(ch)
      expect(s).to.contain('t=$(mktemp -d "$dir/.rmp-tmp.XXXXXXXXXX")')
      expect(s).to.contain('ln -s -- /srv/releases/42 "$t/link"')
      expect(s).to.contain('mv -Tf -- "$t/link" /srv/current')
      expect(s).not.to.contain('.rmp-link')
      const done = fakePath('/srv/current', { type: 'link', linkTarget: '/srv/releases/42', target: { type: 'directory' } })
      expect(plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link' }, [done, src])).to.deep.equal([])
    })

    it('repoints a link to another src', () => {
      const old = fakePath('/srv/current', { type: 'link', linkTarget: '/srv/releases/41', target: { type: 'directory' } })
      const ch = plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link' }, [old, src])
      expect(ch[0]!.summary).to.equal('replace link /srv/current → /srv/releases/42')
      expect(ch[0]!.diff).to.deep.equal({ path: '/srv/current', before: 'state: link\nsrc: /srv/releases/41\n', after: 'state: link\nsrc: /srv/releases/42\n' })
    })

    it('reads only whether a directory in the way is empty, never a whole tree behind the link', () => {
      const ids = probeList(file.probes(args({ path: '/srv/current', src: '/srv/releases/42', state: 'link' }), ctx)).map((p) => p.id)
      expect(ids).to.include('emptydir:/srv/current')
      expect(ids.some((i) => i.startsWith('tree:'))).to.equal(false)
    })

    it('a relative src is looked for beside the link', () => {
      const a = args({ path: '/etc/nginx/sites-enabled/app', src: '../sites-available/app', state: 'link' })
      const ids = probeList(file.probes(a, ctx)).map((p) => p.id)
      expect(ids).to.include(pathProbeId('/etc/nginx/sites-enabled/../sites-available/app'))
    })

    it('will not replace a file without force, nor link to a missing src', () => {
      expect(() => plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link' }, [fakePath('/srv/current'), src])).to.throw(
        /refusing to convert from file to symlink/,
      )
      expect(scripts(plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link', force: true }, [fakePath('/srv/current'), src]))).to.contain('mv -Tf')
      expect(() => plan({ path: '/l', src: '/none', state: 'link' }, [missingPath('/l'), missingPath('/none')])).to.throw(/src file does not exist/)
      expect(plan({ path: '/l', src: '/none', state: 'link', force: true }, [missingPath('/l'), missingPath('/none')])).to.have.length(1)
      expect(plan({ path: '/l', src: '/none', state: 'link' }, [missingPath('/l'), missingPath('/none')], check)[0]!.uncertain).to.equal(true)
    })

    it('replaces an empty directory with force, refuses a non-empty one', () => {
      const d = fakePath('/srv/current', { type: 'directory' })
      expect(
        scripts(plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link', force: true }, [d, src], ctx, { 'emptydir:/srv/current': true })),
      ).to.contain('rmdir -- /srv/current')
      expect(() =>
        plan({ path: '/srv/current', src: '/srv/releases/42', state: 'link', force: true }, [d, src], ctx, { 'emptydir:/srv/current': false }),
      ).to.throw(/not empty/)
    })
  })

  describe('state=hard', () => {
    it('links to the same inode, then nothing; a different file needs force', () => {
      const src = fakePath('/data/a', { inode: 7 })
      expect(scripts(plan({ path: '/data/b', src: '/data/a', state: 'hard' }, [missingPath('/data/b'), src]))).to.contain('ln -P -- /data/a "$t/link"')
      expect(plan({ path: '/data/b', src: '/data/a', state: 'hard' }, [fakePath('/data/b', { inode: 7, nlink: 2 }), src])).to.deep.equal([])
      expect(() => plan({ path: '/data/b', src: '/data/a', state: 'hard' }, [fakePath('/data/b', { inode: 8 }), src])).to.throw(
        /Cannot link, file exists at destination/,
      )
    })
  })

  describe('arguments', () => {
    const problems = (a: Record<string, unknown>) => file.validate!(checkArgs(file.args, a, true).args as FileArgs)
    it('cross-checks state, src, recurse and times at load time', () => {
      expect(problems({ path: '/x', state: 'file', recurse: true })).to.deep.equal(["recurse option requires state to be 'directory'"])
      expect(problems({ path: '/x', state: 'link' })).to.deep.equal(['src is required for state=link'])
      expect(problems({ path: '/x', state: 'directory', src: '/y' })).to.deep.equal(["src option requires state to be 'link' or 'hard'"])
      expect(problems({ path: '/x', state: 'hard', src: 'rel' })).to.deep.equal(['a hard link needs an absolute src'])
      expect(problems({ path: '/x', state: 'touch', modification_time: 'yesterday' })[0]).to.match(/does not match the format/)
      expect(checkArgs(file.args, { path: '/x', mode: 'u+q' }, true).problems[0]!.message).to.match(/octal mode/)
      expect(checkArgs(file.args, { path: '/x', state: 'dir' }, true).problems[0]!.message).to.match(/must be one of/)
    })

    it('reads times in a strftime-like format', () => {
      expect(parseStamp('202401020304.05', '%Y%m%d%H%M.%S')).to.equal('2024-01-02 03:04:05')
      expect(parseStamp('2024-1-2', '%Y-%m-%d')).to.equal('2024-01-02 00:00:00')
      expect(parseStamp('x', '%Y')).to.equal(undefined)
    })
  })

  it('returns what the path is after the change, from the stat line the step printed', () => {
    const a = args({ path: '/d', state: 'directory', mode: '0700' })
    const st = state([fakePath('/d', { type: 'directory' })])
    const out = file.result!(
      a,
      nameResults(file.probes(a, ctx), st),
      [{ step: { kind: 'exec', script: code('') }, code: 0, stderr: '', stdout: '@@rmp-stat 41c0 700 0 0 4096 1 1 1 5 6 2 root root\n' }],
      ctx,
    )
    expect(out).to.include({ path: '/d', state: 'directory', mode: '0700', owner: 'root', size: 4096 })
  })
})
