// OpenSSH's sshd announces all its host keys right after authentication (hostkeys-00@openssh.com,
// for the client's UpdateHostKeys). ssh2 answers every announcement by asking the server to prove
// each key (a signature per key on the host), then parses and verifies the proofs and emits a
// 'hostkeys' event, which rm-play never reads: rm-play does not rewrite known_hosts from it, as
// OpenSSH does not either with a UserKnownHostsFile of its own. That round was ~8% of the
// controller's time on a 200-host no-change run. The announcement asks for no reply; it is dropped.
import type { Client } from 'ssh2'

const ANNOUNCEMENT = 'hostkeys-00@openssh.com'

type GlobalRequestHandler = (proto: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void

/** Call right after client.connect() (ssh2 makes its protocol handlers there). */
export function ignoreHostKeyAnnouncements(client: Client): void {
  const handlers = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler } } })._protocol?._handlers
  const ssh2Handler = handlers?.GLOBAL_REQUEST
  if (!handlers || typeof ssh2Handler !== 'function') return // another ssh2: it keeps its own way
  handlers.GLOBAL_REQUEST = (proto, name, wantReply, data) => {
    if (name !== ANNOUNCEMENT) return ssh2Handler(proto, name, wantReply, data)
    if (wantReply) proto.requestSuccess()
  }
}
