// What a run and the connection keeper say over the keeper's Unix socket. One socket connection
// carries one SSH channel: a request, the answer, then the channel's bytes both ways, each in a
// frame (type byte, 4-byte length, payload). Closing the socket closes the channel.
import type { DialTarget, HandshakeInfo } from '../ssh-dial.js'

export const enum FrameType {
  Request = 1, // run -> keeper: JSON ChannelRequest
  Answer = 2, // keeper -> run: JSON ChannelAnswer
  Stdin = 3, // run -> keeper: bytes for the channel
  StdinEnd = 4, // run -> keeper: end of input
  Stdout = 5, // keeper -> run
  Stderr = 6, // keeper -> run
  Exit = 7, // keeper -> run: JSON { code }; the channel closed
  Lost = 8, // keeper -> run: the SSH connection dropped (the payload says why)
}

/** How long the keeper tries a kept connection before it takes it for dead and makes another. */
export const REUSE_TIMEOUT_MS = 5000

/** Bumped on any change below: a keeper from another build never answers a request it misreads. */
export const PROTOCOL = 1

export interface ChannelRequest {
  protocol: number
  /** Which SSH connection: everything the connection is made from (keeper/key.ts). */
  key: string
  target: DialTarget
  /** Set-up time left for a new connection (one attempt: the run retries, as without a keeper). */
  timeoutMs: number
  /** How long the connection may stay unused before the keeper closes it (ControlPersist); null: for ever. */
  persistMs: number | null
  /** Only on this connection (a second channel of a run's connection); no new one is made. */
  connection?: number
  /** Close the kept connection first and make a new one (meta: reset_connection). */
  fresh?: boolean
  command: string
  pty?: { term: string }
}

export type ChannelAnswer =
  | { ok: true; connection: number; reused: boolean; negotiated: HandshakeInfo; hostKey: string; warnings: string[] }
  | { ok: false; message: string; code?: string; final?: boolean }

export function encodeFrame(type: FrameType, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload
  const head = Buffer.allocUnsafe(5)
  head.writeUInt8(type, 0)
  head.writeUInt32BE(body.length, 1)
  return Buffer.concat([head, body])
}

/** Cuts a byte stream into frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0)

  constructor(private readonly onFrame: (type: FrameType, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1)
      if (this.buf.length < 5 + len) return
      const type = this.buf.readUInt8(0) as FrameType
      const payload = this.buf.subarray(5, 5 + len)
      this.buf = this.buf.subarray(5 + len)
      this.onFrame(type, payload)
    }
  }
}
