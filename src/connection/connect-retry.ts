// Retrying connection set-up (TCP connect, handshake, authentication) until a deadline: a host
// whose sshd is restarting or still booting answers "connection refused" or nothing for a few
// seconds. Only set-up is retried: once a command was sent, a lost connection is final (ssh.ts).

export interface RetryPolicy {
  /** Total time for every attempt and pause together (Ansible's --timeout). */
  timeoutMs: number
  /** First pause; doubled after each failure up to maxDelayMs. */
  baseDelayMs: number
  maxDelayMs: number
  /** 0..1, for the jitter (Math.random in real runs). */
  random(): number
  sleep(ms: number): Promise<void>
  now(): number
}

/** Errors worth another attempt: the host is not (yet) answering. Auth, host-key and algorithm refusals are final. */
export function isTransient(e: Error & { code?: string; level?: string }): boolean {
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED'].includes(e.code))
    return true
  return /Timed out while waiting for handshake|Connection lost before handshake|Not connected/i.test(e.message)
}

/**
 * Pause before attempt n+1 (n counted from 1): exponential backoff with "equal jitter" (half fixed,
 * half random), so that hosts refused together do not come back in lockstep.
 */
export function backoffDelay(n: number, p: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const cap = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 1))
  return cap / 2 + (cap / 2) * p.random()
}

/**
 * Runs `attempt(remainingMs)` until it succeeds, fails for good, or the time is up; the last error
 * is thrown with the number of attempts. `attempt` gets the time left, to bound its own wait.
 */
export async function withRetries<T>(attempt: (remainingMs: number) => Promise<T>, p: RetryPolicy, transient: (e: Error) => boolean = isTransient): Promise<T> {
  const deadline = p.now() + p.timeoutMs
  for (let n = 1; ; n++) {
    try {
      return await attempt(Math.max(1, deadline - p.now()))
    } catch (e) {
      const err = e as Error
      const pause = backoffDelay(n, p)
      if (!transient(err) || p.now() + pause >= deadline) {
        if (n > 1) err.message += ` (${n} attempts in ${Math.round(p.timeoutMs / 100) / 10} s)`
        throw err
      }
      await p.sleep(pause)
    }
  }
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'timeoutMs'> = {
  baseDelayMs: 250,
  maxDelayMs: 2000,
  random: Math.random,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: Date.now,
}
