/**
 * command — run a program on the host, without a shell (no pipes, redirections or $VARS).
 *
 * The command always counts as a change unless `creates` names a path that exists or `removes`
 * names one that does not; in check mode it is reported as "would run". Use `changed_when` to
 * say when it really changes something, and `check_mode: false` for read-only commands that
 * should run in check mode too.
 *
 *   - command: /opt/app/venv/bin/alembic upgrade head
 *     args: { chdir: /opt/app, creates: /opt/app/.migrated }
 *   - command: { argv: [nginx, -t] }
 *     changed_when: false
 */
import { DEFAULT_IFS, sh, type Script } from '../shell/index.js'
import type { ArgsOf, Schema } from './schema.js'
import { shlexSplit } from '../shell/shlex.js'
import type { Change, HostModule, Probe, StateOf, StepOutput } from './types.js'

export const commandSchema = {
  freeForm: 'cmd',
  options: {
    cmd: { type: 'str', doc: 'The command line (split like a shell would, but run without one).', aliases: ['_raw_params'] },
    argv: { type: 'list', elements: 'str', doc: 'The command as a list of words, no splitting at all.' },
    chdir: { type: 'path', doc: 'Run in this directory.' },
    creates: { type: 'path', doc: 'Do not run if this path (a glob is allowed) exists.' },
    removes: { type: 'path', doc: 'Run only if this path (a glob is allowed) exists.' },
    stdin: { type: 'str', doc: 'Text fed to the command.' },
    stdin_add_newline: { type: 'bool', default: true, doc: 'Add a newline after stdin.' },
    strip_empty_ends: { type: 'bool', default: true, doc: 'Strip trailing newlines from stdout and stderr in the result.' },
    executable: { type: 'path', doc: 'shell only: the shell to use (default /bin/sh).' },
  },
  mutuallyExclusive: [['cmd', 'argv']],
  requiredOneOf: [['cmd', 'argv']],
} as const satisfies Schema
export type CommandArgs = ArgsOf<typeof commandSchema>

export const commandReturns = {
  rc: 'exit code',
  stdout: 'standard output',
  stderr: 'standard error',
  stdout_lines: 'stdout split into lines',
  stderr_lines: 'stderr split into lines',
  cmd: "the command that ran: command's argument list, shell's line (as Ansible's)",
  msg: "empty after a run; why it did not run (creates/removes), in Ansible's words",
  delta: 'how long it ran',
}

/** Exists-probe for creates/removes: the path may be a glob. Its exit code says (0: it exists). */
function existsProbe(path: string): Probe<boolean> {
  return {
    id: `exists:${path}`,
    // The path is a glob on purpose (creates: /var/backups/*.done): expanded (IFS empty: not split),
    // never run. No exit and IFS put back: the batch runs it inline (see Probe.inline).
    script: sh`rmp_glob=${path}; rmp_match=; IFS=''; for rmp_match in $rmp_glob; do [ -e "$rmp_match" ] && break; rmp_match=; done; ${DEFAULT_IFS}; [ -n "$rmp_match" ]`,
    parse: (o) => o.code === 0,
    inline: { sets: ['rmp_glob', 'rmp_match'] },
  }
}

export function commandProbes(a: CommandArgs) {
  return { creates: a.creates ? existsProbe(a.creates) : undefined, removes: a.removes ? existsProbe(a.removes) : undefined }
}
type CommandProbes = ReturnType<typeof commandProbes>

export function commandPlan(a: CommandArgs, state: StateOf<CommandProbes>, script: Script, shown: string): Change[] {
  if (state.creates === true || state.removes === false) return []
  const stdin = a.stdin === undefined ? undefined : a.stdin + (a.stdin_add_newline ? '\n' : '')
  return [{ summary: `run: ${shown}`, uncertain: true, steps: [{ kind: 'exec', script, stdin, cwd: a.chdir }] }]
}

/**
 * The result as Ansible's command module gives it: `cmd` is the argument list for `command` and the
 * line for `shell`; `msg` is empty after a run and says why the command did not run for creates and
 * removes (the engine puts its own message there when the command fails).
 */
export function commandResult(
  a: CommandArgs,
  state: StateOf<CommandProbes>,
  outputs: StepOutput[],
  cmd: string | string[],
  check: boolean,
): Record<string, unknown> {
  const did = check ? 'Would' : 'Did'
  if (state.creates === true)
    return {
      cmd,
      msg: `${did} not run command since '${a.creates}' exists`,
      rc: 0,
      stdout: `skipped, since ${a.creates} exists`,
      stdout_lines: [`skipped, since ${a.creates} exists`],
      stderr: '',
      stderr_lines: [],
    }
  if (state.removes === false)
    return {
      cmd,
      msg: `${did} not run command since '${a.removes}' does not exist`,
      rc: 0,
      stdout: `skipped, since ${a.removes} does not exist`,
      stdout_lines: [`skipped, since ${a.removes} does not exist`],
      stderr: '',
      stderr_lines: [],
    }
  const o = outputs[outputs.length - 1]
  if (!o) return { cmd }
  const strip = (s: string) => (a.strip_empty_ends ? s.replace(/\n+$/, '') : s)
  // Python's splitlines: a final newline ends the last line, it does not start an empty one.
  const lines = (s: string) => (strip(s) === '' ? [] : strip(s).replace(/\n$/, '').split('\n'))
  return { cmd, msg: '', rc: o.code, stdout: strip(o.stdout), stderr: strip(o.stderr), stdout_lines: lines(o.stdout), stderr_lines: lines(o.stderr) }
}

function words(a: CommandArgs): string[] {
  return a.argv ?? shlexSplit(a.cmd ?? '')
}

export const command: HostModule<CommandArgs, CommandArgs, CommandProbes> = {
  kind: 'host',
  name: 'command',
  doc: 'Run a program on the host, without a shell.',
  args: commandSchema,
  returns: commandReturns,
  validate(a) {
    if (a.cmd !== undefined) {
      try {
        if (shlexSplit(a.cmd).length === 0) return ['the command is empty']
      } catch (e) {
        return [`cannot split the command: ${(e as Error).message}`]
      }
    }
    return []
  },
  probes: commandProbes,
  plan: (a, state) => commandPlan(a, state, sh`exec ${words(a)}`, words(a).join(' ')),
  result: (a, state, outputs, ctx) => commandResult(a, state, outputs, words(a), ctx.check),
}
