// The controller's Debian archive lines: the mirror the base image is built from, and the lines each
// host gets (through the lab's apt proxy). Parsing is pure; reading the files is at the end.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface AptSource {
  uri: string
  suites: string[]
  components: string[]
}

/** One-line format: `deb [options] URI SUITE COMPONENT...` */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    const words = line
      .replace(/\[[^\]]*\]/, ' ')
      .trim()
      .split(/\s+/)
    if (words[0] !== 'deb' || words.length < 3) continue
    out.push({ uri: words[1]!, suites: [words[2]!], components: words.slice(3) })
  }
  return out
}

/** deb822 format (`*.sources`): stanzas separated by blank lines. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = []
  const stanzas = text.split(/\n\s*\n/)
  for (const stanza of stanzas) {
    const fields = new Map<string, string>()
    let last: string | undefined
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`)
        continue
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw)
      if (!m) continue
      last = m[1]!.toLowerCase()
      fields.set(last, m[2]!.trim())
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean)
    if (!words('types').includes('deb')) continue
    if (/^(no|false)$/i.test(fields.get('enabled') ?? 'yes')) continue
    for (const uri of words('uris')) out.push({ uri, suites: words('suites'), components: words('components') })
  }
  return out
}

export interface DebianMirrors {
  /** Base archive (debootstrap's mirror, apt-cacher-ng's backend). */
  main: string
  /** Security archive, if the controller has one. */
  security?: string
  /** What every host's /etc/apt/sources.list says, one line per suite. */
  hostLines: string[]
}

const withSlash = (uri: string) => (uri.endsWith('/') ? uri : `${uri}/`)

/** The Debian lines for `release` (bookworm, bookworm-updates, bookworm-security). */
export function debianMirrors(sources: AptSource[], release: string): DebianMirrors | undefined {
  const ours = sources.filter((s) => s.suites.some((suite) => suite === release || suite.startsWith(`${release}-`)))
  const main = ours.find((s) => s.suites.includes(release))
  if (!main) return undefined
  const security = ours.find((s) => s.suites.includes(`${release}-security`))
  const hostLines: string[] = []
  for (const s of ours) {
    // The hosts go through an HTTP proxy: https would be an opaque tunnel it cannot cache.
    const uri = withSlash(s.uri.replace(/^https:/, 'http:'))
    for (const suite of s.suites) {
      if (suite !== release && !suite.startsWith(`${release}-`)) continue
      const line = `deb ${uri} ${suite} ${(s.components.length ? s.components : ['main']).join(' ')}`
      if (!hostLines.includes(line)) hostLines.push(line)
    }
  }
  return { main: withSlash(main.uri), security: security && withSlash(security.uri), hostLines }
}

export function readControllerSources(etc = '/etc/apt'): AptSource[] {
  const out: AptSource[] = []
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8')
    } catch {
      return ''
    }
  }
  out.push(...parseOneLineSources(read(join(etc, 'sources.list'))))
  let names: string[] = []
  try {
    names = readdirSync(join(etc, 'sources.list.d')).sort()
  } catch {
    names = []
  }
  for (const n of names) {
    const p = join(etc, 'sources.list.d', n)
    if (n.endsWith('.list')) out.push(...parseOneLineSources(read(p)))
    else if (n.endsWith('.sources')) out.push(...parseDeb822Sources(read(p)))
  }
  return out
}
