// The connection keeper's process (server.ts), started detached by the first run that needs it
// (client.ts) with the socket path; it prints "ready" once a keeper listens there, its own or
// another's, and then runs on its own until it keeps nothing.
import { connect } from 'node:net'
import { chmodSync, unlinkSync } from 'node:fs'
import { Keeper } from './server.js'

const path = process.argv[2]
if (!path) {
  process.stderr.write('usage: main.js SOCKET\n')
  process.exit(2)
}

let said = false
function ready(): void {
  if (said) return
  said = true
  process.stdout.end('ready\n')
}

/** Whether a keeper answers at `path` (a socket file left by one that died does not). */
function alive(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path!)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

process.umask(0o077)
process.on('SIGHUP', () => undefined)
const keeper = new Keeper(
  async () => (await import('ssh2')).default,
  () => {
    keeper.server.close()
    process.exit(0)
  },
)
keeper.server.on('listening', () => {
  chmodSync(path!, 0o600)
  ready()
})
const listen = () => keeper.server.listen(path)
keeper.server.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EADDRINUSE') process.exit(1)
  void alive().then((yes) => {
    if (yes) {
      ready()
      process.exit(0)
    }
    try {
      unlinkSync(path)
    } catch {
      // another keeper took it meanwhile: listening fails again and this one exits
    }
    listen()
  })
})
listen()
