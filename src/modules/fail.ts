/**
 * fail — stop the host with a message (usually with `when`).
 *
 *   - fail: { msg: "secret_key is still the example value" }
 *     when: secret_key == 'change-me'
 */
import type { ActionModule } from './types.js'

export const fail: ActionModule<{ msg: string }> = {
  kind: 'action',
  name: 'fail',
  doc: 'Fail the host with a message.',
  args: { freeForm: 'msg', options: { msg: { type: 'str', default: 'Failed as requested from task', doc: 'The message.' } } },
  act: (a) => ({ failed: true, msg: a.msg }),
}
