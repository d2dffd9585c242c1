/**
 * ping — check that the host answers over its connection (no ICMP; a round trip through the shell).
 *
 *   - ping:
 */
import { code } from '../shell/index.js'
import type { HostModule, ProbeOutput } from './types.js'

const probes = () => ({ pong: { id: 'ping', script: code('echo pong'), parse: (o: ProbeOutput) => o.stdout.trim() } })

export const ping: HostModule<{ data: string }, { data: string }, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'ping',
  doc: 'Check that the host answers.',
  readOnly: true,
  args: { options: { data: { type: 'str', default: 'pong', doc: 'What to return.' } } },
  returns: { ping: 'the data given' },
  probes,
  plan: () => [],
  result: (a) => ({ ping: a.data }),
}
