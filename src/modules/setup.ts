/**
 * setup — gather the host's facts again, as the play's fact gathering does (ansible.builtin.setup).
 *
 * The facts are rm-play's one small set (the same probe as `gather_facts`); they replace the
 * host's facts of the same names, so `ansible_facts` and the `ansible_*` variables show the new
 * values from the next task on, and `register` holds them as Ansible's setup returns them
 * (`ansible_facts.ansible_hostname`). `filter` keeps only the facts whose names match one of its
 * shell-style patterns (`ansible_distribution*`, with or without the `ansible_` prefix).
 * `gather_subset` is accepted for Ansible's sake; rm-play always reads its one set. Never a
 * change; it runs in check mode too.
 *
 *   - setup: { filter: ['ansible_distribution*'] }
 *   - setup:                      # after a task that changed the hostname
 */
import { factsProbe } from '../probes/facts.js'
import { hostModule } from './types.js'

/** Python's fnmatch (case-sensitive, as on POSIX): *, ?, [seq], [!seq]. */
export function fnmatch(name: string, pattern: string): boolean {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end === -1) re += '\\['
      else {
        let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\')
        if (set.startsWith('!')) set = `^${set.slice(1)}`
        re += `[${set}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's').test(name)
}

/** The facts as Ansible's setup returns them (ansible_-prefixed names), filtered. */
export function setupFacts(facts: Record<string, unknown>, filter: string[]): Record<string, unknown> {
  const patterns = filter.filter((f) => f !== '' && f !== '*')
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(facts)) {
    const name = `ansible_${k}`
    if (!patterns.length || patterns.some((p) => fnmatch(name, p) || fnmatch(k, p))) out[name] = v
  }
  return out
}

export const setup = hostModule({
  kind: 'host',
  name: 'setup',
  doc: "Gather the host's facts again (as gather_facts does); filter picks some.",
  args: {
    options: {
      filter: { type: 'list', elements: 'str', default: [], doc: "Shell-style patterns of the facts to keep ('ansible_distribution*'); empty: all." },
      gather_subset: { type: 'list', elements: 'str', default: ['all'], doc: 'Accepted for Ansible compatibility; rm-play gathers its one set of facts.' },
      gather_timeout: { type: 'int', default: 10, doc: 'Accepted for Ansible compatibility.' },
    },
  },
  returns: { ansible_facts: 'the facts gathered, by their ansible_ names; they become the host facts' },
  readOnly: true,
  probes: () => ({ facts: factsProbe }),
  plan: () => [],
  result: (a, { facts }) => ({ ansible_facts: setupFacts(facts, a.filter) }),
})
