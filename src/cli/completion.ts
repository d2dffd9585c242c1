// `rm-play completion bash|zsh`: a completion script (commands, flags, module names after -m and
// `doc`, hosts and groups after -l and for ad-hoc patterns, files elsewhere).
//   bash: eval "$(rm-play completion bash)"   (or save it in /etc/bash_completion.d/rm-play)
//   zsh:  eval "$(rm-play completion zsh)"    (uses zsh's bash completion layer)
// Hosts come from `rm-play completion --hosts`, which reads the inventory ansible.cfg or
// ./inventory names, so the script stays small and current.
import { existsSync } from 'node:fs'
import { moduleNames } from '../modules/index.js'
import { loadInventory } from '../playbook/inventory.js'
import { FLAGS } from './args.js'
import { loadConfig, setting } from './config.js'

const COMMANDS = ['lab', 'doc', 'vault', 'config', 'inventory', 'init', 'completion']
const SUB: Record<string, string[]> = {
  lab: ['up', 'status', 'ssh', 'reset', 'down', 'list', '--name', '--hosts', '--inventory', '--write-config', '--help'],
  vault: ['encrypt', 'decrypt', 'view', 'encrypt-string', 'create', 'edit', 'rekey', '--help'],
  config: ['dump', 'list', '--only-changed', '-v', '--help'],
  inventory: ['--list', '--graph', '--host', '--vars', '--yaml', '-i', '--inventory', '--vault-password-file', '--help'],
  completion: ['bash', 'zsh'],
  init: ['--help'],
}

function flagNames(): string[] {
  return [...FLAGS.flatMap((f) => f.names), '-m', '--module-name', '-a', '--args']
}

/** Flags whose value is a file (so the shell completes paths). */
function fileFlags(): string[] {
  return FLAGS.filter((f) => f.value && /FILE|PATH|DIRS/.test(f.value)).flatMap((f) => f.names)
}

export function bashScript(): string {
  const words = (xs: string[]) => xs.join(' ')
  return `# rm-play bash completion: eval "$(rm-play completion bash)"
_rm_play() {
  local cur prev sub
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  sub="\${COMP_WORDS[1]}"
  COMPREPLY=()
  case "$prev" in
    -m|--module-name) COMPREPLY=($(compgen -W "${words(moduleNames())}" -- "$cur")); return 0 ;;
    -l|--limit|--host) COMPREPLY=($(compgen -W "$(rm-play completion --hosts 2>/dev/null)" -- "$cur")); return 0 ;;
    ${fileFlags().join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
  esac
  if [[ $COMP_CWORD -gt 1 ]]; then
    case "$sub" in
      doc) COMPREPLY=($(compgen -W "-s --markdown ${words(moduleNames())}" -- "$cur")); return 0 ;;
${Object.entries(SUB)
  .map(([k, v]) => `      ${k}) COMPREPLY=($(compgen -W "${words(v)}" -- "$cur")); return 0 ;;`)
  .join('\n')}
    esac
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${words(flagNames())}" -- "$cur"))
  elif [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${words(COMMANDS)} $(rm-play completion --hosts 2>/dev/null)" -- "$cur") $(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o filenames -F _rm_play rm-play
`
}

export function zshScript(): string {
  return `# rm-play zsh completion: eval "$(rm-play completion zsh)"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript()}`
}

/** Host and group names of the inventory a run would use (ansible.cfg, else ./inventory). */
export function inventoryNames(): string[] {
  let sources: string[] = []
  try {
    sources = setting<string[]>(loadConfig(), 'inventory')?.value ?? []
  } catch {
    // a broken config: no names, never an error in the middle of a completion
  }
  if (!sources.length && existsSync('inventory')) sources = ['inventory']
  if (!sources.length) return []
  try {
    const inv = loadInventory(sources)
    return [...new Set([...inv.groups.keys(), ...inv.hostsOf('all')])]
  } catch {
    return []
  }
}

export function completionCommand(argv: string[], io: { out(s: string): void; err(s: string): void }): number {
  const what = argv[0]
  if (what === '--hosts') {
    io.out(inventoryNames().join('\n') + '\n')
    return 0
  }
  if (what === 'bash') io.out(bashScript())
  else if (what === 'zsh') io.out(zshScript())
  else {
    io.err('usage: rm-play completion bash|zsh\n  bash: eval "$(rm-play completion bash)"\n  zsh:  eval "$(rm-play completion zsh)"\n')
    return what === '-h' || what === '--help' ? 0 : 1
  }
  return 0
}
