// pip: what a Python environment (a virtualenv or the system's) has installed, the requirements
// files a task names (with the files they include), and, for state=latest, what the index has
// newer. Comparing requirements with what is installed happens on the controller: PEP 440
// versions and specifiers, PEP 508 names, extras and markers, so that a requirements file whose
// packages are all there is ok without running pip at all.
import { code, joinScripts, sh, type Script } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
import { pairs } from './output.js'

export interface InstalledPackage {
  name: string
  version: string
  /** site-packages directory it is installed in. */
  location?: string
}

export interface RequirementsFile {
  path: string
  lines: string[]
}

export interface PipState {
  /** The chdir directory exists (or none was given). */
  chdir: boolean
  /** The virtualenv: 'none' when the task names none. */
  venv: 'present' | 'absent' | 'none'
  /** The virtualenv has no bin/python but its directory exists (so a failed creation must not remove it). */
  venvDir?: boolean
  /** pip answered `pip list`; otherwise why not. */
  pip: boolean
  pipError?: string
  installed: InstalledPackage[]
  /** Values of PEP 508 marker variables for this Python. */
  markerEnv: Record<string, string>
  /** sys.prefix of the Python: packages installed under it are the environment's own. */
  prefix?: string
  files: RequirementsFile[]
  missingFiles: string[]
  /** state=latest: packages the index has newer versions of (name → latest), or why asking failed. */
  outdated?: Record<string, string> | { error: string }
}

export interface PipProbeOptions {
  virtualenv?: string
  chdir?: string
  executable?: string
  requirements?: string
  /** Ask the index for outdated packages with these pip options (state=latest). */
  outdatedArgs?: string[]
}

/**
 * Shell lines that set the positional parameters to the pip command: the virtualenv's python -m
 * pip, the executable, pip3, pip, or python3 -m pip — the same choice in probes and steps.
 */
export function pipCommandLines(o: { virtualenv?: string; executable?: string }): Script[] {
  if (o.virtualenv !== undefined) return [sh`set -- ${`${o.virtualenv}/bin/python`} -m pip`]
  if (o.executable !== undefined) return [sh`set -- ${o.executable}`]
  return [code('if command -v pip3 >/dev/null 2>&1; then set -- pip3; elif command -v pip >/dev/null 2>&1; then set -- pip; else set -- python3 -m pip; fi')]
}

const MARKER_PY = `import json, os, platform, sys
v = sys.version_info
print(json.dumps({"python_version": "%d.%d" % (v[0], v[1]), "python_full_version": platform.python_version(), "os_name": os.name, "sys_platform": sys.platform, "platform_system": platform.system(), "platform_machine": platform.machine(), "platform_release": platform.release(), "implementation_name": sys.implementation.name, "platform_python_implementation": platform.python_implementation(), "__prefix": sys.prefix}))`

/**
 * A virtualenv's \`pip list -v --format=json\` without starting pip's command line (a third of a
 * second of CPU per run: most of a no-change pip task): the same walk as pip's importlib backend
 * (pip >= 22.3 on Python >= 3.11: sys.path in order but for the working directory, which pip's
 * __main__ drops, the first distribution of each name, pip's stdlib names skipped, its location
 * the directory that holds its metadata, the version as pip's own packaging prints it), on the
 * second line after the marker values. Prints nothing there, and pip itself is asked, wherever
 * pip could answer otherwise: another pip or Python, pip settings (PIP_* variables, pip.conf
 * files), egg-links, eggs, zip or wheel entries on sys.path, unreadable metadata.
 */
const LIST_PY = `
def pip_list():
    import importlib.metadata as md, importlib.util, re
    if v < (3, 11) or any(k.startswith("PIP_") and k not in ("PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_INPUT") for k in os.environ):
        return None
    spec = importlib.util.find_spec("pip")
    if spec is None or not spec.origin:
        return None
    pip_dir = os.path.dirname(spec.origin)
    if not os.path.isdir(os.path.join(pip_dir, "_internal", "metadata", "importlib")):
        return None
    import pip
    if tuple(int(x) for x in re.findall(r"\\d+", pip.__version__)[:2]) < (22, 3):
        return None
    home = os.path.expanduser("~")
    confs = [os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), home]
    for c in ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", os.path.join(confs[0], "pip", "pip.conf"), os.path.join(home, ".pip", "pip.conf"), os.path.join(sys.prefix, "pip.conf")] + [os.path.join(d, "pip", "pip.conf") for d in (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")]:
        if os.path.exists(c):
            return None
    from pip._vendor.packaging.version import parse
    seen, out = set(), []
    # pip's __main__ drops the working directory that python -m puts first on sys.path
    for loc in sys.path[1:] if sys.path and sys.path[0] in ("", os.getcwd()) else sys.path:
        if os.path.isdir(loc):
            if any(n.endswith((".egg-link", ".egg")) for n in os.listdir(loc)):
                return None
        elif os.path.exists(loc):
            return None
        for d in md.distributions(path=[loc]):
            name = d.metadata["Name"]
            if not isinstance(name, str):
                return None
            key = re.sub(r"[-_.]+", "-", name).lower()
            if key in seen:
                continue
            seen.add(key)
            if key not in ("python", "wsgiref", "argparse"):
                at = getattr(d, "_path", None)
                out.append((key, {"name": name, "version": str(parse(d.version)), "location": str(at.parent) if at is not None else ""}))
    return [p for _, p in sorted(out, key=lambda x: x[0])]
try:
    listed = pip_list()
except Exception:
    listed = None
if listed is not None:
    print(json.dumps(listed))`

export function pipProbeId(o: PipProbeOptions): string {
  return `pip:${JSON.stringify(o)}`
}

export function pipProbe(o: PipProbeOptions): Probe<PipState> {
  const lines: Script[] = [code('export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1')]
  if (o.chdir !== undefined) lines.push(sh`cd -- ${o.chdir} 2>/dev/null || { echo chdir=missing; exit 0; }`)
  lines.push(code('echo chdir=ok'))
  if (o.virtualenv !== undefined)
    lines.push(
      sh`venv=${o.virtualenv}; if [ -x "$venv/bin/python" ]; then echo venv=present; py="$venv/bin/python"; else echo venv=absent; py=; [ -e "$venv" ] && echo venvdir=exists; fi`,
    )
  else lines.push(code('echo venv=none; py=python3'))
  lines.push(...pipCommandLines(o))
  // With a virtualenv, $py is the Python whose pip lists: it may answer for pip (LIST_PY).
  const py = o.virtualenv !== undefined ? MARKER_PY + LIST_PY : MARKER_PY
  lines.push(
    code('if [ -n "$py" ]; then'),
    sh`  pyout=$("$py" -c ${py} 2>/dev/null); printf 'env=%s\\n' "$(printf '%s\\n' "$pyout" | sed -n 1p)"; listed=$(printf '%s\\n' "$pyout" | sed -n 2p)`,
    code(
      '  if [ -n "$listed" ]; then printf \'list=%s\\n\' "$listed"; elif out=$("$@" list -v --format=json 2>&1); then printf \'%s\\n\' "$out" | sed -n \'s/^\\[/list=[/p\'; else printf \'%s\\n\' "$out" | sed \'s/^/listerr=/\'; fi',
    ),
  )
  if (o.outdatedArgs)
    lines.push(
      sh`  if out=$("$@" list --outdated --format=json ${o.outdatedArgs} 2>&1); then printf '%s\\n' "$out" | sed -n 's/^\\[/outdated=[/p'; else printf '%s\\n' "$out" | sed 's/^/outdatederr=/'; fi`,
    )
  lines.push(code('fi'))
  if (o.requirements !== undefined) {
    // Requirements files and the files they include (-r), each once, relative to the includer.
    lines.push(
      sh`todo=${o.requirements}; seen=; n=0`,
      code('while [ -n "$todo" ] && [ $n -lt 50 ]; do'),
      code('  f=$(printf \'%s\\n\' "$todo" | head -n 1); todo=$(printf \'%s\\n\' "$todo" | sed 1d); n=$((n + 1))'),
      code('  c=$(readlink -f -- "$f" 2>/dev/null) || c=$f'),
      code('  case "$seen" in *"|$c|"*) continue ;; esac; seen="$seen|$c|"'),
      code('  if [ ! -r "$f" ] || [ -d "$f" ]; then printf \'reqmissing=%s\\n\' "$f"; continue; fi'),
      code('  printf \'reqfile=%s\\n\' "$f"; sed \'s/^/reqline=/\' -- "$f"; echo'),
      code('  d=$(dirname -- "$f")'),
      code('  incs=$(sed -n \'s/^[[:space:]]*\\(-r\\|--requirement\\)[[:space:]=]*\\([^[:space:]]*\\).*/\\2/p\' -- "$f")'),
      code('  while IFS= read -r inc; do'),
      code('    [ -n "$inc" ] || continue'),
      code('    case "$inc" in /*) ;; *) inc="$d/$inc" ;; esac'),
      code('    todo=$(printf \'%s\\n%s\' "$todo" "$inc" | sed \'/^$/d\')'),
      code('  done <<EOF'),
      code('$incs'),
      code('EOF'),
      code('done'),
    )
  }
  return { id: pipProbeId(o), script: joinScripts(lines), parse: parsePipState }
}

function parseJsonList(text: string, what: string): unknown[] {
  try {
    const v = JSON.parse(text)
    if (!Array.isArray(v)) throw new Error('not a list')
    return v
  } catch (e) {
    throw new Error(`cannot parse ${what}: ${(e as Error).message}: ${text.slice(0, 200)}`)
  }
}

export function parsePipState(out: ProbeOutput): PipState {
  const st: PipState = { chdir: true, venv: 'none', pip: false, installed: [], markerEnv: {}, files: [], missingFiles: [] }
  const listErr: string[] = []
  const outdatedErr: string[] = []
  let outdated: Record<string, string> | undefined
  let file: RequirementsFile | undefined
  let seen = false
  for (const [k, v] of pairs(out.stdout)) {
    switch (k) {
      case 'chdir':
        st.chdir = v === 'ok'
        seen = true
        break
      case 'venv':
        if (v !== 'present' && v !== 'absent' && v !== 'none') throw new Error(`unexpected venv state '${v}'`)
        st.venv = v
        break
      case 'venvdir':
        st.venvDir = true
        break
      case 'env':
        if (v.trim()) {
          const { __prefix, ...env } = JSON.parse(v) as Record<string, string>
          st.markerEnv = env
          if (__prefix) st.prefix = __prefix
        }
        break
      case 'list':
        st.pip = true
        st.installed = parseJsonList(v, 'pip list').map((p) => {
          const o = p as Record<string, unknown>
          return { name: String(o.name), version: String(o.version), ...(typeof o.location === 'string' ? { location: o.location } : {}) }
        })
        break
      case 'listerr':
        listErr.push(v)
        break
      case 'outdated':
        outdated = {}
        for (const p of parseJsonList(v, 'pip list --outdated')) {
          const o = p as Record<string, unknown>
          outdated[normalizeName(String(o.name))] = String(o.latest_version ?? '')
        }
        break
      case 'outdatederr':
        outdatedErr.push(v)
        break
      case 'reqfile':
        file = { path: v, lines: [] }
        st.files.push(file)
        break
      case 'reqline':
        file?.lines.push(v)
        break
      case 'reqmissing':
        st.missingFiles.push(v)
        break
    }
  }
  if (!seen) throw new Error(`unexpected output: ${out.stdout.slice(0, 200)}`)
  if (!st.pip && listErr.length) st.pipError = lastLines(listErr)
  if (outdated) st.outdated = outdated
  else if (outdatedErr.length) st.outdated = { error: lastLines(outdatedErr) }
  return st
}

function lastLines(lines: string[]): string {
  return (
    lines
      .filter((l) => l.trim())
      .slice(-3)
      .join('\n') || 'failed'
  )
}

// ---- PEP 503 names ----

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

// ---- PEP 440 versions ----

export interface Version {
  epoch: number
  release: number[]
  /** ['a' | 'b' | 'rc', n] */
  pre?: [string, number]
  post?: number
  dev?: number
  local?: string
}

const VERSION_RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i

export function parseVersion(s: string): Version | undefined {
  const m = VERSION_RE.exec(s)
  if (!m) return undefined
  const v: Version = { epoch: m[1] ? Number(m[1]) : 0, release: m[2]!.split('.').map(Number) }
  if (m[3]) {
    const t = m[3].toLowerCase()
    v.pre = [t === 'alpha' ? 'a' : t === 'beta' ? 'b' : ['c', 'pre', 'preview'].includes(t) ? 'rc' : t, m[4] ? Number(m[4]) : 0]
  }
  if (m[5] !== undefined) v.post = Number(m[5])
  else if (m[6]) v.post = m[7] ? Number(m[7]) : 0
  if (m[8]) v.dev = m[9] ? Number(m[9]) : 0
  if (m[10]) v.local = m[10].toLowerCase().replace(/[-_]/g, '.')
  return v
}

function cmpNums(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d) return d < 0 ? -1 : 1
  }
  return 0
}

const PRE_ORDER: Record<string, number> = { a: 0, b: 1, rc: 2 }

function cmpLocal(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0
  if (a === undefined) return -1
  if (b === undefined) return 1
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x)
    const ny = /^\d+$/.test(y)
    if (nx && ny) {
      const d = Number(x) - Number(y)
      if (d) return d < 0 ? -1 : 1
    } else if (nx !== ny) return nx ? 1 : -1
    else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** PEP 440 ordering: epoch, release, pre (dev-only releases before pre-releases), post, dev, local. */
export function compareVersions(a: Version, b: Version, withLocal = true): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1
  const r = cmpNums(a.release, b.release)
  if (r) return r
  const preKey = (v: Version): number[] => (v.pre ? [PRE_ORDER[v.pre[0]] ?? 0, v.pre[1]] : v.post === undefined && v.dev !== undefined ? [-1, 0] : [3, 0])
  const p = cmpNums(preKey(a), preKey(b))
  if (p) return p
  const postKey = (v: Version) => (v.post === undefined ? -1 : v.post)
  if (postKey(a) !== postKey(b)) return postKey(a) < postKey(b) ? -1 : 1
  const devKey = (v: Version) => (v.dev === undefined ? Infinity : v.dev)
  if (devKey(a) !== devKey(b)) return devKey(a) < devKey(b) ? -1 : 1
  return withLocal ? cmpLocal(a.local, b.local) : 0
}

// ---- PEP 440 specifiers ----

export interface Specifier {
  op: string
  version: string
}

const SPEC_RE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9][^\s,;()]*)\s*$/

function parseSpecifiers(text: string): Specifier[] | undefined {
  if (text.trim() === '') return []
  const out: Specifier[] = []
  for (const part of text.split(',')) {
    const m = SPEC_RE.exec(part)
    if (!m) return undefined
    out.push({ op: m[1]!, version: m[2]! })
  }
  return out
}

function publicOf(v: Version): Version {
  return { ...v, local: undefined }
}

/** Does an installed version satisfy one specifier? Installed pre-releases count, as pip counts them. */
export function satisfies(installed: string, spec: Specifier): boolean {
  if (spec.op === '===') return installed.trim().toLowerCase() === spec.version.trim().toLowerCase()
  const v = parseVersion(installed)
  if (!v) return false
  if ((spec.op === '==' || spec.op === '!=') && spec.version.endsWith('.*')) {
    const s = parseVersion(spec.version.slice(0, -2))
    if (!s) return false
    // Prefix match on the release segments (and the epoch); pre/post/dev of the prefix must match too.
    const prefix = s.release
    const padded = [...v.release, ...Array(Math.max(0, prefix.length - v.release.length)).fill(0)]
    let match = v.epoch === s.epoch && prefix.every((n, i) => padded[i] === n)
    if (match && (s.pre || s.post !== undefined || s.dev !== undefined))
      match = compareVersions({ ...publicOf(v), release: padded.slice(0, prefix.length) }, s, false) === 0
    return spec.op === '==' ? match : !match
  }
  const s = parseVersion(spec.version)
  if (!s) return false
  const c = compareVersions(s.local ? v : publicOf(v), s, !!s.local)
  switch (spec.op) {
    case '==':
      return c === 0
    case '!=':
      return c !== 0
    case '<=':
      return compareVersions(publicOf(v), s, false) <= 0
    case '>=':
      return compareVersions(publicOf(v), s, false) >= 0
    case '<': {
      const cc = compareVersions(publicOf(v), s, false)
      // <V excludes pre-releases of V itself unless V is one.
      if (cc < 0 && !s.pre && s.dev === undefined && (v.pre || v.dev !== undefined) && cmpNums(v.release, s.release) === 0 && v.epoch === s.epoch) return false
      return cc < 0
    }
    case '>': {
      const cc = compareVersions(publicOf(v), s, false)
      // >V excludes post-releases of V unless V is one, and local versions of V.
      if (cc > 0 && s.post === undefined && v.post !== undefined && cmpNums(v.release, s.release) === 0 && v.epoch === s.epoch && !v.pre && !s.pre) return false
      return cc > 0
    }
    case '~=': {
      if (s.release.length < 2) return false
      const prefix = s.release.slice(0, -1)
      const inPrefix = v.epoch === s.epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n)
      return inPrefix && compareVersions(publicOf(v), s, false) >= 0
    }
  }
  return false
}

// ---- PEP 508 requirements ----

export interface Requirement {
  /** The text as written. */
  text: string
  name: string
  /** Normalised name for comparisons. */
  key: string
  extras: string[]
  specifiers: Specifier[]
  marker?: string
}

const REQ_RE =
  /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(\(?\s*(?:(?:~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9][^\s,;()]*\s*,?\s*)*\)?)\s*(?:;\s*(.*))?$/

/** Parses a name with optional extras, specifiers and marker; undefined for URLs, paths and other forms. */
export function parseRequirement(text: string): Requirement | undefined {
  const m = REQ_RE.exec(text)
  if (!m) return undefined
  const specText = m[3]!
    .trim()
    .replace(/^\(|\)$/g, '')
    .replace(/,\s*$/, '')
  const specifiers = parseSpecifiers(specText)
  if (!specifiers) return undefined
  const r: Requirement = {
    text: text.trim(),
    name: m[1]!,
    key: normalizeName(m[1]!),
    extras: (m[2] ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean),
    specifiers,
  }
  if (m[4] !== undefined && m[4].trim()) r.marker = m[4].trim()
  return r
}

export interface RequirementLines {
  requirements: Requirement[]
  /** Lines pip understands but this comparison cannot check (URLs, paths, editables, ${VAR}). */
  unverifiable: string[]
}

const IGNORED_OPTIONS =
  /^(-r|--requirement|-c|--constraint|-i|--index-url|--extra-index-url|--no-index|-f|--find-links|--pre|--trusted-host|--prefer-binary|--only-binary|--no-binary|--require-hashes|--use-feature)\b/

/** The requirements in requirements-file lines: comments, continuations, options and hashes dealt with. */
export function parseRequirementLines(lines: string[]): RequirementLines {
  const out: RequirementLines = { requirements: [], unverifiable: [] }
  const joined: string[] = []
  let cur = ''
  for (const raw of lines) {
    if (raw.endsWith('\\')) {
      cur += raw.slice(0, -1) + ' '
      continue
    }
    joined.push(cur + raw)
    cur = ''
  }
  if (cur) joined.push(cur)
  for (const l of joined) {
    const line = l
      .replace(/(^|\s)#.*$/, '')
      .replace(/\s--hash[=\s]\S+/g, '')
      .trim()
    if (!line) continue
    if (IGNORED_OPTIONS.test(line)) continue
    if (line.startsWith('-') || line.includes('${') || line.includes('://') || line.includes('/') || /^\.|@/.test(line)) {
      out.unverifiable.push(line)
      continue
    }
    const r = parseRequirement(line)
    if (r) out.requirements.push(r)
    else out.unverifiable.push(line)
  }
  return out
}

// ---- PEP 508 markers ----

const VERSION_VARS = new Set(['python_version', 'python_full_version', 'implementation_version', 'platform_release'])

/** Evaluates a marker; undefined when it uses something this evaluator does not know. */
export function evaluateMarker(marker: string, env: Record<string, string>): boolean | undefined {
  const tokens = marker.match(/\s*("[^"]*"|'[^']*'|\(|\)|===|==|!=|<=|>=|~=|<|>|not\s+in\b|[A-Za-z_][A-Za-z0-9_.]*)/g)
  if (!tokens || tokens.join('').replace(/\s/g, '') !== marker.replace(/\s/g, '')) return undefined
  const t = tokens.map((x) => x.trim())
  let i = 0
  const value = (): { v: string; isVar: string | undefined } | undefined => {
    const x = t[i++]
    if (x === undefined) return undefined
    if (/^["']/.test(x)) return { v: x.slice(1, -1), isVar: undefined }
    if (x === 'extra') return { v: '', isVar: x }
    if (!(x in env)) return undefined
    return { v: env[x]!, isVar: x }
  }
  const atom = (): boolean | undefined => {
    if (t[i] === '(') {
      i++
      const r = expr()
      if (t[i++] !== ')') return undefined
      return r
    }
    const l = value()
    const op = t[i++]
    const r = value()
    if (!l || !op || !r) return undefined
    const versionish = VERSION_VARS.has(l.isVar ?? '') || VERSION_VARS.has(r.isVar ?? '')
    switch (op.replace(/\s+/g, ' ')) {
      case 'in':
        return r.v.includes(l.v)
      case 'not in':
        return !r.v.includes(l.v)
      case '===':
        return l.v === r.v
    }
    if (versionish && parseVersion(l.v) && parseVersion(r.v)) return satisfies(l.v, { op, version: r.v })
    switch (op) {
      case '==':
        return l.v === r.v
      case '!=':
        return l.v !== r.v
      case '<':
        return l.v < r.v
      case '<=':
        return l.v <= r.v
      case '>':
        return l.v > r.v
      case '>=':
        return l.v >= r.v
    }
    return undefined
  }
  const and = (): boolean | undefined => {
    let r = atom()
    while (t[i] === 'and') {
      i++
      const x = atom()
      r = r === undefined || x === undefined ? undefined : r && x
    }
    return r
  }
  const expr = (): boolean | undefined => {
    let r = and()
    while (t[i] === 'or') {
      i++
      const x = and()
      r = r === undefined || x === undefined ? undefined : r || x
    }
    return r
  }
  const r = expr()
  return i === t.length ? r : undefined
}

// ---- comparing ----

export type RequirementStatus = { req: Requirement; status: 'satisfied' | 'missing' | 'mismatch' | 'skipped'; installed?: string }

/** How one requirement stands against the installed packages (skipped: its marker excludes it here). */
export function checkRequirement(req: Requirement, installed: InstalledPackage[], env: Record<string, string>): RequirementStatus | undefined {
  if (req.marker !== undefined) {
    const m = evaluateMarker(req.marker, env)
    if (m === undefined) return undefined
    if (!m) return { req, status: 'skipped' }
  }
  const pkg = installed.find((p) => normalizeName(p.name) === req.key)
  if (!pkg) return { req, status: 'missing' }
  const ok = req.specifiers.every((s) => satisfies(pkg.version, s))
  return { req, status: ok ? 'satisfied' : 'mismatch', installed: pkg.version }
}
