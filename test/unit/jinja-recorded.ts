// The comparison every Jinja conformance test makes: rm-play's answer for each case against
// Ansible's recorded one (and the recording against a live ansible-playbook run when it is installed).
import { readFileSync, writeFileSync } from 'node:fs'
import { evaluateCondition, renderTemplateFile, templateString } from '../../src/jinja/index.js'
import { runThroughAnsible, type AnsibleAnswer, type JinjaCase } from './jinja-ansible.js'

export function ours(c: JinjaCase, vars: Record<string, unknown>): AnsibleAnswer {
  try {
    if (c.when !== undefined) return { value: evaluateCondition(c.when, { vars }) }
    if (c.file !== undefined) return { value: renderTemplateFile(c.file, { vars }) }
    return { value: templateString(c.template!, { vars }) }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

/** Errors agree when both sides fail; their wording is rm-play's own. */
export const comparable = (a: AnsibleAnswer) => ('error' in a ? { error: true } : a)

export const recorded = (path: string): Record<string, AnsibleAnswer> => JSON.parse(readFileSync(path, 'utf8'))

/** Each case (not skipped) whose answer differs from the recorded one, with both answers. */
export function differences(
  cases: JinjaCase[],
  vars: Record<string, unknown>,
  answers: Record<string, AnsibleAnswer>,
  skip: Record<string, string> = {},
): string[] {
  return cases
    .filter((c) => !(c.name in skip) && JSON.stringify(comparable(ours(c, vars))) !== JSON.stringify(comparable(answers[c.name])))
    .map(
      (c) =>
        `${c.name}: ${c.template ?? c.when ?? JSON.stringify(c.file)}\n    ansible: ${JSON.stringify(answers[c.name])}\n    rm-play: ${JSON.stringify(ours(c, vars))}`,
    )
}

/** Runs the cases through ansible-playbook; the recorded answers it contradicts (RMP_RECORD_ANSIBLE=1 rewrites the file). */
export function staleAnswers(cases: JinjaCase[], vars: Record<string, unknown>, path: string, env: Record<string, string> = {}): string[] {
  const live = Object.fromEntries(runThroughAnsible(cases, vars, env))
  if (process.env.RMP_RECORD_ANSIBLE === '1') writeFileSync(path, JSON.stringify(live, null, 1) + '\n')
  const rec = recorded(path)
  return cases
    .filter((c) => JSON.stringify(comparable(live[c.name])) !== JSON.stringify(comparable(rec[c.name])))
    .map((c) => `${c.name}: recorded ${JSON.stringify(rec[c.name])}, live ${JSON.stringify(live[c.name])}`)
}
