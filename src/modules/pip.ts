/**
 * pip — manage Python packages with pip, in a virtualenv (created when missing) or in the
 * Python environment of a pip program.
 *
 * `name` is a package or a list of packages, each with optional version specifiers
 * ('gunicorn>=21,<23', 'six'); `version` pins a single `name`. `requirements` is a requirements
 * file on the host (relative to `chdir`). `state`: present (default), latest, absent, or
 * forcereinstall (always reinstalls).
 *
 * `virtualenv` is the environment's directory: when it has no bin/python it is created with
 * `virtualenv_command` (default `python3 -m venv`; on Debian that needs the python3-venv
 * package), with `--system-site-packages` when `virtualenv_site_packages` is true — then packages
 * that Debian's python3-* packages installed count as installed. Without `virtualenv`, pip is
 * `executable`, or pip3, pip or `python3 -m pip` from PATH.
 *
 * What is installed is read with `pip list` (in a virtualenv, with pip >= 22.3 on Python >= 3.11
 * and no pip settings, the same list is read from the packages' metadata as pip's own code reads
 * it, without starting pip), and each requirement (name, extras ignored, specifiers,
 * environment markers) is compared on the controller: when everything is there the task is ok
 * and pip install is not run. Lines pip understands but a comparison cannot check
 * (URLs, paths, `-e`, `${VAR}`) make the task run pip every time, shown as "would run". For
 * state=latest the index is asked (`pip list --outdated`, with the index options of
 * `extra_args`). `extra_args` are passed to pip install/uninstall as written (`--no-index
 * --find-links /srv/wheels`); rm-play adds no index options of its own.
 *
 *   - pip:
 *       requirements: /srv/runmaster/app/requirements.txt
 *       virtualenv: /srv/runmaster/venv
 *       virtualenv_site_packages: true
 *
 *   - pip: { name: [gunicorn, "psycopg2-binary>=2.9"], virtualenv: /srv/runmaster/venv }
 */
import { code, joinScripts, sh } from '../shell/index.js'
import {
  checkRequirement,
  parseRequirement,
  parseRequirementLines,
  pipCommandLines,
  pipProbe,
  normalizeName,
  type PipProbeOptions,
  type PipState,
  type Requirement,
  type RequirementStatus,
} from '../probes/pip.js'
import type { ArgsOf, Schema } from './schema.js'
import { shlexSplit } from '../shell/shlex.js'
import { needing, type Change, type ExecStep, type HostModule, type PlanContext, type StateOf } from './types.js'

const schema = {
  options: {
    name: { type: 'list', elements: 'str', aliases: ['pkg'], doc: "Package(s), each with optional version specifiers: 'six', 'gunicorn>=21,<23'." },
    version: { type: 'str', doc: 'Version of the single package in name (==version).' },
    requirements: { type: 'str', doc: 'Requirements file on the host (relative to chdir).' },
    virtualenv: { type: 'path', doc: 'Virtualenv directory to install into; created when it has no bin/python.' },
    virtualenv_site_packages: {
      type: 'bool',
      default: false,
      doc: "Create the virtualenv with --system-site-packages: the system's packages are visible (and count as installed).",
    },
    virtualenv_command: {
      type: 'str',
      default: 'python3 -m venv',
      doc: "Command that creates the virtualenv ('python3 -m venv', 'virtualenv', '/usr/bin/virtualenv -q').",
    },
    virtualenv_python: { type: 'str', doc: 'Python for the virtualenv (passed as -p; only with the virtualenv command, not with venv).' },
    state: {
      type: 'str',
      default: 'present',
      choices: ['present', 'absent', 'latest', 'forcereinstall'],
      doc: 'present: installed and satisfying the specifiers; latest: the newest the index has; absent: uninstalled; forcereinstall: reinstalled every run.',
    },
    extra_args: { type: 'str', doc: "Extra options for pip install/uninstall, as on a command line ('--no-index --find-links /srv/wheels')." },
    chdir: { type: 'path', doc: 'Run pip (and venv creation) in this directory.' },
    executable: { type: 'path', doc: 'The pip program to use (pip3, /usr/local/bin/pip3.11); not with virtualenv.' },
    break_system_packages: {
      type: 'bool',
      default: false,
      doc: "Pass --break-system-packages: let pip install into an externally managed Python (Debian's) — outside a virtualenv only.",
    },
  },
  requiredOneOf: [['name', 'requirements']],
  mutuallyExclusive: [
    ['name', 'requirements'],
    ['executable', 'virtualenv'],
  ],
} as const satisfies Schema
export type PipArgs = ArgsOf<typeof schema>

const OPS = /^\s*(~=|===|==|!=|<=|>=|<|>)/

/** A list argument splits 'six>=1,<2' at the comma: put specifiers back on their package. */
export function joinSpecifiers(names: string[]): string[] {
  const out: string[] = []
  for (const n of names) {
    if (OPS.test(n) && out.length) out[out.length - 1] += `,${n.trim()}`
    else out.push(n.trim())
  }
  return out.filter((n) => n !== '')
}

function names(a: PipArgs): string[] {
  const list = joinSpecifiers(a.name ?? [])
  if (a.version !== undefined && list.length === 1) return [`${list[0]}==${a.version}`]
  return list
}

function indexOptions(extra: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < extra.length; i++) {
    const x = extra[i]!
    if (['--no-index', '--pre'].includes(x)) out.push(x)
    else if (/^(--index-url|--extra-index-url|--find-links|--trusted-host)=/.test(x)) out.push(x)
    else if (['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host'].includes(x) && extra[i + 1] !== undefined)
      out.push(x, extra[++i]!)
  }
  return out
}

function extraArgs(a: PipArgs): string[] {
  return a.extra_args ? shlexSplit(a.extra_args) : []
}

function probeOptions(a: PipArgs): PipProbeOptions {
  return {
    ...(a.virtualenv !== undefined ? { virtualenv: a.virtualenv } : {}),
    ...(a.chdir !== undefined ? { chdir: a.chdir } : {}),
    ...(a.executable !== undefined ? { executable: a.executable } : {}),
    ...(a.requirements !== undefined ? { requirements: a.requirements } : {}),
    ...(a.state === 'latest' ? { outdatedArgs: indexOptions(extraArgs(a)) } : {}),
  }
}

const probes = (a: PipArgs) => ({ pip: pipProbe(probeOptions(a)) })

const isVenvModule = (cmd: string) => /(^|\s|\/)(-m\s+venv|pyvenv)(\s|$)/.test(cmd)

function venvStep(a: PipArgs, fresh: boolean): ExecStep {
  const words = shlexSplit(a.virtualenv_command)
  if (a.virtualenv_site_packages) words.push('--system-site-packages')
  if (a.virtualenv_python !== undefined) words.push('-p', a.virtualenv_python)
  words.push(a.virtualenv!)
  // A half-made virtualenv (venv without ensurepip leaves bin/python and no pip) would make
  // every later run fail on "no pip": one this step created goes again when creation fails.
  const script = fresh ? sh`${words} || { rc=$?; rm -rf -- ${a.virtualenv!}; exit $rc; }` : sh`${words}`
  return { kind: 'exec', script, ...(a.chdir !== undefined ? { cwd: a.chdir } : {}) }
}

/** pip words after the command: install/uninstall, options, then what. */
function pipWords(a: PipArgs, what: string[]): string[] {
  const extra = extraArgs(a)
  const bsp = a.break_system_packages ? ['--break-system-packages'] : []
  if (a.state === 'absent') return ['uninstall', '-y', ...bsp, ...extra, ...what]
  return ['install', ...(a.state === 'latest' ? ['-U'] : a.state === 'forcereinstall' ? ['--force-reinstall'] : []), ...bsp, ...extra, ...what]
}

function pipStep(a: PipArgs, what: string[]): ExecStep {
  const script = joinScripts([code('export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1'), ...pipCommandLines(a), sh`"$@" ${pipWords(a, what)}`])
  return { kind: 'exec', script, ...(a.chdir !== undefined ? { cwd: a.chdir } : {}) }
}

/** The pip command as a person would type it, for summaries and `cmd`. */
function shownCommand(a: PipArgs, what: string[]): string {
  const pip = a.virtualenv !== undefined ? `${a.virtualenv}/bin/python -m pip` : (a.executable ?? 'pip3')
  return `${pip} ${pipWords(a, what).join(' ')}`
}

interface Wanted {
  fromNames: Requirement[]
  unverifiable: string[]
  /** The requirements files' requirements (all files, includes too). */
  fromFiles: Requirement[]
}

function wantedOf(a: PipArgs, st: PipState): Wanted {
  const w: Wanted = { fromNames: [], unverifiable: [], fromFiles: [] }
  for (const n of names(a)) {
    const r = /[/@:]/.test(n) ? undefined : parseRequirement(n)
    if (r) w.fromNames.push(r)
    else w.unverifiable.push(n)
  }
  for (const f of st.files) {
    const p = parseRequirementLines(f.lines)
    w.fromFiles.push(...p.requirements)
    w.unverifiable.push(...p.unverifiable)
  }
  return w
}

function line(s: RequirementStatus): { before: string; after: string } {
  return { before: `${s.req.name}: ${s.installed ?? '(not installed)'}`, after: `${s.req.text}` }
}

function plan(a: PipArgs, { pip: st }: StateOf<ReturnType<typeof probes>>, ctx: PlanContext): Change[] {
  const what = a.requirements !== undefined ? ['-r', a.requirements] : names(a)
  const target = a.requirements !== undefined ? `-r ${a.requirements}` : names(a).join(' ')
  const where = a.virtualenv !== undefined ? ` in ${a.virtualenv}` : ''
  if (!st.chdir) {
    return needing(`chdir ${a.chdir} does not exist`, [{ summary: `pip ${a.state} ${target}${where} (${a.chdir} does not exist yet)`, steps: [] }])
  }
  if (st.missingFiles.length) {
    return needing(`requirements file not found: ${st.missingFiles.join(', ')}`, [
      { summary: `pip ${a.state} ${target}${where} (requirements file ${st.missingFiles[0]} does not exist yet)`, steps: [] },
    ])
  }
  if (st.venv === 'absent') {
    // A virtualenv that does not exist has nothing to uninstall.
    if (a.state === 'absent') return []
    const create = `${a.virtualenv_command}${a.virtualenv_site_packages ? ' --system-site-packages' : ''} ${a.virtualenv}`
    return [
      {
        summary: `create virtualenv ${a.virtualenv} and install ${target}`,
        steps: [venvStep(a, !st.venvDir), pipStep(a, what)],
        diff: { before: `virtualenv ${a.virtualenv}: (absent)\n`, after: `virtualenv ${a.virtualenv}: ${create}\n${target}\n` },
      },
    ]
  }
  if (!st.pip) {
    return needing(`pip is not available${where}: ${st.pipError ?? 'no output from pip list'}`, [
      { summary: `pip ${a.state} ${target}${where} (pip is not available yet)`, steps: [] },
    ])
  }
  const w = wantedOf(a, st)
  const reqs = [...w.fromNames, ...w.fromFiles]
  const statuses: RequirementStatus[] = []
  for (const r of reqs) {
    const s = checkRequirement(r, st.installed, st.markerEnv)
    if (s) statuses.push(s)
    else w.unverifiable.push(r.text)
  }
  const fileStep = a.requirements !== undefined

  if (a.state === 'forcereinstall') {
    return [
      {
        summary: `reinstall ${target}${where}`,
        steps: [pipStep(a, what)],
        diff: { before: statuses.map((s) => line(s).before).join('\n') + '\n', after: `${target} (reinstalled)\n` },
      },
    ]
  }

  if (a.state === 'absent') {
    // Only the environment's own packages can be removed (not the system's, seen through site packages).
    const own = st.installed.filter((p) => a.virtualenv === undefined || !st.prefix || !p.location || p.location.startsWith(`${st.prefix}/`))
    const present = statuses.filter((s) => s.status !== 'skipped' && own.some((p) => normalizeName(p.name) === s.req.key))
    if (!present.length) return []
    const remove = fileStep ? what : present.map((s) => s.req.name)
    return [
      {
        summary: `uninstall ${present.map((s) => s.req.name).join(' ')}${where}`,
        steps: [pipStep(a, remove)],
        diff: {
          before: present.map((s) => `${s.req.name}: ${s.installed}`).join('\n') + '\n',
          after: present.map((s) => `${s.req.name}: (absent)`).join('\n') + '\n',
        },
      },
    ]
  }

  const unmet = statuses.filter((s) => s.status === 'missing' || s.status === 'mismatch')
  let outdatedNote = ''
  if (a.state === 'latest') {
    const o = st.outdated
    if (o && 'error' in o) outdatedNote = `cannot ask the index: ${o.error.split('\n').pop()}`
    else if (o) for (const s of statuses) if (s.status === 'satisfied' && o[s.req.key] !== undefined) unmet.push({ ...s, status: 'mismatch' })
  }
  const uncertain = w.unverifiable.length > 0 || outdatedNote !== ''
  if (!unmet.length && !uncertain) return []
  const install = fileStep ? what : unmet.map((s) => s.req.text).concat(w.unverifiable)
  const lines = unmet.map(line)
  const latestOf = (s: RequirementStatus) => (st.outdated && !('error' in st.outdated) ? st.outdated[s.req.key] : undefined)
  const after = unmet.map((s, i) => (a.state === 'latest' && latestOf(s) ? `${s.req.name}: ${latestOf(s)}` : lines[i]!.after))
  const reason = w.unverifiable.length ? `cannot check ${w.unverifiable.join(', ')}` : outdatedNote
  const verb = a.state === 'latest' ? 'upgrade' : 'install'
  const summaryWhat = unmet.length ? unmet.map((s) => s.req.text).join(' ') : target
  return [
    {
      summary: `${verb} ${summaryWhat}${fileStep ? ` (from ${a.requirements})` : ''}${where}${uncertain ? ` (${reason})` : ''}`,
      ...(uncertain ? { uncertain: true } : {}),
      steps: [pipStep(a, install)],
      diff: {
        before: [...lines.map((l) => l.before), ...w.unverifiable.map((u) => `${u}: (unknown)`)].join('\n') + '\n',
        after: [...after, ...w.unverifiable].join('\n') + '\n',
      },
    },
  ]
}

export const pip: HostModule<PipArgs, PipArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'pip',
  doc: 'Manage Python packages with pip, in a virtualenv (created when missing) or a Python environment.',
  args: schema,
  returns: {
    cmd: 'the pip command that ran',
    name: 'the packages (name)',
    requirements: 'the requirements file',
    version: 'the version (version)',
    virtualenv: 'the virtualenv',
    state: 'the state asked for',
    stdout: "pip's output",
    stderr: "pip's error output",
  },
  validate(a) {
    const errs: string[] = []
    const list = joinSpecifiers(a.name ?? [])
    if (a.version !== undefined) {
      if (list.length !== 1) errs.push('version needs exactly one package in name')
      else if (/[<>=!~]/.test(list[0]!)) errs.push(`version cannot be combined with a version specifier in name ('${list[0]}')`)
      if (a.state === 'latest') errs.push('version is incompatible with state=latest')
    }
    for (const n of list) if (n.startsWith('-')) errs.push(`'${n}' is an option, not a package: put options in extra_args`)
    if (typeof a.virtualenv_command === 'string' && a.virtualenv_python !== undefined && isVenvModule(a.virtualenv_command))
      errs.push('virtualenv_python cannot be used with the venv module: name the python in virtualenv_command instead (/usr/bin/python3.11 -m venv)')
    if (a.break_system_packages && a.virtualenv !== undefined) errs.push('break_system_packages is for installing outside a virtualenv')
    if (typeof a.extra_args === 'string') {
      try {
        shlexSplit(a.extra_args)
      } catch (e) {
        errs.push(`cannot split extra_args: ${(e as Error).message}`)
      }
    }
    return errs
  },
  probes,
  plan,
  result(a, _state, outputs) {
    const what = a.requirements !== undefined ? ['-r', a.requirements] : names(a)
    // As Ansible's pip: pip's output as it printed it (its final newline kept).
    const last = [...outputs].reverse().find((o) => o.step.kind === 'exec')
    return {
      ...(last ? { stdout: last.stdout, stderr: last.stderr } : {}),
      cmd: outputs.length ? shownCommand(a, what) : '',
      name: names(a),
      requirements: a.requirements ?? null,
      version: a.version ?? null,
      virtualenv: a.virtualenv ?? null,
      state: a.state,
    }
  },
}
