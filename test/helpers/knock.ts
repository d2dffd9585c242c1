// How a TCP connection attempt from the controller to a lab host ends: a firewall test's probe.
import { connect } from 'node:net'

/** 'open', 'refused' (RST: nothing listens) or 'silent' (dropped: no answer within `ms`). */
export function knock(address: string, port: number, ms = 1500): Promise<'open' | 'refused' | 'silent'> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port })
    const done = (r: 'open' | 'refused' | 'silent') => {
      clearTimeout(t)
      s.destroy()
      resolve(r)
    }
    const t = setTimeout(() => done('silent'), ms)
    s.on('connect', () => done('open'))
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'silent'))
  })
}
