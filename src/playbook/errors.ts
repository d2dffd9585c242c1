// One error type for everything a user can get wrong: it carries where (file:line:col), what, and a hint.
import { readFileSync } from 'node:fs'
import { currentRun } from './run-context.js'

export interface SourcePos {
  file: string
  line: number // 1-based
  col: number // 1-based
}

export class RmError extends Error {
  readonly pos?: SourcePos
  readonly hint?: string

  constructor(message: string, pos?: SourcePos, hint?: string) {
    super(message)
    this.name = 'RmError'
    this.pos = pos
    this.hint = hint
  }
}

/** Several errors found in one pass (loading reports all problems at once). */
export class RmErrors extends Error {
  readonly errors: RmError[]
  constructor(errors: RmError[]) {
    super(errors.map((e) => e.message).join('\n'))
    this.name = 'RmErrors'
    this.errors = errors
  }
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : ''
}

/** A source file's lines, read once per run: a file edited between two runs in one process shows its new text. */
export function sourceLines(file: string): string[] | undefined {
  const sourceCache = currentRun().sourceLines
  let lines = sourceCache.get(file)
  if (!lines) {
    try {
      lines = readFileSync(file, 'utf8').split('\n')
    } catch {
      return undefined
    }
    sourceCache.set(file, lines)
  }
  return lines
}

const sourceLine = (file: string, line: number): string | undefined => sourceLines(file)?.[line - 1]

/** "file:line:col: message", then the offending line and a caret under the column, then the hint. */
export function formatError(err: RmError): string {
  const out: string[] = []
  out.push(err.pos ? `${formatPos(err.pos)}: ${err.message}` : err.message)
  if (err.pos) {
    const text = sourceLine(err.pos.file, err.pos.line)
    if (text !== undefined) {
      const gutter = `${err.pos.line} | `
      out.push(`  ${gutter}${text}`)
      out.push(`  ${' '.repeat(gutter.length + Math.max(0, err.pos.col - 1))}^`)
    }
  }
  if (err.hint) out.push(`  hint: ${err.hint}`)
  return out.join('\n')
}

export function errorList(e: unknown): RmError[] {
  if (e instanceof RmErrors) return e.errors
  if (e instanceof RmError) return [e]
  return [new RmError(e instanceof Error ? e.message : String(e))]
}
