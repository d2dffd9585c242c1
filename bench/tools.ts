// The tools compared and how each is run on the benchmark hosts: the command line of a real run and
// of a check run, and how many changes its output reports.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { $ } from 'zx'

export const TOOLS = ['rm-play', 'rm-play-direct', 'pyinfra', 'ansible', 'mitogen'] as const
export type Tool = (typeof TOOLS)[number]

/**
 * Tools that run another one's deploy unchanged, so that one's equivalence check covers them:
 * rm-play-direct is rm-play without its connection keeper, Mitogen runs Ansible's playbook.
 */
export const SAME_DEPLOY_AS: Partial<Record<Tool, Tool>> = { 'rm-play-direct': 'rm-play', mitogen: 'ansible' }

export interface Target {
  /** The Ansible-style hosts.yml the lab wrote. */
  inventory: string
  hosts: string[]
}

export interface ToolRunner {
  tool: Tool
  command(t: Target, check: boolean): { argv: string[]; env: NodeJS.ProcessEnv }
  /** Changes the run reports, from its output. */
  changes(output: string): number
}

/** Ansible's recap (rm-play prints the same): the sum of changed=N over the hosts. */
export function recapChanges(stdout: string): number {
  const counts = [...stdout.matchAll(/^\S+\s*:\s*ok=\d+\s+changed=(\d+)/gm)].map((m) => Number(m[1]))
  if (counts.length === 0) throw new Error(`no PLAY RECAP in the output:\n${stdout.slice(-2000)}`)
  return counts.reduce((a, b) => a + b, 0)
}

/** pyinfra logs `[host] Success` for an operation that ran commands and `[host] No changes` otherwise. */
export function pyinfraChanges(stdout: string): number {
  if (!stdout.includes('--> Results:')) throw new Error(`pyinfra did not get to its results:\n${stdout.slice(-2000)}`)
  return [...stdout.matchAll(/^\s*\[[^\]]+\] Success\s*$/gm)].length
}

export interface Paths {
  root: string
  bench: string
  /** The pyinfra launcher (empty: not found). */
  pyinfra: string
  /** ansible_mitogen's directory (empty: not installed). */
  mitogen: string
}

export function runners(p: Paths): Record<Tool, ToolRunner> {
  const playbook = join(p.bench, 'playbook.yml')
  const ansibleEnv = {
    ...process.env,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_FORKS: '50',
    ANSIBLE_NOCOLOR: '1',
  }
  const ansible = (tool: Tool, env: NodeJS.ProcessEnv): ToolRunner => ({
    tool,
    command: (t, check) => ({ argv: ['ansible-playbook', playbook, '-i', t.inventory, '-l', t.hosts.join(','), ...(check ? ['--check'] : [])], env }),
    changes: recapChanges,
  })
  const rmPlay = (tool: Tool, extra: (t: Target) => string[]): ToolRunner => ({
    tool,
    command: (t, check) => ({
      argv: [
        'node',
        join(p.root, 'bin', 'rm-play.js'),
        playbook,
        '-i',
        t.inventory,
        '-l',
        t.hosts.join(','),
        '--no-color',
        ...extra(t),
        ...(check ? ['--check'] : []),
      ],
      env: process.env,
    }),
    changes: recapChanges,
  })
  return {
    'rm-play': rmPlay('rm-play', () => []),
    // The inventory's ssh args say where the lab's known_hosts is: kept, with ControlPersist=no
    // added. An extra var, since the inventory's variable wins over --ssh-common-args.
    'rm-play-direct': rmPlay('rm-play-direct', (t) => [
      '-e',
      JSON.stringify({ ansible_ssh_common_args: `${inventorySshArgs(t.inventory)} -o ControlPersist=no`.trim() }),
    ]),
    pyinfra: {
      tool: 'pyinfra',
      command: (t, check) => ({
        argv: [p.pyinfra, check ? '--dry' : '-y', '--parallel', '50', join(p.bench, 'pyinfra', 'inventory.py'), join(p.bench, 'pyinfra', 'deploy.py')],
        env: { ...process.env, BENCH_LAB_INVENTORY: t.inventory, BENCH_HOSTS: t.hosts.join(',') },
      }),
      changes: pyinfraChanges,
    },
    ansible: ansible('ansible', ansibleEnv),
    mitogen: ansible('mitogen', { ...ansibleEnv, ANSIBLE_STRATEGY_PLUGINS: join(p.mitogen, 'plugins', 'strategy'), ANSIBLE_STRATEGY: 'mitogen_linear' }),
  }
}

/** all.vars.ansible_ssh_common_args of the lab's hosts.yml ('' when it has none). */
function inventorySshArgs(inventory: string): string {
  const inv = parse(readFileSync(inventory, 'utf8')) as { all?: { vars?: { ansible_ssh_common_args?: string } } }
  return inv.all?.vars?.ansible_ssh_common_args ?? ''
}

/** Why the tool cannot run on this machine, or undefined. */
export async function missing(tool: Tool, p: Paths): Promise<string | undefined> {
  if (tool === 'rm-play' || tool === 'rm-play-direct') return undefined
  if (tool === 'pyinfra') return p.pyinfra ? undefined : 'pyinfra not found (give --pyinfra PATH, see bench/README.md)'
  if (!(await $`which ansible-playbook`.nothrow()).stdout.trim()) return 'ansible-playbook not installed (apt-get install ansible-core)'
  if (tool === 'mitogen' && !p.mitogen) return 'ansible-mitogen not installed (apt-get install ansible-mitogen)'
  return undefined
}

/** pyinfra: --pyinfra, else `pyinfra` on PATH, else the runnable copy beside the project (shared/anchors/pyinfra/run). */
export async function findPyinfra(root: string, given: string | undefined): Promise<string> {
  if (given) return given
  const onPath = (await $`which pyinfra`.nothrow()).stdout.trim()
  if (onPath) return onPath
  const near = [join(root, '..', 'shared', 'anchors', 'pyinfra', 'run'), join(root, '..', '..', 'shared', 'anchors', 'pyinfra', 'run')]
  return near.find((f) => existsSync(f)) ?? ''
}

export async function findMitogen(): Promise<string> {
  return (
    await $({ nothrow: true, quiet: true })`/usr/bin/python3 -c ${'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))'}`
  ).stdout.trim()
}
