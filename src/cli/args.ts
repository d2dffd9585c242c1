// Command-line parsing for `rm-play PLAYBOOK ...`: Ansible's flags, short and long, repeated
// where Ansible repeats them.
import { suggest } from '../text/suggest.js'

export interface CliArgs {
  playbooks: string[]
  inventory: string[]
  limit?: string
  tags: string[]
  skipTags: string[]
  check: boolean
  diff: boolean
  forks: number
  extraVars: string[]
  user?: string
  privateKey?: string
  become: boolean
  becomeUser?: string
  askBecomePass: boolean
  vaultPasswordFile?: string
  startAtTask?: string
  forceHandlers: boolean
  listHosts: boolean
  listTasks: boolean
  listTags: boolean
  syntaxCheck: boolean
  verbosity: number
  json: boolean
  hostKeyChecking?: 'yes' | 'accept-new' | 'no'
  timeout?: number
  rolesPath: string[]
  color?: boolean
  help: boolean
  version: boolean
  connection?: 'ssh' | 'local'
  askPass: boolean
  becomeMethod?: 'sudo' | 'su'
  step: boolean
  flushCache: boolean
  sshCommonArgs?: string
  sshExtraArgs?: string
  modulePath: string[]
  vaultIds: string[]
  askVaultPass: boolean
  /** From ansible.cfg / ANSIBLE_RETRY_FILES_*: not flags. */
  retryFiles: boolean
  /** The slowest tasks after the recap (-v, or profile_tasks in callbacks_enabled). */
  profile?: boolean
  retryFilesSavePath?: string
}

export class UsageError extends Error {}

interface Flag {
  names: string[]
  value?: string // placeholder when the flag takes a value
  help: string
  apply(a: CliArgs, v: string): void
}

export const FLAGS: Flag[] = [
  {
    names: ['-i', '--inventory'],
    value: 'PATH',
    help: 'inventory file, directory or host list "a,b," (repeatable; default: ./inventory)',
    apply: (a, v) => a.inventory.push(v),
  },
  {
    names: ['-l', '--limit'],
    value: 'PATTERN',
    help: "only these hosts (Ansible patterns: web1, db, 'web*', 'a:&b', 'a:!b', @file)",
    apply: (a, v) => (a.limit = a.limit ? `${a.limit}:&${v}` : v),
  },
  {
    names: ['-t', '--tags'],
    value: 'TAGS',
    help: 'only tasks with these tags (comma-separated, repeatable)',
    apply: (a, v) =>
      a.tags.push(
        ...v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  },
  {
    names: ['--skip-tags'],
    value: 'TAGS',
    help: 'skip tasks with these tags',
    apply: (a, v) =>
      a.skipTags.push(
        ...v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  },
  { names: ['-C', '--check'], help: 'dry run: report what would change, change nothing', apply: (a) => (a.check = true) },
  { names: ['-D', '--diff'], help: 'show the differences in files and state', apply: (a) => (a.diff = true) },
  { names: ['-f', '--forks'], value: 'N', help: 'hosts worked on at once (default 50)', apply: (a, v) => (a.forks = positive(v, '--forks')) },
  {
    names: ['-e', '--extra-vars'],
    value: 'VARS',
    help: 'extra variables: k=v k2=v2, JSON/YAML, or @file (repeatable; highest precedence)',
    apply: (a, v) => a.extraVars.push(v),
  },
  { names: ['-u', '--user'], value: 'USER', help: 'remote user when the inventory gives none', apply: (a, v) => (a.user = v) },
  { names: ['--private-key', '--key-file'], value: 'FILE', help: 'SSH private key when the inventory gives none', apply: (a, v) => (a.privateKey = v) },
  { names: ['-b', '--become'], help: 'run tasks as another user (sudo, or --become-method)', apply: (a) => (a.become = true) },
  { names: ['--become-user'], value: 'USER', help: 'become this user (default root)', apply: (a, v) => (a.becomeUser = v) },
  { names: ['-K', '--ask-become-pass'], help: 'read the become password from the terminal', apply: (a) => (a.askBecomePass = true) },
  {
    names: ['-c', '--connection'],
    value: 'ssh|local',
    help: 'how to reach hosts whose inventory sets no ansible_connection (default ssh)',
    apply: (a, v) => (a.connection = oneOf(v === 'smart' || v === 'paramiko' ? 'ssh' : v, ['ssh', 'local'] as ('ssh' | 'local')[], '--connection')),
  },
  {
    names: ['-k', '--ask-pass'],
    help: 'read the SSH password from the terminal (or set ansible_password in the inventory/vault)',
    apply: (a) => (a.askPass = true),
  },
  {
    names: ['--ssh-common-args'],
    value: 'ARGS',
    help: 'ssh options for hosts without ansible_ssh_common_args: -o with ServerAliveInterval, StrictHostKeyChecking, ConnectTimeout, Port, User, IdentityFile...; -i, -p, -l (others are refused)',
    apply: (a, v) => (a.sshCommonArgs = v),
  },
  { names: ['--ssh-extra-args'], value: 'ARGS', help: 'more of the same, for hosts without ansible_ssh_extra_args', apply: (a, v) => (a.sshExtraArgs = v) },
  {
    names: ['--become-method'],
    value: 'sudo|su',
    help: 'how to become: sudo (default) or su (from another user than root, su asks for the become password: -K or ansible_become_password)',
    apply: (a, v) => (a.becomeMethod = oneOf(v, ['sudo', 'su'] as ('sudo' | 'su')[], '--become-method')),
  },
  {
    names: ['--vault-id'],
    value: 'LABEL@SOURCE',
    help: 'a vault password: LABEL@FILE, LABEL@prompt, FILE or prompt (repeatable; each is tried)',
    apply: (a, v) => a.vaultIds.push(v),
  },
  { names: ['-J', '--ask-vault-pass', '--ask-vault-password'], help: 'read the vault password from the terminal', apply: (a) => (a.askVaultPass = true) },
  {
    names: ['--vault-password-file', '--vault-pass-file'],
    value: 'FILE',
    help: 'vault password file (or executable printing it)',
    apply: (a, v) => (a.vaultPasswordFile = v),
  },
  { names: ['--start-at-task'], value: 'NAME', help: 'start at the first task with this name (globs allowed)', apply: (a, v) => (a.startAtTask = v) },
  { names: ['--force-handlers'], help: 'run notified handlers even on hosts that failed (not on unreachable ones)', apply: (a) => (a.forceHandlers = true) },
  { names: ['--step'], help: 'ask before each task: (y)es, (n)o, (c)ontinue without asking (reads the terminal)', apply: (a) => (a.step = true) },
  {
    names: ['--flush-cache'],
    help: 'accepted for Ansible: rm-play keeps no fact cache between runs, so there is nothing to flush',
    apply: (a) => (a.flushCache = true),
  },
  {
    names: ['-M', '--module-path'],
    value: 'DIRS',
    help: 'accepted and ignored with a note: rm-play runs its own modules, not Python ones',
    apply: (a, v) => a.modulePath.push(v),
  },
  { names: ['--list-hosts'], help: 'list the hosts each play would run on, then stop', apply: (a) => (a.listHosts = true) },
  { names: ['--list-tasks'], help: 'list the tasks each play would run, then stop', apply: (a) => (a.listTasks = true) },
  { names: ['--list-tags'], help: 'list the tags in the playbook, then stop', apply: (a) => (a.listTags = true) },
  { names: ['--syntax-check'], help: 'load and validate everything, touch no host', apply: (a) => (a.syntaxCheck = true) },
  {
    names: ['-v', '--verbose'],
    help: 'more output (-v: results, -vv: task paths, -vvv: what runs on each host, -vvvv: the SSH negotiation; secrets masked)',
    apply: (a) => a.verbosity++,
  },
  { names: ['--json'], help: 'one JSON event per line on stdout, for machines', apply: (a) => (a.json = true) },
  {
    names: ['--host-key-checking'],
    value: 'yes|accept-new|no',
    help: 'check SSH host keys against known_hosts (default yes)',
    apply: (a, v) => (a.hostKeyChecking = oneOf(v, ['yes', 'accept-new', 'no'] as ('yes' | 'accept-new' | 'no')[], '--host-key-checking')),
  },
  { names: ['-T', '--timeout'], value: 'SECONDS', help: 'SSH connection timeout (default 10)', apply: (a, v) => (a.timeout = positive(v, '--timeout')) },
  { names: ['--roles-path'], value: 'DIRS', help: 'more directories to find roles in (colon-separated)', apply: (a, v) => a.rolesPath.push(...v.split(':')) },
  { names: ['--color', '--colour'], help: 'colours even when not on a terminal', apply: (a) => (a.color = true) },
  { names: ['--no-color', '--no-colour'], help: 'no colours', apply: (a) => (a.color = false) },
  { names: ['-h', '--help'], help: 'this help', apply: (a) => (a.help = true) },
  { names: ['--version'], help: 'print the version', apply: (a) => (a.version = true) },
]

function positive(v: string, flag: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got '${v}'`)
  return n
}

function oneOf<T extends string>(v: string, allowed: T[], flag: string): T {
  if (!allowed.includes(v as T)) throw new UsageError(`${flag} takes ${allowed.join(', ')}, got '${v}'`)
  return v as T
}

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = {
    playbooks: [],
    inventory: [],
    tags: [],
    skipTags: [],
    check: false,
    diff: false,
    forks: 50,
    extraVars: [],
    become: false,
    askBecomePass: false,
    forceHandlers: false,
    listHosts: false,
    listTasks: false,
    listTags: false,
    syntaxCheck: false,
    verbosity: 0,
    json: false,
    rolesPath: [],
    help: false,
    version: false,
    retryFiles: false,
    askPass: false,
    step: false,
    flushCache: false,
    modulePath: [],
    vaultIds: [],
    askVaultPass: false,
  }
  const byName = new Map<string, Flag>()
  for (const f of FLAGS) for (const n of f.names) byName.set(n, f)
  argv = [...argv] // bundles are split in place
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      a.playbooks.push(...argv.slice(i + 1))
      break
    }
    if (/^-v+$/.test(arg)) {
      a.verbosity += arg.length - 1
      continue
    }
    if (!arg.startsWith('-') || arg === '-') {
      a.playbooks.push(arg)
      continue
    }
    // Bundled short flags, as getopt reads them: -CD is -C -D, -bK is -b -K, -Cvv is -C -vv; a
    // flag that takes a value ends the bundle (-Cl web1, -Clweb1).
    const first = !arg.startsWith('--') && arg.length > 2 ? byName.get(arg.slice(0, 2)) : undefined
    if (first && !first.value) {
      first.apply(a, '')
      argv.splice(i + 1, 0, `-${arg.slice(2)}`)
      continue
    }
    let name = arg
    let value: string | undefined
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      name = arg.slice(0, eq)
      value = arg.slice(eq + 1)
    } else if (!arg.startsWith('--') && arg.length > 2 && byName.get(arg.slice(0, 2))?.value) {
      // -iinventory, -lweb1 as in getopt
      name = arg.slice(0, 2)
      value = arg.slice(2)
    }
    const f = byName.get(name)
    if (!f) {
      const near = suggest(
        name,
        [...byName.keys()].filter((n) => n.startsWith('--') === name.startsWith('--')),
      )
      throw new UsageError(`unknown option ${name}${near ? ` (did you mean ${near}?)` : ''}`)
    }
    if (f.value) {
      if (value === undefined) {
        value = argv[++i]
        if (value === undefined) throw new UsageError(`${name} needs a value (${f.value})`)
      }
      f.apply(a, value)
    } else {
      if (value !== undefined) throw new UsageError(`${name} takes no value`)
      f.apply(a, '')
    }
  }
  return a
}

export function helpText(version: string): string {
  const lines = [
    `rm-play ${version}: run Ansible-style playbooks over SSH, fast.`,
    '',
    'Usage:',
    '  rm-play PLAYBOOK.yml [options]       run a playbook',
    '  rm-play lab up|down|status|ssh|reset manage local throwaway test hosts (rm-play lab --help)',
    '  rm-play HOSTPATTERN -m MODULE -a ARGS an ad-hoc task, as ansible',
    "  rm-play doc [-s] [MODULE]            list modules, or show one module's arguments (-s: a snippet)",
    '  rm-play inventory --list|--graph|--host H   the inventory, as ansible-inventory',
    '  rm-play config                       the settings in effect (ansible.cfg, ANSIBLE_*) and where from',
    '  rm-play init [DIR]                   a new project that runs against rm-play lab',
    '  rm-play completion bash|zsh          shell completion',
    '  rm-play vault create|edit|view|encrypt|decrypt|rekey FILE | encrypt-string [TEXT]   Ansible-compatible vault files',
    '',
    'Options:',
  ]
  for (const f of FLAGS) {
    const left = `  ${f.names.join(', ')}${f.value ? ` ${f.value}` : ''}`
    lines.push(left.length < 34 ? left.padEnd(34) + f.help : `${left}\n${' '.repeat(34)}${f.help}`)
  }
  lines.push(
    '',
    'Exit codes: 0 all ok, 1 usage or playbook error (nothing ran), 2 a host failed, 4 a host was unreachable, 130 interrupted.',
    'Ctrl-C: no new task starts, the commands running on the hosts are stopped, the recap is printed; Ctrl-C again exits at once.',
    'Configuration: ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) and the ANSIBLE_* variables of its keys (rm-play config shows them); retry_files_enabled writes PLAYBOOK.retry for --limit @FILE.',
    'Passwords (-k, -K, -J, --vault-id x@prompt) are read from the terminal, never from the command line.',
  )
  return lines.join('\n')
}
