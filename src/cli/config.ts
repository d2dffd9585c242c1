// ansible.cfg and ANSIBLE_* variables, read as Ansible reads them: the first of $ANSIBLE_CONFIG,
// ./ansible.cfg (skipped in a world-writable directory), ~/.ansible.cfg, /etc/ansible/ansible.cfg;
// a setting comes from the command line, else its environment variable, else the file, else the
// default. Only the keys rm-play acts on are read; the others are ignored (a note at -v).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { FALSE, TRUE } from '../text/yes-no.js'

type Kind = 'string' | 'integer' | 'boolean' | 'path' | 'pathlist' | 'pathspec' | 'list'

export interface SettingDef {
  /** Ansible's name for it (as `ansible-config dump` prints). */
  name: string
  section: string
  key: string
  env: string[]
  kind: Kind
  /** rm-play's default (may differ from Ansible's: forks 50, not 5). */
  default: unknown
  /** What rm-play does with it, for `rm-play config --help`. */
  use: string
}

export const SETTINGS: SettingDef[] = [
  {
    name: 'DEFAULT_HOST_LIST',
    section: 'defaults',
    key: 'inventory',
    env: ['ANSIBLE_INVENTORY'],
    kind: 'pathlist',
    default: [],
    use: '-i when none is given (default ./inventory if it exists)',
  },
  { name: 'DEFAULT_ROLES_PATH', section: 'defaults', key: 'roles_path', env: ['ANSIBLE_ROLES_PATH'], kind: 'pathspec', default: [], use: '--roles-path' },
  { name: 'DEFAULT_FORKS', section: 'defaults', key: 'forks', env: ['ANSIBLE_FORKS'], kind: 'integer', default: 50, use: '-f' },
  { name: 'DEFAULT_REMOTE_USER', section: 'defaults', key: 'remote_user', env: ['ANSIBLE_REMOTE_USER'], kind: 'string', default: undefined, use: '-u' },
  {
    name: 'DEFAULT_PRIVATE_KEY_FILE',
    section: 'defaults',
    key: 'private_key_file',
    env: ['ANSIBLE_PRIVATE_KEY_FILE'],
    kind: 'path',
    default: undefined,
    use: '--private-key',
  },
  {
    name: 'HOST_KEY_CHECKING',
    section: 'defaults',
    key: 'host_key_checking',
    env: ['ANSIBLE_HOST_KEY_CHECKING'],
    kind: 'boolean',
    default: true,
    use: '--host-key-checking (False = no; rm-play also takes accept-new)',
  },
  {
    name: 'DEFAULT_VAULT_PASSWORD_FILE',
    section: 'defaults',
    key: 'vault_password_file',
    env: ['ANSIBLE_VAULT_PASSWORD_FILE'],
    kind: 'path',
    default: undefined,
    use: '--vault-password-file',
  },
  { name: 'DEFAULT_TIMEOUT', section: 'defaults', key: 'timeout', env: ['ANSIBLE_TIMEOUT'], kind: 'integer', default: 10, use: '-T' },
  {
    name: 'DEFAULT_MODULE_NAME',
    section: 'defaults',
    key: 'module_name',
    env: [],
    kind: 'string',
    default: 'command',
    use: 'the ad-hoc module when -m is not given',
  },
  { name: 'DEFAULT_BECOME', section: 'privilege_escalation', key: 'become', env: ['ANSIBLE_BECOME'], kind: 'boolean', default: false, use: '-b' },
  {
    name: 'DEFAULT_BECOME_USER',
    section: 'privilege_escalation',
    key: 'become_user',
    env: ['ANSIBLE_BECOME_USER'],
    kind: 'string',
    default: 'root',
    use: '--become-user',
  },
  {
    name: 'DEFAULT_BECOME_ASK_PASS',
    section: 'privilege_escalation',
    key: 'become_ask_pass',
    env: ['ANSIBLE_BECOME_ASK_PASS'],
    kind: 'boolean',
    default: false,
    use: '-K',
  },
  { name: 'ANSIBLE_FORCE_COLOR', section: 'defaults', key: 'force_color', env: ['ANSIBLE_FORCE_COLOR'], kind: 'boolean', default: false, use: '--color' },
  { name: 'ANSIBLE_NOCOLOR', section: 'defaults', key: 'nocolor', env: ['ANSIBLE_NOCOLOR', 'NO_COLOR'], kind: 'boolean', default: false, use: '--no-color' },
  {
    name: 'DEFAULT_LOG_PATH',
    section: 'defaults',
    key: 'log_path',
    env: ['ANSIBLE_LOG_PATH'],
    kind: 'path',
    default: undefined,
    use: 'read and shown; rm-play writes no log file',
  },
  {
    name: 'CALLBACKS_ENABLED',
    section: 'defaults',
    key: 'callbacks_enabled',
    env: ['ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_WHITELIST'],
    kind: 'list',
    default: [],
    use: 'profile_tasks (or ansible.posix.profile_tasks): the slowest tasks after the recap; others are ignored',
  },
  {
    name: 'RETRY_FILES_ENABLED',
    section: 'defaults',
    key: 'retry_files_enabled',
    env: ['ANSIBLE_RETRY_FILES_ENABLED'],
    kind: 'boolean',
    default: false,
    use: 'writes <playbook>.retry with the failed hosts (for --limit @FILE)',
  },
  {
    name: 'RETRY_FILES_SAVE_PATH',
    section: 'defaults',
    key: 'retry_files_save_path',
    env: ['ANSIBLE_RETRY_FILES_SAVE_PATH'],
    kind: 'path',
    default: undefined,
    use: 'where retry files go (default: beside the playbook)',
  },
]

export interface Setting {
  def: SettingDef
  value: unknown
  /** 'default', 'env: NAME' or the config file's path (as ansible-config prints it). */
  origin: string
}

export interface Config {
  /** The config file read, if any. */
  file?: string
  settings: Map<string, Setting>
  /** `[section] key` of the file that rm-play does not read. */
  ignored: string[]
  /** Things a user should know (an ansible.cfg skipped in a world-writable directory). */
  warnings: string[]
}

export class ConfigError extends Error {}

export interface ConfigEnv {
  env: NodeJS.ProcessEnv
  cwd: string
  home: string
}

const here = (): ConfigEnv => ({ env: process.env, cwd: process.cwd(), home: homedir() })

function expandPath(p: string, env: NodeJS.ProcessEnv, home: string, base: string): string {
  let s = p.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? m)
  if (s === '~' || s.startsWith('~/')) s = home + s.slice(1)
  return isAbsolute(s) ? resolve(s) : resolve(base, s)
}

/** The config file Ansible would read, and a warning when ./ansible.cfg was skipped. */
export function findConfigFile(ce: ConfigEnv = here()): { file?: string; warnings: string[] } {
  const warnings: string[] = []
  const candidates: string[] = []
  const fromEnv = ce.env.ANSIBLE_CONFIG
  let envFile: string | undefined
  if (fromEnv !== undefined) {
    const p = expandPath(fromEnv, ce.env, ce.home, ce.cwd)
    envFile = existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p
    candidates.push(envFile)
  }
  const cwdCfg = join(ce.cwd, 'ansible.cfg')
  let skippedCwd = false
  try {
    // Ansible: a world-writable directory's ansible.cfg could be anyone's; it is not read.
    if (statSync(ce.cwd).mode & 0o002) skippedCwd = existsSync(cwdCfg)
    else candidates.push(cwdCfg)
  } catch {
    // an unreadable cwd is no config source
  }
  candidates.push(join(ce.home, '.ansible.cfg'), '/etc/ansible/ansible.cfg')
  const file = candidates.find((c) => existsSync(c) && statSync(c).isFile())
  if (skippedCwd && file !== envFile) warnings.push(`Ansible is being run in a world writable directory (${ce.cwd}), ignoring it as an ansible.cfg source.`)
  return { file, warnings }
}

/** Python configparser's reading of an INI file (keys lowercased, `;` inline comments, continuation lines). */
export function parseIni(text: string, file: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  let section: Map<string, string> | undefined
  let last: string | undefined
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;].*)?$/.test(raw)) return
    if (/^\s/.test(raw) && section && last !== undefined) {
      section.set(last, `${section.get(last)}\n${stripComment(raw).trim()}`)
      return
    }
    const sec = /^\[([^\]]+)\]/.exec(raw)
    if (sec) {
      section = out.get(sec[1]!) ?? new Map()
      out.set(sec[1]!, section)
      last = undefined
      return
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw)
    if (!kv) throw new ConfigError(`${file}:${i + 1}: not a 'key = value' line: ${raw.trim()}`)
    if (!section) throw new ConfigError(`${file}:${i + 1}: '${kv[1]}' comes before any [section]`)
    last = kv[1]!.trim().toLowerCase()
    section.set(last, stripComment(kv[2]!).trim())
  })
  return out
}

const stripComment = (s: string) => s.replace(/\s;.*$/, '').replace(/%%/g, '%')

function convert(def: SettingDef, raw: string, base: string, ce: ConfigEnv, origin: string): unknown {
  const bad = (what: string) => new ConfigError(`${def.key} (${origin}): ${what}, got '${raw}'`)
  switch (def.kind) {
    case 'string':
      return raw
    case 'integer': {
      if (!/^\s*-?\d+\s*$/.test(raw)) throw bad('expected a whole number')
      return Number(raw)
    }
    case 'boolean': {
      const s = raw.trim().toLowerCase()
      if (def.key === 'host_key_checking' && s === 'accept-new') return 'accept-new'
      // Ansible reads anything not true-ish as false; a typo here would quietly turn a safety off.
      if (TRUE.has(s)) return true
      if (FALSE.has(s) || s === '') return false
      throw bad('expected true or false')
    }
    case 'path':
      return expandPath(raw.trim(), ce.env, ce.home, base)
    case 'list':
      return raw
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    case 'pathlist':
      return raw
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => expandPath(p, ce.env, ce.home, base))
    case 'pathspec':
      return raw
        .split(':')
        .filter(Boolean)
        .map((p) => expandPath(p, ce.env, ce.home, base))
  }
}

/** The effective settings: environment over file over defaults (the command line is applied later). */
export function loadConfig(ce: ConfigEnv = here()): Config {
  const { file, warnings } = findConfigFile(ce)
  const ini = file ? parseIni(readFileSync(file, 'utf8'), file) : new Map<string, Map<string, string>>()
  const settings = new Map<string, Setting>()
  for (const def of SETTINGS) {
    const envName = def.env.find((n) => ce.env[n] !== undefined)
    const fromFile = ini.get(def.section)?.get(def.key)
    let s: Setting = { def, value: def.default, origin: 'default' }
    if (envName !== undefined) s = { def, value: convert(def, ce.env[envName]!, ce.cwd, ce, `env: ${envName}`), origin: `env: ${envName}` }
    else if (fromFile !== undefined && file) s = { def, value: convert(def, fromFile, dirname(file), ce, file), origin: file }
    settings.set(def.key, s)
  }
  const known = new Set(SETTINGS.map((d) => `${d.section}\0${d.key}`))
  const ignored: string[] = []
  for (const [sec, keys] of ini) for (const k of keys.keys()) if (!known.has(`${sec}\0${k}`)) ignored.push(`[${sec}] ${k}`)
  return { file, settings, ignored, warnings }
}

/** A value as `ansible-config dump` prints it (Python's repr for lists and booleans). */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return 'None'
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (Array.isArray(v)) return `[${v.map((x) => `'${String(x)}'`).join(', ')}]`
  return String(v)
}

/** `ansible-config dump` lines: `NAME(origin) = value`, sorted by name; only the set ones if asked. */
export function dumpConfig(cfg: Config, onlyChanged: boolean): string[] {
  const lines: string[] = []
  if (cfg.file || !onlyChanged) lines.push(`CONFIG_FILE() = ${cfg.file ?? 'None'}`)
  for (const s of cfg.settings.values()) {
    if (onlyChanged && s.origin === 'default') continue
    lines.push(`${s.def.name}(${s.origin}) = ${formatValue(s.value)}`)
  }
  return lines.sort()
}

export function setting<T>(cfg: Config, key: string): { value: T; origin: string } | undefined {
  const s = cfg.settings.get(key)
  return s && s.origin !== 'default' ? { value: s.value as T, origin: s.origin } : undefined
}
