// --json: one event per line, for machines. The events are the engine's own, secrets masked.
import type { RunEvent } from '../engine/events.js'

export function jsonReporter(write: (s: string) => void): (e: RunEvent) => void {
  return (e) => write(JSON.stringify({ ...e, time: new Date().toISOString() }) + '\n')
}
