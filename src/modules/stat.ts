/**
 * stat — read what a path is (and whether it exists) into a registered variable; changes nothing,
 * so it also runs in check mode.
 *
 * Returns `stat.exists`, and for an existing path: `path`, `mode` ('0644'), `isdir`, `isreg`,
 * `islnk`, `ischr`, `isblk`, `isfifo`, `issock`, `uid`, `gid`, `pw_name`, `gr_name`, `size`,
 * `mtime`/`atime`/`ctime` (seconds), `inode`, `dev`, `nlink`, the permission bits (`rusr`, `wusr`,
 * `xusr`, `rgrp` ... `xoth`, `isuid`, `isgid`), `readable`/`writeable`/`executable` (for the
 * connecting or become user), `checksum` of a regular file (`get_checksum`, algorithm
 * `checksum_algorithm`: sha1 by default, sha224/256/384/512, md5), `lnk_source` (the resolved path)
 * and `lnk_target` (the link as written) for a symlink, `mimetype`/`charset` when the host has the
 * `file` command (`get_mime`), and `attributes` / `attr_flags` when lsattr works (`get_attributes`).
 * `follow: true` reports what a symlink points to instead of the link.
 *
 *   - stat: { path: /opt/runmaster/.env.production }
 *     register: env_file
 *   - assert:
 *       that: [env_file.stat.exists, "env_file.stat.mode == '0600'"]
 */
import { effectiveStat, pathProbe, type PathProbeOptions, type PathState } from '../probes/files.js'
import type { HostModule } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type StatArgs = ArgsOf<typeof schema>

const ATTR_NAMES: Record<string, string> = {
  a: 'append',
  A: 'noatime',
  c: 'compressed',
  C: 'nocow',
  d: 'nodump',
  D: 'dirsync',
  e: 'extents',
  E: 'encrypted',
  F: 'casefold',
  i: 'immutable',
  I: 'indexed',
  j: 'journalled',
  m: 'nocompress',
  N: 'inline',
  P: 'projinherit',
  s: 'secure',
  S: 'synchronous',
  t: 'notail',
  T: 'topdir',
  u: 'undelete',
  V: 'verity',
  x: 'dax',
}

function options(a: StatArgs): PathProbeOptions {
  return {
    checksum: a.get_checksum ? a.checksum_algorithm : undefined,
    access: true,
    mime: a.get_mime || a.get_attributes ? (a.follow ? 'L' : 'P') : undefined,
  }
}

/** Ansible's stat dictionary from a probed path state. */
export function statResult(a: Pick<StatArgs, 'path' | 'follow' | 'get_checksum' | 'get_mime' | 'get_attributes'>, s: PathState): Record<string, unknown> {
  const st = effectiveStat(s, a.follow)
  if (!st) return { exists: false }
  const m = parseInt(st.mode, 8)
  const bit = (b: number) => (m & b) !== 0
  const out: Record<string, unknown> = {
    exists: true,
    path: a.path,
    mode: st.mode,
    isdir: st.type === 'directory',
    ischr: st.type === 'char',
    isblk: st.type === 'block',
    isreg: st.type === 'file',
    isfifo: st.type === 'fifo',
    islnk: st.type === 'link',
    issock: st.type === 'socket',
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    inode: st.inode,
    dev: st.dev,
    nlink: st.nlink,
    atime: st.atime,
    mtime: st.mtime,
    ctime: st.ctime,
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o020),
    rgrp: bit(0o040),
    xgrp: bit(0o010),
    woth: bit(0o002),
    roth: bit(0o004),
    xoth: bit(0o001),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
    pw_name: st.owner,
    gr_name: st.group,
  }
  if (s.access) Object.assign(out, { readable: s.access.readable, writeable: s.access.writeable, executable: s.access.executable })
  if (st.type === 'link') {
    out.lnk_source = s.real
    out.lnk_target = s.linkTarget
  }
  if (a.get_checksum && st.type === 'file' && s.checksum) out.checksum = s.checksum
  if (a.get_mime && s.mime) {
    const [type, ...params] = s.mime.split(';').map((x) => x.trim())
    out.mimetype = type
    const cs = params.find((p) => p.startsWith('charset='))
    if (cs) out.charset = cs.slice('charset='.length)
  }
  if (a.get_attributes && s.attrFlags !== undefined) {
    out.attr_flags = s.attrFlags
    out.attributes = [...s.attrFlags].map((f) => ATTR_NAMES[f] ?? f)
  }
  return out
}

const probes = (a: StatArgs) => ({ path: pathProbe(a.path, options(a)) })

const schema = {
  options: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], doc: 'The path to look at.' },
    follow: { type: 'bool', default: false, doc: 'Report the target of a symlink instead of the link.' },
    get_checksum: { type: 'bool', default: true, doc: 'Compute the checksum of a regular file.' },
    checksum_algorithm: {
      type: 'str',
      default: 'sha1',
      aliases: ['checksum', 'checksum_algo'],
      choices: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'],
      doc: 'The checksum algorithm.',
    },
    get_mime: { type: 'bool', default: true, aliases: ['mime', 'mime_type', 'mime-type'], doc: "Report mimetype and charset (needs the host's file command)." },
    get_attributes: {
      type: 'bool',
      default: true,
      aliases: ['attr', 'attributes'],
      doc: 'Report chattr attributes (needs lsattr and a filesystem that has them).',
    },
  },
} as const satisfies Schema

export const stat: HostModule<StatArgs, StatArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'stat',
  doc: 'Read what a path is (exists, type, mode, owner, size, checksum ...) without changing it.',
  readOnly: true,
  args: schema,
  returns: {
    stat: 'exists, path, mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, size, mtime, atime, ctime, inode, dev, nlink, permission bits, readable/writeable/executable, checksum, lnk_source, lnk_target, mimetype, charset, attributes',
  },
  probes,
  plan: () => [],
  result: (a, { path }) => ({ stat: statResult(a, path) }),
}
