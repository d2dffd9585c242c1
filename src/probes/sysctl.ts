// A kernel parameter's running value, as `sysctl -e -n` prints it (Ansible's sysctl reads it so).
import { sh } from '../shell/index.js'
import type { Probe } from '../contract/types.js'

/** The running value, or null when sysctl cannot read it. */
export const sysctlProbe = (name: string): Probe<string | null> => ({
  id: `sysctl:${name}`,
  script: sh`if v=$(LC_ALL=C sysctl -e -n ${name} 2>/dev/null); then printf 'value %s\n' "$v"; else echo none; fi`,
  parse: (o) => parseSysctlValue(o.stdout),
})

export function parseSysctlValue(out: string): string | null {
  return out.startsWith('value ') ? out.slice('value '.length).replace(/\n$/, '') : null
}
