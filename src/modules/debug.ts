/**
 * debug — print a message or a variable's value.
 *
 *   - debug: { msg: "API on {{ inventory_hostname }} answers {{ health.status }}" }
 *   - debug: { var: health.json }
 */
import { VERBOSE_ALWAYS, type ActionModule } from './types.js'

interface DebugArgs {
  msg?: unknown
  var?: string
  verbosity: number
}

export const debug: ActionModule<DebugArgs> = {
  kind: 'action',
  name: 'debug',
  doc: 'Print a message or a variable.',
  args: {
    freeForm: 'msg',
    options: {
      msg: { type: 'raw', doc: 'The message (templated). Default: "Hello world!".' },
      var: { type: 'str', doc: 'An expression whose value is printed (not templated: write `var: result.stdout`).' },
      verbosity: { type: 'int', default: 0, doc: 'Print only at this -v level or above.' },
    },
    mutuallyExclusive: [['msg', 'var']],
  },
  rawArgs: ['var'],
  act(a, ctx) {
    // As Ansible's debug action: below -v N it is skipped, and says why
    if (a.verbosity > ctx.verbosity) return { skipped: true, data: { skipped_reason: 'Verbosity threshold not met.', skipped: true } }
    if (a.var !== undefined) {
      const name = a.var.replace(/^\s*\{\{|\}\}\s*$/g, '').trim()
      let value: unknown
      try {
        value = ctx.evaluate(name)
      } catch (e) {
        // Ansible's words, and its reason only from -v on; another error fails the task, and in
        // check mode a result that would exist after a real run is unknown, not undefined
        if (!ctx.isUndefined(e) || ctx.readUnknown()) throw e
        value = `VARIABLE IS NOT DEFINED!${ctx.verbosity > 0 ? `: ${(e as Error).message}` : ''}`
      }
      return { data: { [a.var]: value, [VERBOSE_ALWAYS]: true } }
    }
    // A list or a dict stays one (as Ansible registers and prints it), not a JSON-encoded string.
    if (a.msg !== undefined && typeof a.msg !== 'string') return { data: { msg: a.msg, [VERBOSE_ALWAYS]: true } }
    return { msg: a.msg ?? 'Hello world!', data: { [VERBOSE_ALWAYS]: true } }
  },
}
