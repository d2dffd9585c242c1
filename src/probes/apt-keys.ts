// The keys apt-key knows (what `apt-key adv --list-public-keys` lists, as Ansible's apt_key reads them) and
// the key id of a key given as a file, inline data or a URL (gpg --with-colons on it, in a
// throwaway gpg home so that nothing is left on the host). One script, no python.
import { createHash } from 'node:crypto'
import { code, heredocBytes, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
import { downloadWithAnyTool, type DownloadOptions } from './archive.js'
import { keyValues, sections } from './output.js'

export type KeySource = { kind: 'file'; path: string } | { kind: 'data'; data: string } | { kind: 'url'; download: DownloadOptions }

export interface AptKeyState {
  /** apt-key and gpg, those the host has. */
  tools: string[]
  /** The key ids apt-key lists (16 hex digits), when both tools are there. */
  keys?: string[]
  /** apt-key's exit code and output when listing failed. */
  listError?: string
  /** What gpg read from the key source (absent: no source to read, or no gpg). */
  source?: { missing?: boolean; rc?: number; ids: string[]; error?: string }
}

/**
 * Ansible's parse_output_for_keys: the ids of the pub/sub lines that are not expired (gpg's
 * colon lines say so with the validity `e`).
 */
export function parseKeyIds(text: string): string[] {
  const found: string[] = []
  for (const line of text.split('\n')) {
    if (!(line.startsWith('pub') || line.startsWith('sub')) || line.includes('expired') || /^(pub|sub):e:/.test(line)) continue
    const tokens = line.split(/\s+/).filter(Boolean)
    const slash = tokens[1]?.split('/')
    if (slash && slash.length === 2) found.push(slash[1]!)
    else {
      const colon = line.split(':')
      if (colon.length > 4) found.push(colon[4]!)
    }
  }
  return found
}

export function parseAptKeyState(out: ProbeOutput): AptKeyState {
  const s = sections(out.stdout)
  const tools = (s.get('tools') ?? '').split('\n').filter(Boolean)
  const state: AptKeyState = { tools }
  const keys = s.get('keys')
  if (keys !== undefined) {
    if (s.get('keysrc')?.trim() === '0') state.keys = parseKeyIds(keys)
    else state.listError = keys.trim()
  }
  const src = s.get('source')
  if (src !== undefined) {
    const kv = keyValues(src)
    const rc = kv.rc !== undefined ? Number(kv.rc) : undefined
    const error = src
      .split('\n')
      .filter((l) => l.startsWith('error='))
      .map((l) => l.slice(6))
      .join('\n')
    state.source = {
      ...(src.startsWith('missing') ? { missing: true } : {}),
      ...(rc !== undefined ? { rc } : {}),
      ids: parseKeyIds(src),
      ...(error ? { error } : {}),
    }
  }
  return state
}

const gpgRead = (input: Script) => sh`LC_ALL=C gpg --homedir "$rmp_h" --batch --with-colons ${input} 2>/dev/null; echo "rc=$?"`

function readSource(src: KeySource): Script {
  switch (src.kind) {
    case 'file':
      return sh`if [ -f ${src.path} ]; then ${gpgRead(sh`${src.path}`)}; else echo missing; fi`
    case 'data': {
      const doc = heredocBytes(src.data, 'RMP_KEY_EOF')
      return joinScripts([sh`${doc.pipe} | ${gpgRead(code('-'))}`, doc.doc])
    }
    case 'url':
      return joinScripts([
        code('tmp=$(mktemp) || exit 0'),
        sh`if ${downloadWithAnyTool(src.download, code('echo "no curl, wget or python3 on the host" >&2; false'))} >/dev/null 2>"$tmp.msg"; then ${gpgRead(code('"$tmp"'))}; else sed 's/^/error=/' "$tmp.msg"; fi`,
        code('rm -f -- "$tmp" "$tmp.msg" "$tmp.err" "$tmp.rc"'),
      ])
  }
}

/** `apt-key [--keyring K]`: the words every apt-key command starts with. */
export function aptKeyCommand(keyring: string | undefined): Script {
  return keyring !== undefined ? sh`apt-key --keyring ${keyring}` : code('apt-key')
}

/**
 * The keys apt-key lists (the keyring given, or /etc/apt/trusted.gpg and trusted.gpg.d's .gpg and
 * .asc files), read as gpg --show-keys reads files: `apt-key adv --list-public-keys` would lock
 * the keyrings (gpg's lock files come and go in /etc/apt, so even check mode changes the host).
 * Needs "$rmp_h", a throwaway gpg home.
 */
export function listKeysScript(keyring: string | undefined): Script {
  const files = keyring !== undefined ? sh`${keyring}` : code('/etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/*.gpg /etc/apt/trusted.gpg.d/*.asc')
  return sh`for rmp_f in ${files}; do
  [ -s "$rmp_f" ] || continue
  LC_ALL=C gpg --homedir "$rmp_h" --batch --with-colons --show-keys -- "$rmp_f" 2>/dev/null || exit 1
done`
}

export function aptKeyProbe(keyring: string | undefined, src: KeySource | undefined): Probe<AptKeyState> {
  const parts: Script[] = [
    code(`echo @@tools
for t in apt-key gpg; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done
if command -v apt-key >/dev/null 2>&1 && command -v gpg >/dev/null 2>&1; then`),
    code('rmp_h=$(mktemp -d) || exit 0'),
    sh`rmp_k=$( (${listKeysScript(keyring)}) 2>&1); rmp_rc=$?
echo @@keys; printf '%s\\n' "$rmp_k"; echo @@keysrc; echo "$rmp_rc"`,
  ]
  if (src) parts.push(code('echo @@source'), readSource(src))
  parts.push(code('rm -rf -- "$rmp_h"\nfi\necho @@end\nexit 0'))
  const what = src?.kind === 'data' ? { data: createHash('sha256').update(src.data).digest('hex') } : src
  return { id: `apt-key:${JSON.stringify([keyring ?? '', what ?? null])}`, script: joinScripts(parts), parse: parseAptKeyState }
}
