// The deploys compared must do the same thing: after one tool's first run on fresh hosts, each
// other tool's run finds nothing to change, and the other way round. Fails loudly when not.
import { SAME_DEPLOY_AS, type Target, type Tool, type ToolRunner } from './tools.js'
import { measure } from './measure.js'

export interface EquivalenceCheck {
  first: Tool
  then: Tool
  changes: number
}

export async function runChanges(r: ToolRunner, t: Target, check = false): Promise<number> {
  const { argv, env } = r.command(t, check)
  return r.changes((await measure(argv, env)).output)
}

/** The tools that rm-play's deploy is checked against: not rm-play itself, nor one that runs another's deploy. */
export function comparedTools(base: Tool, tools: Tool[]): Tool[] {
  return tools.filter((t) => t !== base && !SAME_DEPLOY_AS[t])
}

/**
 * rm-play against each other tool, both ways, each pair on freshly prepared hosts. Mitogen runs
 * Ansible's playbook unchanged, so Ansible's check covers it; rm-play-direct is rm-play.
 */
export async function checkEquivalence(
  base: ToolRunner,
  others: ToolRunner[],
  t: Target,
  fresh: () => Promise<void>,
  say: (s: string) => void,
): Promise<EquivalenceCheck[]> {
  const out: EquivalenceCheck[] = []
  const compared = comparedTools(
    base.tool,
    others.map((o) => o.tool),
  )
  for (const other of others.filter((o) => compared.includes(o.tool))) {
    for (const [first, then] of [
      [base, other],
      [other, base],
    ] as const) {
      await fresh()
      const converged = await runChanges(first, t)
      if (converged === 0) throw new Error(`equivalence: ${first.tool}'s first run on fresh hosts changed nothing; the hosts were not fresh`)
      const changes = await runChanges(then, t)
      say(`equivalence: ${then.tool} after ${first.tool}: ${changes} change${changes === 1 ? '' : 's'}`)
      out.push({ first: first.tool, then: then.tool, changes })
    }
  }
  const bad = out.filter((c) => c.changes !== 0)
  if (bad.length) {
    throw new Error(
      `NOT EQUIVALENT: ${bad.map((c) => `${c.then} after ${c.first} made ${c.changes} changes`).join('; ')}. Fix bench/playbook.yml or bench/pyinfra/deploy.py so they do the same.`,
    )
  }
  return out
}
