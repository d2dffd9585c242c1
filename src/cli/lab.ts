// `rm-play lab …`: local throwaway Debian hosts. Parses its own arguments, prints, returns the exit code.
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { errorList, formatError } from '../playbook/errors.js'
import {
  DEFAULT_LAB,
  findLabOfHost,
  INIT_KINDS,
  type InitKind,
  labDown,
  labReset,
  labStatus,
  labUp,
  listLabs,
  readState,
  sshArgs,
  type LabStatus,
} from '../lab/index.js'
import { labError } from '../lab/errors.js'
import { secs } from '../report/pretty.js'
import { writeLabConfig } from './lab-config.js'

const USAGE = `usage: rm-play lab <command> [options]

  up [--hosts N] [--name NAME] [--init systemd|sysv] [--inventory DIR] [--subnet 10.231.X.0/24] [--write-config]
                     create or complete a lab of N hosts (default 3, lab 'lab');
                     --init: systemd as pid 1 (default for a new lab, as on servers; booted
                     by systemd-nspawn) or sysv (sshd as pid 1, /etc/init.d services; lighter);
                     an existing lab keeps its kind
                     writes DIR/hosts.yml (default: inventory/lab/ of the project);
                     --write-config: also ./ansible.cfg pointing at it (never over your own)
  status [--name NAME] [--json]
                     hosts, addresses, state and pids
  ssh HOST [--name NAME] [-- COMMAND...]
                     a shell (or COMMAND) on HOST as root, host key checked
  reset HOST... [--name NAME]
                     give hosts a fresh root (same address and host key)
  down [--name NAME] stop and remove everything of the lab (keeps the base image and apt cache)
  list               the labs on this machine
`

interface Parsed {
  command?: string
  positional: string[]
  rest: string[]
  flags: Map<string, string | true>
}

const VALUED = new Set(['--hosts', '--name', '--inventory', '--subnet', '--init'])
const BOOLEAN = new Set(['--json', '--help', '-h', '--write-config'])

function parse(argv: string[]): Parsed {
  const p: Parsed = { positional: [], rest: [], flags: new Map() }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      p.rest = argv.slice(i + 1)
      break
    }
    const eq = a.indexOf('=')
    const key = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a
    if (VALUED.has(key)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i]
      if (v === undefined) throw labError(`${key} needs a value`, USAGE.split('\n')[0])
      p.flags.set(key, v)
    } else if (BOOLEAN.has(a)) {
      p.flags.set(a, true)
    } else if (a.startsWith('-')) {
      throw labError(`unknown option '${a}'`, "see 'rm-play lab --help'")
    } else if (!p.command) {
      p.command = a
    } else {
      p.positional.push(a)
    }
  }
  return p
}

const str = (p: Parsed, k: string) => {
  const v = p.flags.get(k)
  return typeof v === 'string' ? v : undefined
}

const say = (msg: string) => console.log(msg)

function printStatus(s: LabStatus): void {
  console.log(`lab ${s.name}: ${s.subnet} on ${s.bridge} (${s.bridgeAddress})`)
  console.log(`  apt proxy ${s.aptProxy.url} ${s.aptProxy.running ? 'running' : 'NOT RUNNING'}${s.aptProxy.pid ? ` (pid ${s.aptProxy.pid})` : ''}`)
  console.log(`  git       ${s.gitDaemon.url} ${s.gitDaemon.running ? 'running' : 'NOT RUNNING'}${s.gitDaemon.pid ? ` (pid ${s.gitDaemon.pid})` : ''}`)
  if (s.pipIndex) {
    const built = `${s.pipIndex.source === 'debian' ? "Debian's packages alone" : 'pip download'}${s.pipIndex.complete ? '' : ', INCOMPLETE'}`
    console.log(`  pip index ${s.pipIndex.url} ${s.pipIndex.running ? 'running' : 'NOT RUNNING'} (pid ${s.pipIndex.pid}), from ${s.pipIndex.dir} (${built})`)
  }
  console.log(`  key ${s.keyPath}, known_hosts ${s.knownHostsPath}`)
  for (const inv of s.inventories) console.log(`  inventory ${inv}`)
  const w = Math.max(4, ...s.hosts.map((h) => h.name.length))
  console.log(`  ${'HOST'.padEnd(w)}  ${'ADDRESS'.padEnd(15)}  ${'STATE'.padEnd(8)}  ${'INIT'.padEnd(7)}  PID`)
  for (const h of s.hosts) console.log(`  ${h.name.padEnd(w)}  ${h.address.padEnd(15)}  ${h.state.padEnd(8)}  ${h.init.padEnd(7)}  ${h.initPid ?? '-'}`)
}

async function runSsh(host: string, lab: string | undefined, command: string[]): Promise<number> {
  const state = findLabOfHost(host, lab)
  const child = spawn('ssh', [...(command.length ? [] : ['-t']), ...sshArgs(state, host, command)], { stdio: 'inherit' })
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
    child.on('error', () => resolve(127))
  })
}

async function dispatch(p: Parsed): Promise<number> {
  const name = str(p, '--name')
  switch (p.command) {
    case 'up': {
      const hostsText = str(p, '--hosts')
      if (hostsText !== undefined && !/^\d+$/.test(hostsText)) throw labError(`--hosts needs a number, not '${hostsText}'`, 'e.g. --hosts 3')
      const hosts = hostsText === undefined ? undefined : Number(hostsText)
      const dir = str(p, '--inventory')
      // a file name there would become a directory of that name, holding hosts.yml
      if (dir !== undefined && (/\.ya?ml$/.test(dir) || (existsSync(dir) && !statSync(dir).isDirectory())))
        throw labError(`--inventory takes a directory (the lab writes DIR/hosts.yml), not the file '${dir}'`, `e.g. --inventory ${dirname(dir)}`)
      const init = str(p, '--init')
      if (init !== undefined && !INIT_KINDS.includes(init as InitKind))
        throw labError(`--init needs ${INIT_KINDS.join(' or ')}, not '${init}'`, 'e.g. --init systemd')
      const started = Date.now()
      const info = await labUp({
        name,
        hosts,
        init: init as InitKind | undefined,
        subnet: str(p, '--subnet'),
        inventoryPath: dir ? `${dir.replace(/\/$/, '')}/hosts.yml` : undefined,
        say,
      })
      console.log(`lab ${info.name} up in ${secs(Date.now() - started)}: ${info.hosts.length} hosts on ${info.subnet}`)
      for (const h of info.hosts) console.log(`  ${h.name}  ${h.address}  ${h.init}`)
      if (info.inventoryPath) console.log(`inventory: ${info.inventoryPath}`)
      console.log(`ssh: rm-play lab ssh ${info.hosts[0]?.name ?? ''}`)
      if (p.flags.has('--write-config') && info.inventoryPath) console.log(writeLabConfig(process.cwd(), info.name, info.inventoryPath).message)
      return 0
    }
    case 'status': {
      const lab = name ?? DEFAULT_LAB
      const s = await labStatus(lab)
      if (p.flags.has('--json')) {
        console.log(JSON.stringify(s ?? null, null, 2))
      } else if (s) {
        printStatus(s)
      } else {
        console.log(`no lab '${lab}' (rm-play lab up${name ? ` --name ${name}` : ''} creates it)`)
      }
      if (!s) return 1
      return s.hosts.every((h) => h.state === 'up') ? 0 : 3
    }
    case 'ssh': {
      const host = p.positional[0]
      if (!host || p.positional.length > 1) throw labError('lab ssh needs one HOST', 'rm-play lab ssh lab1 [-- command]')
      return runSsh(host, name, p.rest)
    }
    case 'reset': {
      if (p.positional.length === 0) throw labError('lab reset needs a HOST', 'rm-play lab reset lab1 [lab2 ...]')
      const started = Date.now()
      await labReset(p.positional, { name, say })
      console.log(`reset ${p.positional.join(', ')} in ${secs(Date.now() - started)}`)
      return 0
    }
    case 'down': {
      const lab = name ?? DEFAULT_LAB
      const started = Date.now()
      const had = await labDown({ name: lab, say })
      console.log(had ? `lab ${lab} down in ${secs(Date.now() - started)}` : `no lab '${lab}': nothing to do`)
      return 0
    }
    case 'list': {
      for (const l of listLabs()) {
        const s = readState(l)
        console.log(`${l}\t${s?.subnet ?? '?'}\t${s?.hosts.length ?? 0} hosts`)
      }
      return 0
    }
    default:
      throw labError(p.command ? `unknown lab command '${p.command}'` : 'lab needs a command', 'up, status, ssh, reset, down or list')
  }
}

export async function labCommand(argv: string[]): Promise<number> {
  try {
    const p = parse(argv)
    if (p.flags.has('--help') || p.flags.has('-h') || p.command === 'help') {
      process.stdout.write(USAGE)
      return 0
    }
    return await dispatch(p)
  } catch (e) {
    for (const err of errorList(e)) console.error(`rm-play lab: ${formatError(err)}`)
    return 1
  }
}
