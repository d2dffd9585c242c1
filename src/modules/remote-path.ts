// Paths on the host, always POSIX: node:path would follow the controller's rules.

/** The directory holding p ('/' for '/x' and for '/' itself, '.' for a bare name). */
export function parentDir(p: string): string {
  const t = p.length > 1 ? p.replace(/\/+$/, '') : p
  const i = t.lastIndexOf('/')
  return i < 0 ? '.' : i === 0 ? '/' : t.slice(0, i)
}

/** name inside dir, without a doubled slash ('/' + 'x' is '/x', '.' + 'x' is 'x'). */
export function childPath(dir: string, name: string): string {
  if (dir === '.') return name
  return `${dir.replace(/\/+$/, '')}/${name}`
}

/** The directories to make, outermost first, for dir to exist when `ancestor` is its nearest existing one. */
export function dirsBetween(ancestor: string, dir: string): string[] {
  const rest = (ancestor === '.' ? dir : dir.slice(ancestor === '/' ? 1 : ancestor.length + 1)).split('/').filter(Boolean)
  const out: string[] = []
  let cur = ancestor
  for (const r of rest) out.push((cur = childPath(cur, r)))
  return out
}
