/**
 * ping — check that the host answers over its connection (no ICMP; a round trip through the shell).
 *
 *   - ping:
 */
import { code } from '../shell/index.js'
import type { HostModule } from './types.js'

export const ping: HostModule<{ data: string }> = {
  kind: 'host',
  name: 'ping',
  doc: 'Check that the host answers.',
  readOnly: true,
  args: { options: { data: { type: 'str', default: 'pong', doc: 'What to return.' } } },
  returns: { ping: 'the data given' },
  probes: () => [{ id: 'ping', script: code('echo pong'), parse: (o) => o.stdout.trim() }],
  plan: () => [],
  result: (a) => ({ ping: a.data }),
}
