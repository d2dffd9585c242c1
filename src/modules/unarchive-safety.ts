// What keeps unarchive inside dest (trust 31): a member may not be an absolute path, hold a `..`,
// go through a symbolic link (one the archive itself makes, or one already in dest), or land on a
// link in dest; a hard link may not point outside or through a link; the options of tar and unzip
// that lift their own protections are refused. Pure: the plan refuses before anything runs, and
// the extraction script checks the same directories again just before tar or unzip start.
import type { ArchiveFormat, ArchiveMember, DestEntry } from '../probes/archive.js'

/** The proper prefixes of a path: a/b/c → a, a/b. */
export function parentsOf(name: string): string[] {
  const parts = name.split('/')
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'))
}

function badPath(name: string): string | undefined {
  if (name.startsWith('/')) return 'is an absolute path'
  if (name.split('/').includes('..')) return "contains '..'"
  return undefined
}

/**
 * Why members (as they land under dest) would write outside it or through a link, one line each;
 * [] when every member stays inside. `entries` is what dest holds at those paths (links as links).
 */
export function escapingMembers(members: ArchiveMember[], entries: Record<string, DestEntry>): string[] {
  const linksInArchive = new Set(members.filter((m) => m.type === 'link' || m.type === 'hardlink').map((m) => m.name))
  const through = (path: string): string | undefined => {
    for (const q of parentsOf(path)) {
      if (linksInArchive.has(q)) return `goes through '${q}', a link the archive makes`
      if (entries[q]?.type === 'link') return `goes through '${q}', a symbolic link already in dest`
    }
    return undefined
  }
  const out: string[] = []
  for (const m of members) {
    if (m.name === '.') continue
    const why =
      badPath(m.name) ??
      through(m.name) ??
      (m.type !== 'link' && entries[m.name]?.type === 'link' ? 'would be written over a symbolic link already in dest' : undefined)
    if (why) {
      out.push(`${m.name}: ${why}`)
      continue
    }
    if (m.type === 'hardlink' && m.target !== undefined) {
      const t = badPath(m.target) ?? through(m.target) ?? (entries[m.target]?.type === 'link' || linksInArchive.has(m.target) ? 'is a link' : undefined)
      if (t) out.push(`${m.name}: hard link to '${m.target}', which ${t}`)
    }
  }
  return out
}

const TAR_UNSAFE_LONG = ['--absolute-names', '--keep-directory-symlink', '--directory', '--transform', '--xform', '--overwrite', '--unlink-first']

/** extra_opts that would let tar or unzip write outside dest or through links. */
export function unsafeExtraOptions(opts: string[], format: ArchiveFormat): string[] {
  return opts.filter((o) => {
    if (format === 'zip') return o === '-:' || o === '-d' || /^-[A-Za-z]*:/.test(o) || /^-[A-Za-z]*d/.test(o)
    if (TAR_UNSAFE_LONG.some((l) => o === l || o.startsWith(`${l}=`))) return true
    // Short options, alone or clustered (-xvP): P is --absolute-names, C is --directory.
    return /^-[A-Za-z]*[PC]/.test(o) && !o.startsWith('--')
  })
}

/** Every directory above a member, and each member that is not a link itself: the extraction checks none is a link just before it runs. */
export function pathsToCheck(members: ArchiveMember[]): string[] {
  const dirs = new Set<string>()
  for (const m of members) {
    for (const q of parentsOf(m.name)) dirs.add(q)
    if (m.type !== 'link' && m.name !== '.') dirs.add(m.name)
  }
  return [...dirs].sort()
}
