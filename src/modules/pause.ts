/**
 * pause — wait a number of seconds (prompts are not supported: runs are unattended).
 *
 *   - pause: { seconds: 5 }
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ActionModule } from './types.js'

export const pause: ActionModule<{ seconds: number; minutes: number }> = {
  kind: 'action',
  name: 'pause',
  doc: 'Wait some seconds.',
  args: {
    options: {
      seconds: { type: 'float', default: 0, doc: 'Seconds to wait.' },
      minutes: { type: 'float', default: 0, doc: 'Minutes to wait.' },
    },
  },
  async act(a) {
    const ms = (a.seconds + a.minutes * 60) * 1000
    await sleep(ms)
    return { data: { delta: ms / 1000 } }
  },
}
