// One lab command at a time changes labs on this machine (two `up`s would race for the bridge, the
// apt proxy and the base image). A lock file holding the owner's pid; a dead owner's lock is stale.
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LOCK_PATH } from './paths.js'
import { isRunning, procRef, type ProcRef } from './proc.js'

let chain: Promise<unknown> = Promise.resolve()

function tryAcquire(): ProcRef | 'acquired' {
  mkdirSync(dirname(LOCK_PATH), { recursive: true })
  const me = procRef(process.pid)!
  try {
    const fd = openSync(LOCK_PATH, 'wx')
    writeSync(fd, JSON.stringify(me))
    closeSync(fd)
    return 'acquired'
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  let owner: ProcRef | undefined
  try {
    owner = JSON.parse(readFileSync(LOCK_PATH, 'utf8')) as ProcRef
  } catch {
    owner = undefined
  }
  if (!owner || !isRunning(owner)) {
    rmSync(LOCK_PATH, { force: true })
    return tryAcquire()
  }
  return owner
}

async function acquire(say: (msg: string) => void): Promise<void> {
  let told = false
  for (;;) {
    const r = tryAcquire()
    if (r === 'acquired') return
    if (!told) say(`waiting for another rm-play lab command (pid ${r.pid}) to finish`)
    told = true
    await sleep(200)
  }
}

/** Runs `fn` holding the machine-wide lab lock; calls from one process queue up behind each other. */
export function withLabLock<T>(say: (msg: string) => void, fn: () => Promise<T>): Promise<T> {
  const next = chain.then(async () => {
    await acquire(say)
    try {
      return await fn()
    } finally {
      rmSync(LOCK_PATH, { force: true })
    }
  })
  chain = next.catch(() => undefined)
  return next
}
