// Bytes that arrive in chunks, kept in one buffer that grows by doubling: n bytes in k chunks cost
// O(n) copying, where a Buffer.concat per chunk copies O(n·k) (a host's facts, or a large file
// read back, come in dozens of SSH packets; with 200 hosts that copying showed in the profile).
export class AppendBuffer {
  private store = Buffer.alloc(0)
  private used = 0

  get length(): number {
    return this.used
  }

  append(d: Buffer): void {
    if (this.used + d.length > this.store.length) {
      const next = Buffer.allocUnsafe(Math.max(this.store.length * 2, this.used + d.length, 4096))
      this.store.copy(next, 0, 0, this.used)
      this.store = next
    }
    d.copy(this.store, this.used)
    this.used += d.length
  }

  /** The bytes held, without a copy: valid until the next append or replace. */
  view(): Buffer {
    return this.store.subarray(0, this.used)
  }

  /** Holds a copy of `bytes` instead (views handed out before stay as they were). */
  replace(bytes: Buffer): void {
    this.store = Buffer.from(bytes)
    this.used = this.store.length
  }
}
