// A forward proxy in front of the lab's apt proxy that fails the first request for one file with a
// 503 (as apt-cacher-ng does when two refreshes of one InRelease collide) and passes everything
// else through. What it answered is recorded, so a test can tell that the failed file was asked
// for again.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FlakyProxy {
  url: string
  /** `STATUS URL` per answer, in order. */
  answers: string[]
  close(): Promise<void>
}

export function startFlakyAptProxy(address: string, upstream: string, failOnce: (url: string) => boolean): Promise<FlakyProxy> {
  const up = new URL(upstream)
  const answers: string[] = []
  let failed = false
  const server = http.createServer((req, res) => {
    const url = req.url ?? ''
    if (!failed && failOnce(url)) {
      failed = true
      answers.push(`503 ${url}`)
      // A body: apt takes a 5xx without one for a hard failure and does not retry.
      res.writeHead(503, { 'content-type': 'text/plain' })
      res.end('busy\n')
      return
    }
    const forward = http.request({ host: up.hostname, port: up.port, method: req.method, path: url, headers: req.headers }, (r) => {
      answers.push(`${r.statusCode} ${url}`)
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    forward.on('error', (e) => res.destroy(e))
    req.pipe(forward)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, address, () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://${address}:${port}`,
        answers,
        close: () => new Promise((done) => server.close(() => done())),
      })
    })
  })
}
