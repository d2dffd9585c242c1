// Probe outputs recorded on a lab host (Debian, dash, coreutils 9) by running pathProbe/treeProbe
// scripts over SSH; the setup was:
//   mkdir -p /srv/rec/d/sub; printf "a=1\\nb=2\\n" > /srv/rec/f.conf (0640 root:daemon, mtime 2024-01-02 03:04:05);
//   ln -s f.conf /srv/rec/l; ln -s /nope /srv/rec/dangling; printf "\\000\\001bin" > /srv/rec/bin;
//   touch d/x (0600) d/sub/y (owned by 1234:4321, no names); ln -s ../f.conf d/lnk
import { createHash } from 'node:crypto'
import type { ProbeOutput } from '../../../src/modules/types.js'
import { parsePathState, type FileStat, type PathState } from '../../../src/probes/files.js'

export interface Recorded {
  path: string
  out: ProbeOutput
}

export const recorded: Record<string, Recorded> = {
  file: {
    path: '/srv/rec/f.conf',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat 81a0 640 0 1 8 1704164645.000000000 1704164645.000000000 1795957073.179878301 1908759 166 1 root daemon\nsum 5c913f3105032302017e444852688ef5b95c4a0f  -\ncontent YT0xCmI9Mgo=\nparent directory\nancestor /srv/rec/f.conf\nancestordir 0\n',
    },
  },
  link: {
    path: '/srv/rec/l',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat a1ff 777 0 0 6 1795957073.031878301 1795957073.319878301 1795957073.031878301 1908761 166 1 root root\nlink Zi5jb25mCg==\nreal L3Nydi9yZWMvZi5jb25mCg==\ntarget 81a0 640 0 1 8 1704164645.000000000 1795957073.271878301 1795957073.179878301 1908759 166 1 root daemon\nsum 5c913f3105032302017e444852688ef5b95c4a0f  -\ncontent YT0xCmI9Mgo=\nparent directory\nancestor /srv/rec/l\nancestordir 0\n',
    },
  },
  dangling: {
    path: '/srv/rec/dangling',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat a1ff 777 0 0 5 1795957073.051878301 1795957073.639878301 1795957073.051878301 1908772 166 1 root root\nlink L25vcGUK\nreal L25vcGUK\nparent directory\nancestor /srv/rec/dangling\nancestordir 0\n',
    },
  },
  dir: {
    path: '/srv/rec/d',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat 41ed 755 0 0 4096 1795957073.151878301 1795957072.979878301 1795957073.151878301 1908757 166 3 root root\nparent directory\nancestor /srv/rec/d\nancestordir 1\n',
    },
  },
  missing: { path: '/srv/rec/no/such/file', out: { code: 0, stdout: 'umask 0022\nparent missing\nancestor /srv/rec\nancestordir 1\n' } },
  binary: {
    path: '/srv/rec/bin',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat 81a4 644 0 0 5 1795957073.067878301 1795957073.067878301 1795957073.067878301 1908773 166 1 root root\nsum 981ec0c3de7de1b4bd41dbecb498e4ad1b77079b  -\ncontent AAFiaW4=\nparent directory\nancestor /srv/rec/bin\nancestordir 0\n',
    },
  },
  'small-limit': {
    path: '/srv/rec/f.conf',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat 81a0 640 0 1 8 1704164645.000000000 1795957073.271878301 1795957073.179878301 1908759 166 1 root daemon\nsum 5c913f3105032302017e444852688ef5b95c4a0f  -\ntoolarge\nparent directory\nancestor /srv/rec/f.conf\nancestordir 0\n',
    },
  },
  'stat-options': {
    path: '/srv/rec/f.conf',
    out: {
      code: 0,
      stdout:
        'umask 0022\nlstat 81a0 640 0 1 8 1704164645.000000000 1795957073.271878301 1795957073.179878301 1908759 166 1 root daemon\nsum 4a73850fde34aad40ff8649b93a66523a5fe744357a3931caea0f10609d0d930  -\naccess 1 1 0\nattrs --------------e------- /srv/rec/f.conf\nparent directory\nancestor /srv/rec/f.conf\nancestordir 0\n',
    },
  },
  'under-file': { path: '/srv/rec/f.conf/x', out: { code: 0, stdout: 'umask 0022\nparent other\nancestor /srv/rec/f.conf\nancestordir 0\n' } },
  tree: {
    path: '/srv/rec/d',
    out: { code: 0, stdout: '      1 d 755 0 0 root root\n      1 f 600 0 0 root root\n      1 f 644 1234 4321 1234 4321\n      1 l 777 0 0 root root\n' },
  },
}

/** The parsed state of a recorded probe output. */
export function recordedState(name: string): PathState {
  const r = recorded[name]!
  return parsePathState(r.path, r.out)
}

/** A regular file's, directory's or link's state for plan tests (defaults: a root-owned 0644 file). */
export interface FakeOptions {
  type?: FileStat['type']
  mode?: string
  owner?: string
  group?: string
  uid?: number
  gid?: number
  content?: string | Buffer
  linkTarget?: string
  target?: Partial<FileStat>
  real?: string
  nlink?: number
  inode?: number
  dev?: number
  mtime?: number
  atime?: number
  umask?: number
}

export function fakeStat(o: Partial<FileStat> = {}): FileStat {
  return {
    type: 'file',
    mode: '0644',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    size: 0,
    mtime: 1700000000,
    atime: 1700000000,
    ctime: 1700000000,
    inode: 100,
    dev: 1,
    nlink: 1,
    ...o,
  }
}

export function fakePath(path: string, o: FakeOptions = {}): PathState {
  const content = o.content === undefined ? undefined : Buffer.from(o.content)
  const stat = fakeStat({
    type: o.type ?? 'file',
    mode: o.mode ?? (o.type === 'directory' ? '0755' : o.type === 'link' ? '0777' : '0644'),
    owner: o.owner ?? 'root',
    group: o.group ?? 'root',
    uid: o.uid ?? 0,
    gid: o.gid ?? 0,
    size: content?.length ?? 0,
    nlink: o.nlink ?? 1,
    inode: o.inode ?? 100,
    dev: o.dev ?? 1,
    mtime: o.mtime ?? 1700000000,
    atime: o.atime ?? 1700000000,
  })
  const s: PathState = {
    path,
    exists: true,
    stat,
    parent: 'directory',
    ancestor: path,
    ancestorIsDir: o.type === 'directory',
    umask: o.umask ?? 0o022,
    real: o.real ?? path,
  }
  if (o.type === 'link') {
    s.linkTarget = o.linkTarget
    if (o.target) s.target = fakeStat(o.target)
  }
  const file = o.type === 'link' ? s.target?.type === 'file' : stat.type === 'file'
  if (file && content) {
    s.content = content
    s.checksum = createHash('sha1').update(content).digest('hex')
  } else if (file) {
    s.content = Buffer.alloc(0)
    s.checksum = createHash('sha1').update('').digest('hex')
  }
  return s
}

/** A path that does not exist; by default its directory does. */
export function missingPath(path: string, o: { parent?: PathState['parent']; ancestor?: string; ancestorIsDir?: boolean; umask?: number } = {}): PathState {
  const dir = path.replace(/\/[^/]+\/?$/, '') || '/'
  return {
    path,
    exists: false,
    parent: o.parent ?? 'directory',
    ancestor: o.ancestor ?? dir,
    ancestorIsDir: o.ancestorIsDir ?? true,
    umask: o.umask ?? 0o022,
    real: path,
  }
}
