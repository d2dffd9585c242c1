// unarchive's plan on recorded listings and dest states: what differs, what the step runs, and
// no change once dest has what the archive has. Also member selection and argument errors.
import { settleNeeds } from '../../../src/engine/needs.js'
import { nameResults, probeList } from '../../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { checkArgs } from '../../../src/modules/schema.js'
import { ModuleFailure, type Change, type ExecStep, type ProbeContext } from '../../../src/modules/types.js'
import {
  destMembers,
  excluded,
  memberDiffers,
  selectedMembers,
  stripComponents,
  unarchive,
  type UnarchiveArgs,
  type UnarchivePrepared,
} from '../../../src/modules/unarchive.js'
import { parseDestEntries, parseRemoteArchive, parseTarListing, type ArchiveMember } from '../../../src/probes/archive.js'
import { parsePathState } from '../../../src/probes/files.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const DIR =
  'umask 0022\nlstat 41ed 755 0 0 4096 1795958538.3 1795958538.3 1795958538.3 1548420 121 3 root root\nparent directory\nancestor /srv/d\nancestordir 1\n'
const NONE = 'umask 0022\nparent directory\nancestor /srv\nancestordir 1\n'
// GNU tar's listing of app.tgz (made with --mtime=2024-05-01 12:00:00), and find's view of dest after extracting it.
const LISTING =
  'drwxr-xr-x root/root         0 2024-05-01 12:00:00 app/\n-rw-r--r-- root/root        15 2024-05-01 12:00:00 app/main.py\ndrwxr-xr-x root/root         0 2024-05-01 12:00:00 app/static/\n-rw-r--r-- root/root        19 2024-05-01 12:00:00 app/static/site.css\n'
const T = Date.parse('2024-05-01T12:00:00Z') / 1000
const EXTRACTED = `d 755 4096 ${T}.0000000000 0 0 root root\t./app\nf 644 15 ${T}.0000000000 0 0 root root\t./app/main.py\nd 755 4096 ${T}.0000000000 0 0 root root\t./app/static\nf 644 19 ${T}.0000000000 0 0 root root\t./app/static/site.css\n`

function prepared(input: Record<string, unknown>, members: ArchiveMember[] = parseTarListing(LISTING)): UnarchivePrepared {
  const { args, problems } = checkArgs(unarchive.args, { src: 'app.tgz', dest: '/srv/d', ...input }, false)
  expect(problems).to.deep.equal([])
  const a = args as UnarchiveArgs
  if (a.remote_src) return a
  return { ...a, local: { content: Buffer.from('archive bytes'), format: 'tar', compression: 'gzip', members, sha256: 'x' } }
}

function stateFor(p: UnarchivePrepared, o: { dest?: string; entries?: string; tools?: string[]; remote?: string; creates?: boolean }) {
  const st: Record<string, unknown> = {}
  const named = unarchive.probes(p, ctx)
  for (const probe of probeList(named)) {
    if (probe.id === `path:${p.dest}:0::`) st[probe.id] = parsePathState(p.dest, { stdout: o.dest ?? DIR, code: 0 })
    else if (probe.id.startsWith('path:')) st[probe.id] = parsePathState(p.creates!, { stdout: o.creates ? DIR : NONE, code: 0 })
    else if (probe.id.startsWith('tools:')) st[probe.id] = o.tools ?? ['tar', 'gzip', 'xz']
    else if (probe.id.startsWith('unarchive-dest:')) st[probe.id] = { entries: parseDestEntries(o.entries ?? '') }
    else if (probe.id.startsWith('unarchive-remote:')) st[probe.id] = parseRemoteArchive({ stdout: o.remote ?? '', code: 0 })
  }
  return nameResults(named, st)
}

const planOf = (p: UnarchivePrepared, st: ReturnType<typeof stateFor>, c = ctx) => settleNeeds(unarchive.plan(p, st, c), c.check)
const step = (ch: Change) => ch.steps[0] as ExecStep

describe('modules/unarchive: plan', () => {
  it('an empty dest: everything is extracted from the controller archive sent on stdin; then nothing to do', () => {
    const p = prepared({})
    const ch = planOf(p, stateFor(p, {}))
    expect(ch[0]!.summary).to.equal('unarchive app.tgz into /srv/d (4 members of 4 missing or different)')
    expect(step(ch[0]!).stdin).to.deep.equal(Buffer.from('archive bytes'))
    expect(step(ch[0]!).script.text).to.include('cat > "$arc"\n').and.include('\ntar -x -f "$arc" -C "$dest"')
    expect(ch[0]!.diff).to.deep.equal({
      path: '/srv/d',
      before: 'app: missing\napp/main.py: missing\napp/static: missing\napp/static/site.css: missing\n',
      after: 'extracted from app.tgz (4 members)\n',
    })
    expect(planOf(p, stateFor(p, { entries: EXTRACTED }))).to.deep.equal([])
  })

  it('a file with another size or time is a difference; with -m times are not compared', () => {
    const p = prepared({})
    const changed = EXTRACTED.replace(`f 644 15 ${T}`, `f 644 17 ${T + 100}`)
    expect(planOf(p, stateFor(p, { entries: changed }))[0]!.diff!.before).to.equal('app/main.py: size 17 ≠ 15\n')
    const touched = EXTRACTED.replace(`f 644 15 ${T}`, `f 644 15 ${T + 100}`)
    expect(planOf(p, stateFor(p, { entries: touched }))[0]!.diff!.before).to.equal('app/main.py: modification time differs\n')
    const pm = prepared({ extra_opts: ['-m'] })
    expect(planOf(pm, stateFor(pm, { entries: touched }))).to.deep.equal([])
  })

  it('owner and mode apply to every member; a symbolic mode with X suits files and directories', () => {
    const p = prepared({ owner: 'nobody', mode: 'u=rwX,g=rX,o=' })
    const ch = planOf(p, stateFor(p, { entries: EXTRACTED }))
    expect(ch[0]!.summary).to.equal('unarchive app.tgz into /srv/d (owner/group/mode of 4 members)')
    const s = step(ch[0]!).script.text
    expect(s).to.include('xargs -0 -r chown -h -- nobody')
    expect(s).to.include('chmod -- "$0" "$f"; done\' u=rwX,g=rX,o=')
    const after = EXTRACTED.replace(/^d 755 (\S+ \S+) 0 0 root root/gm, 'd 750 $1 65534 65534 nobody nogroup').replace(
      /^f 644 (\S+ \S+) 0 0 root root/gm,
      'f 640 $1 65534 65534 nobody nogroup',
    )
    expect(planOf(p, stateFor(p, { entries: after }))).to.deep.equal([])
  })

  it('remote_src: the host lists the archive; strip-components and exclude shape what is compared', () => {
    const p = prepared({ src: '/srv/app.tar.xz', remote_src: true, extra_opts: ['--strip-components=1'], exclude: ['*.css'] })
    const remote = `@magic fd377a585a00\n@list\n${LISTING}@dest\n`
    const ch = planOf(p, stateFor(p, { remote }))
    expect(ch[0]!.diff!.before).to.equal('main.py: missing\nstatic: missing\n')
    expect(step(ch[0]!).script.text).to.include('arc=/srv/app.tar.xz\n').and.include('\ntar -x -f "$arc" -C "$dest" --strip-components=1 \'--exclude=*.css\'')
    expect(step(ch[0]!).stdin).to.equal(undefined)
    const there = `@magic fd377a585a00\n@list\n${LISTING}@dest\nf 644 15 ${T}.0 0 0 root root\t./main.py\nd 755 4096 ${T}.0 0 0 root root\t./static\n`
    expect(planOf(p, stateFor(p, { remote: there }))).to.deep.equal([])
  })

  it('a zip needs unzip on the host: a clear failure (would run in check mode, where an earlier task may install it)', () => {
    const p = prepared({ src: '/srv/a.zip', remote_src: true })
    const st = stateFor(p, { remote: '@magic 504b03040a00\n@error unzip is not installed on the host\n', tools: ['tar', 'gzip'] })
    expect(() => planOf(p, st)).to.throw(ModuleFailure, 'unzip is not installed on the host: install unzip to unpack /srv/a.zip')
    expect(planOf(p, st, { ...ctx, check: true })[0]!.uncertain).to.equal(true)
    const x = prepared({ src: '/srv/a.tar.xz', remote_src: true })
    expect(() =>
      planOf(x, stateFor(x, { remote: '@magic fd377a585a00\n@error tar (child): xz: Cannot exec: No such file or directory\n', tools: ['tar', 'gzip'] })),
    ).to.throw(ModuleFailure, 'xz is not installed on the host: install xz-utils to unpack /srv/a.tar.xz')
  })

  it('creates skips the task; a missing dest, a missing remote archive', () => {
    const p = prepared({ creates: '/srv/d/app' })
    // As Ansible's action: the task is skipped, with its message
    expect(unarchive.skip!(p, stateFor(p, { creates: true }))).to.equal('skipped, since /srv/d/app exists')
    expect(unarchive.skip!(p, stateFor(p, { creates: false }))).to.equal(undefined)
    const q = prepared({})
    expect(() => planOf(q, stateFor(q, { dest: NONE }))).to.throw(ModuleFailure, "dest '/srv/d' must be an existing dir")
    expect(planOf(q, stateFor(q, { dest: NONE }), { ...ctx, check: true })[0]!.summary).to.equal('unarchive app.tgz into /srv/d (/srv/d does not exist yet)')
    const r = prepared({ src: '/srv/x.tgz', remote_src: true })
    expect(() => planOf(r, stateFor(r, { remote: '@missing\n' }))).to.throw(ModuleFailure, "Source '/srv/x.tgz' does not exist")
  })
})

describe('modules/unarchive: members', () => {
  const m = (name: string, type: ArchiveMember['type'] = 'file'): ArchiveMember => ({ name, type })
  it('exclude matches like tar: unanchored, wildcards cross /, a directory takes its content', () => {
    expect(excluded('app/static/site.css', ['*.css'])).to.equal(true)
    expect(excluded('app/static/site.css', ['static'])).to.equal(true)
    expect(excluded('app/main.py', ['static', '*.css'])).to.equal(false)
    expect(excluded('app/x.pyc', ['app/*.py?'])).to.equal(true)
  })
  it('include takes exact names and what is under them', () => {
    expect(selectedMembers([m('app', 'directory'), m('app/a'), m('apple'), m('etc/x')], ['app/'], []).map((x) => x.name)).to.deep.equal(['app', 'app/a'])
  })
  it('strip-components', () => {
    expect(stripComponents(['--strip-components=2'])).to.equal(2)
    expect(stripComponents(['--strip-components', '1'])).to.equal(1)
    expect(stripComponents(['-v'])).to.equal(0)
    expect(destMembers([m('app', 'directory'), m('app/a'), m('app/b/c')], 1).map((x) => x.name)).to.deep.equal(['a', 'b/c'])
  })
  it('memberDiffers', () => {
    const e = { type: 'file' as const, mode: '0644', size: 3, mtime: 100.7, uid: 0, gid: 0, owner: 'root', group: 'root' }
    expect(memberDiffers({ name: 'a', type: 'file', size: 3, mtime: 100 }, e, true)).to.equal(undefined)
    expect(memberDiffers({ name: 'a', type: 'hardlink' }, e, true)).to.equal(undefined)
    expect(memberDiffers({ name: 'a', type: 'directory' }, e, true)).to.equal('file instead of directory')
    expect(memberDiffers({ name: 'a', type: 'file', size: 3 }, undefined, true)).to.equal('missing')
  })
})

describe('modules/unarchive: arguments', () => {
  const problems = (input: Record<string, unknown>) => {
    const { args, problems } = checkArgs(unarchive.args, input, true)
    return [...problems.map((p) => p.message), ...(problems.length ? [] : unarchive.validate!(args as UnarchiveArgs))]
  }
  it('URLs, non-archives, include with exclude, dest required; controller files are checked at load time', () => {
    expect(problems({ src: 'https://h/a.tgz', dest: '/x', remote_src: true })).to.deep.equal([
      'src as a URL is not supported: download it with get_url, then unarchive with remote_src: true',
    ])
    expect(problems({ src: 'backup.sql.gz', dest: '/x' })[0]).to.match(/is not a tar or zip archive/)
    expect(problems({ src: 'a.tgz', dest: '/x', include: ['a'], exclude: ['b'] })).to.deep.equal(["arguments 'include' and 'exclude' are mutually exclusive"])
    expect(problems({ src: 'a.tgz' })).to.deep.equal(["missing required argument 'dest'"])
    expect(unarchive.localFiles!({ src: 'a.tgz', remote_src: false } as UnarchiveArgs)).to.deep.equal([{ kind: 'files', name: 'a.tgz', arg: 'src' }])
    expect(unarchive.localFiles!({ src: '/srv/a.tgz', remote_src: true } as UnarchiveArgs)).to.deep.equal([])
  })
})
