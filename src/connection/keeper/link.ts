// A connection the keeper keeps, as the run sees it: like an ssh2 client, it opens channels (the
// first one, the shell, came with the connection) and says when the connection is lost.
import { EventEmitter } from 'node:events'
import type { Duplex, Readable } from 'node:stream'
import { type KeptOpen, openKeptChannel } from './client.js'
import type { ChannelRequest } from './protocol.js'

/** What rm-play uses of a channel, an ssh2 one or a kept one. */
export interface ChannelLike extends Duplex {
  readonly stderr: Readable
  close(): void
}

/** What rm-play uses of a connection, an ssh2 client or a kept one. */
export interface Link {
  exec(command: string, opts: { pty?: { term: string } }, cb: (err: Error | undefined, stream: ChannelLike) => void): unknown
  end(): void
  on(event: 'error', f: (e: Error) => void): unknown
  on(event: 'close', f: () => void): unknown
}

export class KeptLink extends EventEmitter implements Link {
  private first?: KeptOpen
  private readonly open = new Set<ChannelLike>()

  constructor(
    first: KeptOpen,
    private readonly base: Omit<ChannelRequest, 'protocol' | 'command' | 'pty' | 'fresh'>,
  ) {
    super()
    this.on('error', () => undefined) // the shell's own listener reports it
    this.first = first
    this.watch(first)
  }

  private watch(o: KeptOpen): void {
    this.open.add(o.channel)
    o.onLost((why) => this.emit('error', new Error(why)))
    o.channel.on('close', () => this.open.delete(o.channel))
  }

  exec(command: string, opts: { pty?: { term: string } }, cb: (err: Error | undefined, stream: ChannelLike) => void): void {
    const first = this.first
    if (first && command === '/bin/sh' && !opts.pty) {
      this.first = undefined
      return cb(undefined, first.channel)
    }
    openKeptChannel({ ...this.base, command, ...(opts.pty ? { pty: opts.pty } : {}) }).then(
      (o) => {
        this.watch(o)
        cb(undefined, o.channel)
      },
      (e: Error) => cb(e, undefined as never),
    )
  }

  /** Closes this run's channels; the connection stays with the keeper. */
  end(): void {
    for (const c of this.open) c.close()
    this.open.clear()
  }
}
