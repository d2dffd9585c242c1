// `rm-play config`: the effective settings and where each came from, in the lines of
// `ansible-config dump` (`NAME(origin) = value`).
import { ConfigError, dumpConfig, loadConfig, SETTINGS, type ConfigEnv } from './config.js'

const USAGE = `usage: rm-play config [dump] [--only-changed] [-v]
       rm-play config list

  (no command)   the settings that differ from the defaults, and their origin (ansible-config dump --only-changed)
  dump           every setting rm-play reads, with its value and origin
  list           the ansible.cfg keys and ANSIBLE_* variables rm-play reads, and what each does
  -v             also the keys of the file that rm-play ignores

Files, first found wins: $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg.
Order: command line > ANSIBLE_* environment > config file > default.`

export function configCommand(argv: string[], io: { out(s: string): void; err(s: string): void }, ce?: ConfigEnv): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(USAGE + '\n')
    return 0
  }
  const words = argv.filter((a) => !a.startsWith('-'))
  const unknown = argv.filter((a) => a.startsWith('-') && !['--only-changed', '-v', '--verbose'].includes(a) && !/^-v+$/.test(a))
  const cmd = words[0] ?? 'changed'
  if (unknown.length || words.length > 1 || !['changed', 'dump', 'list'].includes(cmd)) {
    io.err(`rm-play config: unexpected ${unknown[0] ?? words.find((w) => w !== 'dump' && w !== 'list') ?? words[1]}\n${USAGE}\n`)
    return 1
  }
  if (cmd === 'list') {
    for (const d of SETTINGS) {
      io.out(`${d.name}\n  ini: [${d.section}] ${d.key}${d.env.length ? `\n  env: ${d.env.join(', ')}` : ''}\n  rm-play: ${d.use}\n`)
    }
    return 0
  }
  let cfg
  try {
    cfg = loadConfig(ce)
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e
    io.err(`rm-play config: ${e.message}\n`)
    return 1
  }
  for (const w of cfg.warnings) io.err(`[WARNING]: ${w}\n`)
  const onlyChanged = cmd === 'changed' || argv.includes('--only-changed')
  io.out(dumpConfig(cfg, onlyChanged).join('\n') + '\n')
  if (argv.some((a) => /^-v+$/.test(a) || a === '--verbose') && cfg.ignored.length)
    io.err(`Ignored in ${cfg.file} (not used by rm-play): ${cfg.ignored.join(', ')}\n`)
  return 0
}
