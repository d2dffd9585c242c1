/**
 * get_url — download a file over HTTP, HTTPS, FTP or file:// onto the host, with curl, wget or
 * python3 (the first the host has; no other dependency).
 *
 * `dest` is the file to write, or a directory: then the file is named after the last segment of
 * the URL's path (Content-Disposition is not used). The download goes into a private temp
 * directory beside the destination (mktemp -d: random name, mode 0700); the `checksum` ('sha256:<hex>'; md5, sha1, sha224, sha384 and sha512 too) is
 * verified on it, `owner`/`group`/`mode` are set on it, and only then is it renamed over `dest`:
 * a failed or corrupt download never replaces the file, and the file is never seen with the
 * wrong mode.
 *
 * When `dest` exists the task is ok without downloading (only owner/group/mode are corrected),
 * unless its checksum differs from `checksum`. With `force: true` the URL is fetched every run
 * and the file is replaced when the content differs: the check fetches the URL into a temp file
 * that is removed again, so check mode reports the truth — except with `url_password`, whose
 * request is made only in a step (never on a command line): then a forced download always counts
 * as a change ("would run").
 *
 * `headers` are sent with the request; `url_username`/`url_password` as basic auth (the password
 * is never shown); `validate_certs: false` accepts self-signed certificates; `timeout` (seconds)
 * bounds the connection and any stall; `backup` keeps the old file as `dest.<time>~`.
 *
 * Returns `dest` (the file), `url`, `status_code`, `size`, `checksum_dest` (sha1 of the new file),
 * `msg`.
 *
 *   - get_url:
 *       url: https://releases.example.org/node_exporter-1.7.0.linux-amd64.tar.gz
 *       dest: /opt/downloads/
 *       checksum: sha256:a550cd5c05f760b7934a2d0afad66d2e92e681482f5f57a917465b1fba3b02a6
 *       mode: "0644"
 *
 *   - get_url:
 *       url: "https://backups.internal/runmaster/{{ restore_date }}.sql.gz"
 *       dest: /srv/restore/backup.sql.gz
 *       url_username: restore
 *       url_password: "{{ vault_backup_password }}"
 *       mode: "0600"
 */
import { DOWNLOADERS, downloadCommand, remoteChecksumProbe, toolsProbe, urlFileName, type DownloadOptions, type Downloader } from '../probes/archive.js'
import { effectiveStat, pathProbe, type ChecksumAlgorithm, type PathState } from '../probes/files.js'
import { attrChange, attrOptions, chownArg, defaultMode, missing, modeProblems, newAttrsText, octal, planAttrs, wantedMode } from './file-attrs.js'
import { childPath, CLEAN_STALE_TEMPS, MAKE_PRIVATE_TEMP } from '../shell/remote-path.js'
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { ArgsOf, Schema } from './schema.js'
import { ModuleFailure, type Change, type HostModule, type PlanContext, type StateOf } from './types.js'

const ALGORITHMS: Record<ChecksumAlgorithm, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 }

const schema = {
  options: {
    url: { type: 'str', required: true, doc: 'http://, https://, ftp:// or file:// URL to download.' },
    dest: { type: 'path', required: true, doc: 'File to write, or a directory (the file is then named after the URL).' },
    checksum: {
      type: 'str',
      doc: "'<algorithm>:<hex>' (sha256, sha512, sha1, md5 ...): the download must match it, and a dest that matches it is not downloaded again.",
    },
    force: {
      type: 'bool',
      default: false,
      aliases: ['thirsty'],
      doc: 'Fetch the URL every run and replace dest when the content differs. false: an existing dest is left as it is.',
    },
    backup: { type: 'bool', default: false, doc: 'Keep the replaced file as dest.<time>~.' },
    timeout: { type: 'int', default: 10, doc: 'Seconds to connect, and the longest a transfer may stall.' },
    headers: { type: 'dict', default: {}, doc: 'HTTP headers to send.' },
    url_username: { type: 'str', aliases: ['username'], doc: 'User for HTTP basic auth.' },
    url_password: { type: 'str', aliases: ['password'], noLog: true, doc: 'Password for HTTP basic auth.' },
    validate_certs: { type: 'bool', default: true, doc: 'Check TLS certificates (false: accept self-signed ones).' },
    ...attrOptions,
  },
  requiredTogether: [['url_password', 'url_username']],
} as const satisfies Schema
export type GetUrlArgs = ArgsOf<typeof schema>

function parseChecksum(c: string | undefined): { algorithm: ChecksumAlgorithm; hex: string } | undefined {
  if (c === undefined) return undefined
  const i = c.indexOf(':')
  return { algorithm: c.slice(0, i).toLowerCase() as ChecksumAlgorithm, hex: c.slice(i + 1).toLowerCase() }
}

function downloadOptions(a: GetUrlArgs): DownloadOptions {
  return {
    url: a.url,
    headers: Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k, String(v)])),
    timeout: a.timeout,
    validateCerts: a.validate_certs,
    ...(a.url_username !== undefined ? { username: a.url_username } : {}),
    ...(a.url_password !== undefined ? { password: a.url_password } : {}),
  }
}

/** force checks what the URL serves now, unless that request carries a password. */
const remoteCheck = (a: GetUrlArgs) => a.force && a.url_password === undefined
const sumAlgorithm = (a: GetUrlArgs): ChecksumAlgorithm | undefined => parseChecksum(a.checksum)?.algorithm ?? (a.force ? 'sha256' : undefined)

function probes(a: GetUrlArgs) {
  const algo = sumAlgorithm(a)
  const o = algo ? { checksum: algo } : {}
  const name = urlFileName(a.url)
  return {
    dest: pathProbe(a.dest, o),
    // dest may be a directory: dest/<name from the URL> is read in the same batch.
    child: name !== undefined ? pathProbe(childPath(a.dest, name), o) : undefined,
    tools: toolsProbe(DOWNLOADERS),
    remote: remoteCheck(a) ? remoteChecksumProbe(downloadOptions(a), algo!) : undefined,
  }
}
type GetUrlState = StateOf<ReturnType<typeof probes>>

/** The file the download lands in: dest, or dest/<name from the URL> when dest is a directory. */
function target(a: GetUrlArgs, state: GetUrlState): { file: string; st: PathState; dir: PathState } {
  const d = state.dest
  const isDir = a.dest.endsWith('/') || effectiveStat(d, true)?.type === 'directory'
  if (!isDir) return { file: a.dest, st: d, dir: d }
  const name = urlFileName(a.url)
  if (name === undefined || !state.child) throw new ModuleFailure(`dest ${a.dest} is a directory and the URL ${a.url} names no file: give dest as a file path`)
  return { file: childPath(a.dest, name), st: state.child, dir: d }
}

function downloadStep(a: GetUrlArgs, file: string, tool: Downloader, st: PathState): { script: Script; stdin: string } {
  const d = downloadCommand(tool, downloadOptions(a))
  const sum = parseChecksum(a.checksum)
  const exists = st.exists && st.stat?.type !== 'link'
  const mode = wantedMode(a.mode, exists ? st.stat?.mode : undefined, false, st.umask) ?? (exists ? undefined : octal(defaultMode(false, st.umask)))
  const lines: Script[] = [
    code('set -e'),
    sh`dest=${file}`,
    code('dir=$(dirname -- "$dest")'),
    code('[ -d "$dir" ] || { echo "destination directory $dir does not exist" >&2; exit 1; }'),
    code('umask 077'),
    CLEAN_STALE_TEMPS,
    // The download and the downloader's side files ("$tmp.err", "$tmp.rc") live in the private "$t".
    MAKE_PRIVATE_TEMP,
    code('tmp="$t/new"'),
    // downloadCommand (probes/archive.ts) quotes every value it puts in the command.
    d.cmd,
  ]
  if (sum) {
    lines.push(
      sh`got=$(${`${sum.algorithm}sum`} < "$tmp" | cut -d' ' -f1)`,
      sh`if [ "$got" != ${sum.hex} ]; then printf 'The checksum for %s did not match %s; it was %s.\n' "$dest" ${sum.hex} "$got" >&2; exit 1; fi`,
    )
  }
  // Owner, group and mode on the temp file, before the rename: the file never exists with others.
  if (a.owner === undefined && a.group === undefined)
    lines.push(code('if [ -f "$dest" ] && [ ! -L "$dest" ]; then chown --reference="$dest" "$tmp" 2>/dev/null || true; fi'))
  else lines.push(sh`chown -- ${chownArg(a.owner, a.group)} "$tmp"`)
  lines.push(mode !== undefined ? sh`chmod -- ${`0${mode}`} "$tmp"` : code('chmod --reference="$dest" "$tmp"'))
  if (a.backup)
    lines.push(
      code(
        `if [ -f "$dest" ]; then b="$dest.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$dest" "$t/backup"; mv -fT -- "$t/backup" "$b"; printf 'backup_file=%s\n' "$b"; fi`,
      ),
    )
  // -T: a directory that appeared at dest since the probe fails the rename instead of receiving the file.
  lines.push(code('mv -fT -- "$tmp" "$dest"'), code(`printf 'size=%s\nsha1=%s\n' "$(stat -c %s -- "$dest")" "$(sha1sum < "$dest" | cut -d' ' -f1)"`))
  return { script: joinScripts(lines), stdin: d.stdin }
}

function plan(a: GetUrlArgs, state: GetUrlState, ctx: PlanContext): Change[] {
  const { file, st, dir } = target(a, state)
  const sum = parseChecksum(a.checksum)
  const algo = sumAlgorithm(a)
  const tool = DOWNLOADERS.find((t) => state.tools.includes(t))
  const kind = effectiveStat(st, true)?.type
  if (st.exists && kind !== undefined && kind !== 'file') throw new ModuleFailure(`${file} exists and is not a regular file (${kind})`)
  const parentOk = file === a.dest ? dir.parent === 'directory' : true
  let reason: string | undefined
  let uncertain = false
  if (!st.exists) reason = undefined
  else if (sum && st.checksum !== sum.hex) reason = `${sum.algorithm} ${st.checksum?.slice(0, 12) ?? '?'}… differs from the checksum`
  else if (a.force && !sum) {
    const r = state.remote
    if (r) {
      if (r.error !== undefined) throw new ModuleFailure(`Request failed for ${a.url}: ${r.error}`, { status_code: r.status ?? -1, url: a.url, dest: file })
      if (r.sum !== st.checksum) reason = 'the URL serves other content'
    } else {
      reason = 'force: cannot compare without downloading'
      uncertain = true
    }
  }
  const download = !st.exists || reason !== undefined
  if (download) {
    if (!parentOk) return missing(`Destination directory of ${file} does not exist`, `download ${a.url} to ${file}`, file)
    if (!tool) return missing('no curl, wget or python3 on the host to download with', `download ${a.url} to ${file}`, file)
    const step = downloadStep(a, file, tool, st)
    const exists = st.exists && st.stat?.type !== 'link'
    const mode = wantedMode(a.mode, exists ? st.stat?.mode : undefined, false, st.umask)
    const before = st.exists ? `${algo && st.checksum ? `${algo}: ${st.checksum}\n` : `(present, ${st.stat?.size ?? '?'} bytes)\n`}` : '(absent)\n'
    const afterSum = sum ? `${sum.algorithm}: ${sum.hex}\n` : state.remote && st.exists ? `${algo}: ${state.remote.sum}\n` : ''
    return [
      {
        summary: `download ${a.url} to ${file}${reason ? ` (${reason})` : ''}`,
        ...(uncertain ? { uncertain: true } : {}),
        steps: [{ kind: 'exec', script: step.script, stdin: step.stdin, ...(a.url_password !== undefined ? { secret: true } : {}) }],
        diff: { path: file, before, after: `${afterSum || `(downloaded from ${a.url})\n`}${newAttrsText(a, mode)}` },
      },
    ]
  }
  // set -e: a failing chown must fail the task, not be hidden by a chmod that succeeds.
  const fix = attrChange(file, planAttrs(file, effectiveStat(st, true)!, a, { umask: st.umask }))
  return fix ? [fix] : []
}

export const getUrl: HostModule<GetUrlArgs, GetUrlArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'get_url',
  doc: 'Download a file onto the host (curl, wget or python3), verified and atomically renamed into place.',
  args: schema,
  returns: {
    dest: 'the file written (dest, or dest/<name> for a directory)',
    url: 'the URL',
    status_code: 'HTTP status of the download (absent when nothing was downloaded)',
    size: 'size of the file in bytes',
    checksum_dest: 'sha1 of the file after the download',
    backup_file: 'the backup of the replaced file (backup)',
    msg: 'what happened',
  },
  validate(a) {
    const errs: string[] = []
    if (typeof a.url === 'string' && !/^(https?|ftp|file):\/\//i.test(a.url)) errs.push(`url must be http://, https://, ftp:// or file://, got '${a.url}'`)
    if (typeof a.checksum === 'string') {
      const m = /^([A-Za-z0-9]+):(.+)$/.exec(a.checksum)
      const len = m ? ALGORITHMS[m[1]!.toLowerCase() as ChecksumAlgorithm] : undefined
      if (!m || len === undefined) errs.push(`checksum must be '<algorithm>:<hex>' with one of ${Object.keys(ALGORITHMS).join(', ')}, got '${a.checksum}'`)
      else if (/^[a-z]+:\/\//i.test(m[2]!)) errs.push('checksum as the URL of a checksum file is not supported: give the hex digest')
      else if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(m[2]!)) errs.push(`a ${m[1]} checksum has ${len} hex digits, got '${m[2]}'`)
    }
    if (typeof a.timeout === 'number' && a.timeout < 1) errs.push('timeout must be at least 1 second')
    for (const [k, v] of Object.entries(a.headers ?? {}))
      if (/[\r\n]/.test(`${k}${String(v)}`) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
        errs.push(`header '${k}' is not a valid header name or has a line break`)
    if (/[\r\n]/.test(`${a.url_username ?? ''}${a.url_password ?? ''}${a.url ?? ''}`))
      errs.push('url, url_username and url_password must not contain line breaks')
    errs.push(...modeProblems(a.mode))
    return errs
  },
  probes,
  plan,
  result(a, state, outputs) {
    const { file, st } = target(a, state)
    const out = outputs.map((o) => o.stdout).join('\n')
    const val = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(out)?.[1]
    const size = val('size')
    if (size !== undefined) {
      const status = val('status_code')
      // curl reports 000 for file:// URLs: no HTTP status then.
      return {
        dest: file,
        url: a.url,
        status_code: status !== undefined && Number(status) > 0 ? Number(status) : null,
        size: Number(size),
        checksum_dest: val('sha1'),
        checksum_src: val('sha1'),
        ...(val('backup_file') ? { backup_file: val('backup_file') } : {}),
        msg: `OK (${size} bytes)`,
      }
    }
    // Ansible skips the download only when a checksum matches; otherwise it downloads again and
    // says what the server sent (the file's size when the content is the same).
    const size_ = st.stat?.size ?? null
    const msg = a.checksum && !a.force ? `file already exists${outputs.length ? ' but file attributes changed' : ''}` : `OK (${size_ ?? 'unknown'} bytes)`
    return { dest: file, url: a.url, size: size_, msg }
  },
}
