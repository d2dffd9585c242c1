/**
 * apt_repository — add or remove a one-line APT repository (`deb ...` / `deb-src ...`), as
 * ansible.builtin.apt_repository does, then update the package lists.
 *
 * `repo` is the source line (`deb [signed-by=/etc/apt/keyrings/x.asc] https://example.org/apt
 * bookworm main`); whitespace and a trailing `# comment` do not matter. `state: present` (the
 * default) enables every line in /etc/apt/sources.list and /etc/apt/sources.list.d/*.list that
 * is this source, a commented-out one too; when there is none, it appends the line to
 * `/etc/apt/sources.list.d/<filename>.list`. Without `filename` the name comes from the line as
 * Ansible derives it: options in `[...]` and the `scheme://` dropped, the first word after
 * deb/deb-src (less any `user:password@`), every run of other characters than letters and digits
 * made one `_` (`deb http://ppa.example.org/x/ubuntu jammy main` →
 * `ppa_example_org_x_ubuntu.list`). `filename` is used as given, `.list` added (`foo.list` gives
 * `foo.list.list`, as in Ansible). `mode` is set on the file the line is appended to (a new file
 * otherwise gets 0644). `state: absent` removes every enabled line that is this source; a file
 * left with no line at all is deleted.
 *
 * The files it changes are written back the way Ansible writes them: one line per line, a
 * commented-out line as `# ...`, a comment after a source as ` # ...`, runs of blanks in a source
 * made one. When something changed and `update_cache` is true (the default, as in Ansible), `apt-get
 * update` runs, up to `update_cache_retries` times (default 5) with waits of 1, 2, 4 ... seconds
 * (at most `update_cache_retry_max_delay`, default 12); when it keeps failing (a repository that
 * cannot be fetched, one whose signing key is not trusted) the files are put back as they were and
 * the task fails with "Failed to update apt cache: " and apt's errors and warnings, as Ansible words
 * them (`W:GPG error: ..., E:The repository ... is not signed.`). Nothing changed: nothing
 * runs, not even the update.
 *
 * Diff mode shows each file that changes (before → after). Returns `repo`, `state`, and
 * `sources_added` / `sources_removed` (the files created or deleted).
 *
 * Differences from Ansible 2.14: no python3-apt is needed on the host (Ansible installs it on
 * first use, and fails in check mode without it); only the files that change are written (Ansible
 * rewrites every sources file in its own layout); two matching lines in one file are both removed.
 * `ppa:` lines are refused (they need Launchpad's API and a key server; write the `deb` line and
 * fetch the key with get_url or apt_key), so `codename` and `validate_certs` (which only serve
 * PPAs) are accepted and do nothing, as is `install_python_apt`.
 *
 *   - apt_repository:
 *       repo: "deb [signed-by=/etc/apt/keyrings/nodesource.asc] https://deb.nodesource.com/node_20.x nodistro main"
 *       filename: nodesource
 *   - apt_repository: { repo: "deb http://deb.example.org/debian bookworm main", state: absent }
 */
import { heredocBytes, joinScripts, sh, type Script } from '../shell/index.js'
import { sourcesFilesProbe, type SourcesFile } from '../probes/apt-sources.js'
import { addSource, dumpAll, loadSources, removeSource, repoSource, suggestPath } from './apt-sources-list.js'
import { wantedMode } from './file-attrs.js'
import type { ArgsOf, Schema } from './schema.js'
import { hostModule, ModuleFailure, type Change, type ExecStep, type Step } from './types.js'

const PARTS_DIR = /^\/etc\/apt\/sources\.list\.d\/[^/]+$/

/** What a run of the module decides: the files as they are, as they will be, and where `mode` goes. */
interface Edit {
  files: SourcesFile[]
  before: Map<string, string>
  after: Map<string, string>
  appended: Set<string>
}

function edit(a: RepoArgs, files: SourcesFile[]): Edit {
  let source: string
  try {
    source = repoSource(a.repo)
  } catch (e) {
    throw new ModuleFailure((e as Error).message)
  }
  const sources = loadSources(files)
  const e = a.state === 'present' ? addSource(sources, source, suggestPath(source, a.filename)) : removeSource(sources, source)
  return { files, before: dumpAll(sources), after: dumpAll(e.after), appended: e.appended }
}

/** The files whose content (or existence) changes, sorted. */
function changedPaths(e: Edit): string[] {
  return [...new Set([...e.before.keys(), ...e.after.keys()])].filter((p) => e.before.get(p) !== e.after.get(p)).sort()
}

/** Puts the changed files back as they were (their exact bytes and mode), removes the new ones. */
function revert(e: Edit, paths: string[]): Script {
  return joinScripts(
    paths.map((p, i) => {
      const old = e.files.find((f) => f.path === p)
      if (!old) return sh`rm -f -- ${p}`
      const doc = heredocBytes(old.content, `RMP_SOURCES_${i}`)
      return joinScripts([sh`${doc.pipe} > ${p}`, doc.doc, sh`chmod ${old.mode} -- ${p}`])
    }),
  )
}

/** How the update step tells result() that it failed (and put the files back): the task fails there, with Ansible's words. */
const UPDATE_FAILED = 'rmp-update-failed: '

/** apt-get update with Ansible's retries; when it keeps failing, the files go back as they were. */
function updateStep(a: RepoArgs, e: Edit, paths: string[]): ExecStep {
  const waits = Array.from({ length: a.update_cache_retries }, (_, i) =>
    i === a.update_cache_retries - 1 ? 0 : Math.min(2 ** i, a.update_cache_retry_max_delay),
  )
  const script = sh`rmp_log=$(mktemp) || exit 1
rmp_ok=
for rmp_wait in ${waits.map(String)}; do
  if apt-get -q update >"$rmp_log" 2>&1; then rmp_ok=1; break; fi
  sleep "$rmp_wait"
done
if [ -z "$rmp_ok" ]; then
${revert(e, paths)}
  rmp_err=$(awk '/^[EW]: / { sub(/: /, ":"); printf "%s%s", s, $0; s = ", " }' "$rmp_log")
  rm -f -- "$rmp_log"
  printf '%s%s\\n' ${UPDATE_FAILED} "\${rmp_err:-unknown reason}"
  exit 0
fi
cat -- "$rmp_log"; rm -f -- "$rmp_log"`
  return { kind: 'exec', label: 'update', script, env: { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' } }
}

function summary(a: RepoArgs, e: Edit, path: string): string {
  const line = repoSource(a.repo)
  if (!e.after.has(path)) return `remove ${line} from ${path} (the file goes: no line is left)`
  if (a.state === 'absent') return `remove ${line} from ${path}`
  if (!e.before.has(path)) return `add ${line} to ${path} (a new file)`
  return e.appended.has(path) ? `add ${line} to ${path}` : `enable ${line} in ${path}`
}

const schema = {
  options: {
    repo: { type: 'str', required: true, doc: "The source line ('deb [options] URI suite component...')." },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'Whether the line is there (and enabled).' },
    filename: { type: 'str', doc: 'Name of the file in /etc/apt/sources.list.d, without .list (default: derived from the line, as Ansible does).' },
    mode: { type: 'mode', doc: 'Mode of the file the line is appended to (default: 0644 for a new file).' },
    update_cache: { type: 'bool', default: true, aliases: ['update-cache'], doc: 'Run apt-get update after a change.' },
    update_cache_retries: { type: 'int', default: 5, doc: 'How many times apt-get update is tried.' },
    update_cache_retry_max_delay: { type: 'int', default: 12, doc: 'The longest wait between two tries, in seconds.' },
    validate_certs: { type: 'bool', default: true, doc: 'Accepted for Ansible compatibility: it only serves ppa: lines, which are not supported.' },
    codename: { type: 'str', doc: 'Accepted for Ansible compatibility: it only serves ppa: lines, which are not supported.' },
    install_python_apt: { type: 'bool', default: true, doc: 'Accepted for Ansible compatibility: rm-play needs no python3-apt.' },
  },
} as const satisfies Schema
export type RepoArgs = ArgsOf<typeof schema>

export const aptRepository = hostModule({
  kind: 'host',
  name: 'apt_repository',
  doc: 'Add or remove a one-line APT repository in /etc/apt/sources.list.d, then apt-get update.',
  args: schema,
  returns: {
    repo: 'the repo line as given',
    state: 'present or absent',
    sources_added: 'files created',
    sources_removed: 'files deleted',
  },
  validate(a) {
    const errs: string[] = []
    if (typeof a.repo === 'string') {
      if (a.repo.trim().startsWith('ppa:'))
        errs.push(
          "ppa: repositories are not supported (they need Launchpad and a key server): give the 'deb ...' line and fetch its key with get_url or apt_key",
        )
      else
        try {
          repoSource(a.repo)
        } catch (e) {
          errs.push((e as Error).message)
        }
    }
    if (typeof a.filename === 'string' && a.filename.includes('/') && !PARTS_DIR.test(`${a.filename}.list`))
      errs.push(`filename must be a name in /etc/apt/sources.list.d (without .list), got '${a.filename}'`)
    if (typeof a.update_cache_retries === 'number' && a.update_cache_retries < 1) errs.push('update_cache_retries must be at least 1')
    return errs
  },
  probes: () => ({ files: sourcesFilesProbe() }),
  plan(a, { files }): Change[] {
    const e = edit(a, files)
    const paths = changedPaths(e)
    const changes = paths.map((path): Change => {
      const after = e.after.get(path)
      const old = files.find((f) => f.path === path)
      const mode = a.mode !== undefined && e.appended.has(path) ? wantedMode(a.mode, old?.mode, false, 0o022) : undefined
      const step: Step =
        after === undefined ? { kind: 'exec', script: sh`rm -f -- ${path}` } : { kind: 'put', path, content: after, ...(mode !== undefined ? { mode } : {}) }
      return { summary: summary(a, e, path), steps: [step], diff: { path, before: e.before.get(path) ?? '', after: after ?? '' } }
    })
    const last = changes[changes.length - 1]
    if (last && a.update_cache) {
      last.steps = [...last.steps, updateStep(a, e, paths)]
      last.summary += ', then apt-get update'
    }
    return changes
  },
  result(a, { files }, outputs) {
    const update = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'update')
    const failed = update?.stdout.split('\n').find((l) => l.startsWith(UPDATE_FAILED))
    if (failed !== undefined) throw new ModuleFailure(`Failed to update apt cache: ${failed.slice(UPDATE_FAILED.length)}`, { repo: a.repo, state: a.state })
    const e = edit(a, files)
    const paths = changedPaths(e)
    return {
      repo: a.repo,
      state: a.state,
      sources_added: paths.filter((p) => !e.before.has(p)),
      sources_removed: paths.filter((p) => !e.after.has(p)),
    }
  },
})
