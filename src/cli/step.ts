// --step, as ansible-playbook asks it: before each task, "(N)o/(y)es/(c)ontinue"; c stops asking.
// The answers are read from the terminal (stdin), a line each.
import { createInterface, type Interface } from 'node:readline'

export type Ask = (question: string) => Promise<string>

/** The run's step callback: yes runs the task, no skips it, continue runs it and all after it. */
export function stepper(ask: Ask): (task: { title: string }) => Promise<boolean> {
  let continuing = false
  let queue = Promise.resolve(true) // one question at a time
  return (task) => {
    queue = queue.then(async () => {
      if (continuing) return true
      // as Ansible: y runs, c runs this and every later task, anything else skips
      const a = (await ask(`Perform task: TASK: ${task.title} (N)o/(y)es/(c)ontinue: `)).trim().toLowerCase()
      if (a === 'c' || a === 'continue') continuing = true
      return continuing || a === 'y' || a === 'yes'
    })
    return queue
  }
}

let rl: Interface | undefined
const lines: string[] = []
const waiting: ((line: string) => void)[] = []
let ended = false

/** A line from stdin (the terminal under --step), the question on stderr; lines typed ahead are kept. */
export const askTerminal: Ask = (question) => {
  if (!rl) {
    rl = createInterface({ input: process.stdin, terminal: false })
    rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)))
    rl.on('close', () => {
      ended = true
      for (const w of waiting.splice(0)) w('') // no answer: no
    })
  }
  process.stderr.write(question)
  if (lines.length) return Promise.resolve(lines.shift()!)
  if (ended) return Promise.resolve('')
  return new Promise((resolve) => waiting.push(resolve))
}

/** Closes the terminal reader, so the process can exit. */
export function closeTerminal(): void {
  rl?.close()
  rl = undefined
  lines.length = 0
  ended = false
}
