// Waiting for the state a test asserts, with a deadline, never for a fixed time: a service that
// was just started (gunicorn under supervisor, a unit under systemd) reaches RUNNING a moment
// later, and on a busy machine that moment is longer.

export interface EventuallyOptions {
  /** Give up after this long (default 60 s): the last failure is thrown then. */
  timeoutMs?: number
  /** Pause between tries (default 250 ms). */
  intervalMs?: number
}

/** Calls `attempt` until it returns without throwing; returns its value, or throws its last error at the deadline. */
export async function eventually<T>(attempt: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  const interval = opts.intervalMs ?? 250
  for (;;) {
    try {
      return await attempt()
    } catch (e) {
      if (Date.now() + interval > deadline) throw e
    }
    await new Promise((r) => setTimeout(r, interval))
  }
}
