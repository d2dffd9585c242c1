/**
 * assert — fail unless every condition holds.
 *
 *   - assert:
 *       that: [ "redis_maxmemory is defined", "api_workers | int > 0" ]
 *       fail_msg: "set redis_maxmemory in group_vars"
 */
import type { ActionModule } from './types.js'

interface AssertArgs {
  that: unknown
  fail_msg?: string
  success_msg?: string
  quiet: boolean
}

export const assert: ActionModule<AssertArgs> = {
  kind: 'action',
  name: 'assert',
  doc: 'Fail unless every condition holds.',
  args: {
    options: {
      that: { type: 'raw', required: true, doc: 'A condition or a list of conditions (bare expressions, like `when`).' },
      fail_msg: { type: 'str', aliases: ['msg'], doc: 'Message when a condition fails.' },
      success_msg: { type: 'str', doc: 'Message when all hold.' },
      quiet: { type: 'bool', default: false, doc: 'Say less.' },
    },
  },
  rawArgs: ['that'],
  act(a, ctx) {
    // A single string is one condition: commas inside it belong to the expression.
    for (const c of Array.isArray(a.that) ? a.that : [a.that]) {
      const ok = ctx.condition(c)
      if (!ok) return { failed: true, msg: a.fail_msg ?? `Assertion failed: ${String(c)}`, data: { assertion: c, evaluated_to: false } }
    }
    return { msg: a.success_msg ?? 'All assertions passed' }
  },
}
