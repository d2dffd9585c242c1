// Fills the flags the command line did not give from ansible.cfg / ANSIBLE_* (see config.ts):
// command line > environment > config file > rm-play's defaults, as in Ansible.
import type { CliArgs } from './args.js'
import { FLAGS, UsageError } from './args.js'
import { ConfigError, loadConfig, setting, type Config, type ConfigEnv } from './config.js'

/** The flags present on the command line, by their first name (`-f` for `--forks=3`, `-f3`, `-bf 3`). */
export function givenFlags(argv: string[]): Set<string> {
  const byName = new Map<string, (typeof FLAGS)[number]>()
  for (const f of FLAGS) for (const n of f.names) byName.set(n, f)
  const given = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') break
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const f = byName.get(eq > 0 ? a.slice(0, eq) : a)
      if (!f) continue
      given.add(f.names[0]!)
      if (f.value && eq < 0) i++
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = byName.get(`-${a[j]}`)
        if (!f) break
        given.add(f.names[0]!)
        if (f.value) {
          if (j === a.length - 1) i++
          break
        }
      }
    }
  }
  return given
}

export function applyConfig(args: CliArgs, argv: string[], cfg: Config): CliArgs {
  const given = givenFlags(argv)
  const a: CliArgs = { ...args }
  const get = <T>(key: string) => setting<T>(cfg, key)?.value
  const inv = get<string[]>('inventory')
  if (!given.has('-i') && inv?.length) a.inventory = inv
  const roles = get<string[]>('roles_path')
  if (!given.has('--roles-path') && roles?.length) a.rolesPath = roles
  const forks = get<number>('forks')
  if (!given.has('-f') && forks !== undefined) {
    if (forks <= 0) throw new UsageError(`forks must be a positive number (${setting(cfg, 'forks')!.origin})`)
    a.forks = forks
  }
  const timeout = get<number>('timeout')
  if (!given.has('-T') && timeout !== undefined) a.timeout = timeout
  if (a.user === undefined && get('remote_user') !== undefined) a.user = get<string>('remote_user')
  if (a.privateKey === undefined && get('private_key_file') !== undefined) a.privateKey = get<string>('private_key_file')
  if (a.vaultPasswordFile === undefined && get('vault_password_file') !== undefined) a.vaultPasswordFile = get<string>('vault_password_file')
  if (a.becomeUser === undefined && get('become_user') !== undefined) a.becomeUser = get<string>('become_user')
  if (!a.become) a.become = get<boolean>('become') ?? false
  if (!a.askBecomePass) a.askBecomePass = get<boolean>('become_ask_pass') ?? false
  a.retryFiles = get<boolean>('retry_files_enabled') ?? false
  if ((get<string[]>('callbacks_enabled') ?? []).some((c) => /^(ansible\.posix\.)?profile_tasks$/.test(c))) a.profile = true
  if (get('retry_files_save_path') !== undefined) a.retryFilesSavePath = get<string>('retry_files_save_path')
  const hkc = get<boolean | 'accept-new'>('host_key_checking')
  if (a.hostKeyChecking === undefined && hkc !== undefined) a.hostKeyChecking = hkc === 'accept-new' ? 'accept-new' : hkc ? 'yes' : 'no'
  if (a.color === undefined) {
    // Ansible: nocolor turns colours off, force_color turns them back on.
    if (get<boolean>('force_color')) a.color = true
    else if (get<boolean>('nocolor')) a.color = false
  }
  return a
}

/** The hook main.ts calls after parsing: load, apply, say at -v what was read. Bad values are usage errors. */
export function withConfig(args: CliArgs, argv: string[], io: { err(s: string): void }, ce?: ConfigEnv): CliArgs {
  if (args.help || args.version) return args
  let cfg: Config
  try {
    cfg = loadConfig(ce)
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message)
    throw e
  }
  for (const w of cfg.warnings) io.err(`[WARNING]: ${w}\n`)
  if (args.verbosity > 0) {
    io.err(cfg.file ? `Using ${cfg.file} as config file\n` : 'No config file found; using defaults\n')
    if (cfg.ignored.length) io.err(`Ignored in ${cfg.file} (not used by rm-play): ${cfg.ignored.join(', ')}\n`)
  }
  return applyConfig(args, argv, cfg)
}
