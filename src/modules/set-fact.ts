/**
 * set_fact — set variables on the host for the rest of the run (values are computed once, now).
 *
 *   - set_fact: { api_workers: "{{ ansible_processor_vcpus * 2 + 1 }}" }
 */
import type { ActionModule } from './types.js'

export const setFact: ActionModule<Record<string, unknown>> = {
  kind: 'action',
  name: 'set_fact',
  doc: 'Set host variables from values computed now.',
  args: { options: { cacheable: { type: 'bool', doc: 'Accepted for Ansible compatibility; facts live for the run.' } }, additional: true },
  validate(a) {
    const bad = Object.keys(a).filter((k) => k !== 'cacheable' && !/^[A-Za-z_]\w*$/.test(k))
    return bad.map((k) => `'${k}' is not a valid variable name`)
  },
  act(a) {
    const facts = { ...a }
    delete facts.cacheable
    return { facts, data: { ansible_facts: facts } }
  },
}
