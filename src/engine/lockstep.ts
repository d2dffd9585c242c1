// The linear strategy's gate: every host walks its own task tree, but before each task it waits
// until every host still in the play is waiting too; then the hosts at the lowest task index go
// together. Hosts that skip a part of the tree (a rescue, a handler they did not notify) simply
// never wait at those indices. The free strategy uses an open gate.

export interface Gate {
  /** Resolves when this host may run the task with this index. */
  arrive(host: string, index: number): Promise<void>
  /** The host has no more tasks in this walk. */
  leave(host: string): void
}

export const openGate: Gate = {
  arrive: () => Promise.resolve(),
  leave: () => undefined,
}

export class Lockstep implements Gate {
  private readonly participants: Set<string>
  private readonly waiting = new Map<string, { index: number; go: () => void }>()

  constructor(hosts: Iterable<string>) {
    this.participants = new Set(hosts)
  }

  arrive(host: string, index: number): Promise<void> {
    if (!this.participants.has(host)) return Promise.resolve()
    return new Promise((go) => {
      this.waiting.set(host, { index, go })
      // Later, not now: the last host to arrive must be awaiting its promise before any is
      // released, or it would resume after the others whatever its place in the order.
      queueMicrotask(() => this.pump())
    })
  }

  leave(host: string): void {
    this.participants.delete(host)
    this.waiting.delete(host)
    this.pump()
  }

  private pump(): void {
    if (this.waiting.size === 0 || this.waiting.size < this.participants.size) return
    const min = Math.min(...[...this.waiting.values()].map((w) => w.index))
    // In the play's host order, not the order they arrived in: the first host released is the
    // first to start the task, and a run_once task runs on it (Ansible: the batch's first host).
    for (const host of this.participants) {
      const w = this.waiting.get(host)
      if (!w || w.index !== min) continue
      this.waiting.delete(host)
      w.go()
    }
  }
}
