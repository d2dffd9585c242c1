// Readiness by connecting, never by sleeping: sshd is ready once it sends its banner.
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** True when `host:port` accepts a connection (and, with `banner`, sends a line starting with it). */
export function probe(host: string, port: number, timeoutMs = 500, banner?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port })
    let done = false
    const finish = (ok: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    sock.on('error', () => finish(false))
    sock.on('connect', () => {
      if (!banner) finish(true)
    })
    let got = ''
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (got.length >= banner!.length) finish(got.startsWith(banner!))
    })
  })
}

/** Polls `check` until it is true or `timeoutMs` passes; `giveUp` ends the wait early (process died). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, giveUp?: () => boolean): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check()) return true
    if (giveUp?.()) return false
    await sleep(50)
  }
  return false
}
