/**
 * apt_key — add or remove a key apt trusts, with apt-key, as ansible.builtin.apt_key (2.14) does.
 *
 * The key comes from `file` (a path on the host), `data` (the key itself, armored or not), `url`
 * (downloaded by the host with curl, wget or python3; `validate_certs: false` accepts a
 * self-signed certificate) or `keyserver` (with `id`: `apt-key adv --recv`). Without `id`, the key
 * id is what `gpg --with-colons` reads from the key (the first one); with `id` (8, 16 or more hex
 * digits, `0x` allowed) that id is what is looked for. `state: present` (the default) adds the key
 * when the keys apt-key would list do not include its id (the last 16 digits; an 8-digit `id` is
 * compared with the last 8 of each listed key), and then checks that it is listed. The keys are
 * read from the keyring files with `gpg --show-keys`, not with `apt-key adv --list-public-keys`
 * as Ansible does: that locks the keyrings, and its lock files would change /etc/apt even in
 * check mode. After a change they are listed with apt-key, as Ansible does (which leaves an empty
 * keyring file where `apt-key del` removed the last key of a `keyring`). `state:
 * absent` removes the key with that id (`apt-key del`). `keyring` works on that keyring file
 * instead of /etc/apt/trusted.gpg and /etc/apt/trusted.gpg.d (`apt-key --keyring FILE`).
 *
 * Returns `id` (as given or read from the key), `key_id`, `fp` (16 digits), `short_id` (8),
 * `before` (the ids listed before) and, after a change, `after`.
 *
 * Why apt_key and not deb822_repository: deb822_repository came with ansible-core 2.15, and 2.14
 * (Debian 12's) is the judge here. On Debian 12 apt-key is deprecated but still there (it warns
 * on every call, and apt warns about keys in the legacy /etc/apt/trusted.gpg); it needs gpg,
 * which Debian 12 does not install by default: add `apt: { name: gnupg }` first, as Ansible needs
 * it too (it fails with 'Failed to find required executable "gpg"'). In check mode, when gnupg is
 * not installed yet (an earlier task would install it), the task is reported as one that may
 * change. The keyring-file way (`get_url` the key to /etc/apt/keyrings/NAME.asc, then
 * `apt_repository` with `[signed-by=/etc/apt/keyrings/NAME.asc]`) needs neither apt-key nor gpg.
 *
 * Differences from Ansible: the key file (or data, or download) is read with gpg in a throwaway
 * home directory, so nothing is left in /root/.gnupg; a file that is not on the host yet (an
 * earlier task would put it) makes check mode report a possible change instead of failing.
 *
 *   - apt: { name: gnupg, install_recommends: false }
 *   - apt_key: { url: "https://download.example.org/apt/key.asc" }
 *   - apt_key: { file: /root/vendor.asc, keyring: /etc/apt/trusted.gpg.d/vendor.gpg }
 *   - apt_key: { id: 9FED2BCBDCD29CDF762678CBAED4B06F473041FA, state: absent }
 */
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import { downloadWithAnyTool, type DownloadOptions } from '../probes/archive.js'
import { aptKeyCommand, aptKeyProbe, parseKeyIds, type AptKeyState, type KeySource } from '../probes/apt-keys.js'
import type { ArgsOf, Schema } from './schema.js'
import { hostModule, ModuleFailure, needing, type Change, type ExecStep } from './types.js'

const schema = {
  options: {
    id: { type: 'str', doc: 'The key id (8, 16 or more hex digits); read from the key when not given.' },
    url: { type: 'str', doc: 'URL of the key, downloaded by the host.' },
    data: { type: 'str', doc: 'The key itself (armored text).' },
    file: { type: 'path', doc: 'Path of the key file on the host.' },
    keyring: { type: 'path', doc: 'The keyring file to add to or remove from (apt-key --keyring).' },
    keyserver: { type: 'str', doc: 'Key server to receive the key `id` from.' },
    validate_certs: { type: 'bool', default: true, doc: 'With url: false accepts a certificate that cannot be verified.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'Whether apt trusts the key.' },
  },
  mutuallyExclusive: [['data', 'file', 'keyserver', 'url']],
} as const satisfies Schema
export type AptKeyArgs = ArgsOf<typeof schema>

interface KeyId {
  short: string
  fingerprint: string
  keyId: string
}

/** Ansible's parse_key_id. */
export function parseKeyId(id: string): KeyId {
  if (!/^(0[xX])?[0-9a-fA-F]+$/.test(id)) throw new ModuleFailure('Invalid key_id', { id })
  let keyId = id.toUpperCase()
  if (keyId.startsWith('0X')) keyId = keyId.slice(2)
  if (keyId.length !== 8 && keyId.length !== 16 && keyId.length <= 16) throw new ModuleFailure('Invalid key_id', { id })
  return { short: keyId.slice(-8), fingerprint: keyId.length > 16 ? keyId.slice(-16) : keyId, keyId }
}

const download = (a: AptKeyArgs): DownloadOptions => ({ url: a.url!, headers: {}, timeout: 10, validateCerts: a.validate_certs })

function source(a: AptKeyArgs): KeySource | undefined {
  if (a.id !== undefined) return undefined
  if (a.file !== undefined) return { kind: 'file', path: a.file }
  if (a.data !== undefined) return { kind: 'data', data: a.data }
  if (a.url !== undefined) return { kind: 'url', download: download(a) }
  return undefined
}

const NO_GPG = 'Failed to find required executable "gpg" on the host (Debian 12 does not install it: apt name=gnupg first)'

/** The key id to look for, or why it cannot be known yet (a need), or a failure. */
function wantedId(a: AptKeyArgs, s: AptKeyState): { id?: string; need?: string } {
  if (a.id !== undefined) return { id: a.id }
  const src = s.source
  if (!src) return { need: NO_GPG }
  if (src.missing) return { need: `the key file is not on the host: ${a.file}` }
  if (src.error !== undefined) throw new ModuleFailure(`Failed to download key at ${a.url}: ${src.error}`)
  if (src.rc !== 0) throw new ModuleFailure(`Unable to extract key from '${a.data !== undefined ? 'inline data' : (a.file ?? a.url)}'`)
  if (!src.ids[0]) throw new ModuleFailure('Unable to continue as we could not extract a valid fingerprint to compare against existing keys.')
  return { id: src.ids[0] }
}

interface Decision {
  id?: string
  key?: KeyId
  /** The listed ids, as compared (shortened for an 8-digit id). */
  before?: string[]
  change: boolean
  need?: string
}

function decide(a: AptKeyArgs, s: AptKeyState): Decision {
  if (!s.tools.includes('apt-key')) return { change: true, need: 'Failed to find required executable "apt-key" on the host' }
  if (!s.tools.includes('gpg')) return { change: true, need: NO_GPG }
  if (s.listError !== undefined) throw new ModuleFailure(`Unable to list public keys: ${s.listError}`)
  const w = wantedId(a, s)
  if (w.need) return { change: true, need: w.need }
  const key = parseKeyId(w.id!)
  const short = key.keyId.length === 8
  const before = (s.keys ?? []).map((k) => (short ? k.slice(-8) : k))
  const listed = before.includes(short ? key.short : key.fingerprint)
  // Ansible removes only when the fingerprint is listed (for an 8-digit id, the same 8 digits).
  const change = a.state === 'present' ? !listed : before.includes(key.fingerprint)
  return { id: w.id, key, before, change }
}

/** Adds the key from its source; then lists the keys again, for result() to check. */
function addScript(a: AptKeyArgs, key: KeyId): { script: Script; stdin?: string } {
  const apt = aptKeyCommand(a.keyring)
  if (a.file !== undefined) return { script: sh`${apt} add ${a.file}` }
  if (a.data !== undefined) return { script: sh`${apt} add -`, stdin: a.data }
  if (a.url !== undefined) {
    const fetch = downloadWithAnyTool(download(a), code('echo "no curl, wget or python3 on the host" >&2; false'))
    return {
      script: joinScripts([
        code('tmp=$(mktemp) || exit 1'),
        code('trap \'rm -f -- "$tmp" "$tmp.err" "$tmp.rc"\' EXIT'),
        sh`${fetch} >/dev/null || { echo ${`Failed to download key at ${a.url}`} >&2; exit 1; }`,
        sh`${apt} add "$tmp"`,
      ]),
    }
  }
  // keyserver: Ansible tries five times.
  return {
    script: sh`for rmp_try in 1 2 3 4 5; do ${apt} adv --no-tty --keyserver ${a.keyserver!} --recv ${key.keyId} && exit 0; done
echo ${`Error fetching key ${key.keyId} from keyserver: ${a.keyserver}`} >&2; exit 1`,
  }
}

/**
 * After a change, the keys as Ansible lists them, with apt-key (only a real run gets here). It is
 * not only a read: gpg makes a keyring file that is missing again (empty), and Ansible leaves it.
 */
const listAfter = (a: AptKeyArgs): ExecStep => ({
  kind: 'exec',
  label: 'list',
  script: sh`${aptKeyCommand(a.keyring)} adv --list-public-keys --keyid-format=long 2>/dev/null`,
  env: { LC_ALL: 'C' },
})

const ENV = { LC_ALL: 'C', APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE: '1' }

export const aptKey = hostModule({
  kind: 'host',
  name: 'apt_key',
  doc: 'Add or remove a key apt trusts (apt-key; from a file, inline data, a URL or a key server).',
  args: schema,
  returns: {
    id: 'the key id as given or as read from the key',
    key_id: 'the key id, upper case, without 0x',
    fp: 'its last 16 hex digits',
    short_id: 'its last 8 hex digits',
    before: 'the key ids listed before',
    after: 'the key ids listed after a change',
  },
  validate(a) {
    const errs: string[] = []
    if (a.keyserver !== undefined && a.id === undefined) errs.push('Missing key_id, required with keyserver.')
    if (a.state === 'absent' && a.id === undefined && a.file === undefined && a.data === undefined && a.url === undefined)
      errs.push('state=absent needs the id of the key to remove')
    if (a.state === 'present' && a.id === undefined && a.file === undefined && a.data === undefined && a.url === undefined)
      errs.push('one of id (with keyserver), file, data or url is required')
    if (typeof a.id === 'string' && !/\{\{/.test(a.id))
      try {
        parseKeyId(a.id)
      } catch (e) {
        errs.push(`${(e as Error).message}: ${a.id}`)
      }
    return errs
  },
  probes: (a) => ({ keys: aptKeyProbe(a.keyring, source(a)) }),
  plan(a, { keys }): Change[] {
    const d = decide(a, keys)
    const what = d.key ? d.key.keyId : (a.file ?? a.url ?? 'the key given as data')
    const where = a.keyring ?? 'apt-key'
    if (d.need) return needing(d.need, [{ summary: `${a.state === 'present' ? 'add' : 'remove'} key ${what} (${where})`, steps: [], uncertain: true }])
    if (!d.change) return []
    const key = d.key!
    if (a.state === 'absent')
      return [
        {
          summary: `remove key ${key.keyId} from ${where}`,
          steps: [{ kind: 'exec', script: sh`${aptKeyCommand(a.keyring)} del ${key.short}`, env: ENV }, listAfter(a)],
          diff: { before: `key ${key.keyId}: present\n`, after: `key ${key.keyId}: absent\n` },
        },
      ]
    if ([a.file, a.data, a.url, a.keyserver].every((x) => x === undefined))
      throw new ModuleFailure(`key ${key.keyId} is not there and there is no key to add: give file, data, url or keyserver`)
    const add = addScript(a, key)
    return [
      {
        summary: `add key ${key.keyId} to ${where}${a.url ? ` from ${a.url}` : a.file ? ` from ${a.file}` : ''}`,
        steps: [{ kind: 'exec', script: add.script, env: ENV, ...(add.stdin !== undefined ? { stdin: add.stdin } : {}) }, listAfter(a)],
        diff: { before: `key ${key.keyId}: absent\n`, after: `key ${key.keyId}: present\n` },
      },
    ]
  },
  result(a, { keys }, outputs) {
    const d = decide(a, keys)
    if (!d.key) return {}
    const r: Record<string, unknown> = { id: d.id, short_id: d.key.short, fp: d.key.fingerprint, key_id: d.key.keyId, before: d.before }
    const listed = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'list')
    if (listed) {
      const short = d.key.keyId.length === 8
      const after = parseKeyIds(listed.stdout).map((k) => (short ? k.slice(-8) : k))
      r.after = after
      const there = after.includes(short ? d.key.short : d.key.fingerprint)
      const problem =
        a.state === 'present' ? (there ? undefined : 'failed to add the key') : after.includes(d.key.fingerprint) ? 'the key was not removed' : undefined
      if (problem) throw new ModuleFailure(`apt-key did not return an error, but ${problem} (check that the id is correct and *not* a subkey)`, r)
    }
    return r
  },
})
