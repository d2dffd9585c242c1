// `.ejs` template files, kept for users who have them: EJS is JavaScript (`<%= expr %>` prints a
// value, `<% code %>` runs code, `-%>` trims the newline), so an EJS file is code the user trusts,
// run on the controller; playbook expressions and `.j2` files are Jinja and never run JavaScript.
// Variables come from the task's scope; an undefined one is an error naming it.
import type ejs from 'ejs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { readFileSync, statSync } from 'node:fs'
import { RmError } from './errors.js'
import { currentRun } from './run-context.js'
import { ExpressionError, notFound, UndefinedVariableError, type ScopeSource } from './expression-errors.js'
import { noteRead, tainting } from './taint.js'

/**
 * A template that does not compile or render (undefined variable, bad expression): an error in the
 * playbook, not on the host, so ignore_errors does not hide it (engine/task-runner.ts).
 */
export class TemplateRenderError extends RmError {}

// EJS loads with the first .ejs template: a run without one never pays for it.
let ejsLib: typeof ejs | undefined
const loadEjs = (): typeof ejs => (ejsLib ??= createRequire(import.meta.url)('ejs') as typeof ejs)

// Names that EJS's compiled function uses inside its `with` block.
const EJS_LOCALS = new Set(['locals', 'escapeFn', 'include', 'rethrow', 'escape'])
// Names that resolve to JavaScript's own globals unless a variable of that name exists.
const GLOBALS = new Set([
  'Math',
  'JSON',
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Date',
  'RegExp',
  'Set',
  'Map',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'encodeURIComponent',
  'decodeURIComponent',
  'undefined',
  'NaN',
  'Infinity',
  'true',
  'false',
  'null',
])

const TAG = /<%([=-]?)([\s\S]*?)([-_]?)%>/g
// `typeof x` and `x ??` read a name that may be undefined: guarded, they see undefined instead of an error.
const guarded = (code: string): string =>
  code.replace(/typeof\s+([A-Za-z_$][\w$.]*)/g, 'typeof __g(() => $1)').replace(/([A-Za-z_$][\w$.]*)\s*\?\?/g, '__g(() => $1) ??')

/** Output tags become taint frames (taint.ts); code tags get undefined-guards. */
export function translateTemplate(text: string): string {
  return text.replace(TAG, (whole, kind: string, body: string, trim: string) => {
    if (body.startsWith('#') || body.startsWith('%') || (kind === '' && body.trim() === '')) return whole
    if (kind === '=' || kind === '-') return `<%-__s(() => (${guarded(body)}\n), ${JSON.stringify(body)}) ${trim}%>`
    return `<%${guarded(body)}${trim}%>`
  })
}

function scopeProxy(source: ScopeSource): object {
  let guarding = 0
  const builtins: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, {
    __g: (thunk: () => unknown) => {
      guarding++
      try {
        return thunk()
      } catch (e) {
        if (e instanceof UndefinedVariableError || e instanceof TypeError) return undefined
        throw e
      } finally {
        guarding--
      }
    },
    __s: (thunk: () => unknown, src: string) => tainting(src, thunk),
  })
  // No prototype: `constructor` or `toString` in a template is a variable, never Object's.
  return new Proxy(Object.create(null) as object, {
    has(_, key) {
      if (typeof key !== 'string') return false
      if (key in builtins) return true
      if (key.startsWith('__') || EJS_LOCALS.has(key)) return false
      if (GLOBALS.has(key)) return source.lookup(key) !== notFound
      return true
    },
    get(_, key) {
      if (typeof key !== 'string') return undefined
      if (key in builtins) return builtins[key]
      const v = source.lookup(key)
      if (v !== notFound) {
        noteRead(v)
        return v
      }
      if (guarding > 0) return undefined
      throw new UndefinedVariableError(key)
    },
    set(_, key) {
      throw new ExpressionError(`templates cannot assign variables: ${String(key)}`, String(key))
    },
  })
}

// Compiled templates by file and a hash of their text (not the text itself, which may be large).
const compiled = new Map<string, ejs.TemplateFunction>()

export function compileTemplate(text: string, file: string): ejs.TemplateFunction {
  const key = `${file}\0${createHash('sha256').update(text).digest('hex')}`
  let fn = compiled.get(key)
  if (fn) return fn
  try {
    fn = loadEjs().compile(translateTemplate(text), {
      filename: file,
      _with: true,
      strict: false,
      escape: (s: unknown) => (s === undefined || s === null ? '' : String(s)),
      compileDebug: true,
    })
  } catch (e) {
    throw new TemplateRenderError(`template ${file}: ${(e as Error).message.split('\n')[0]}`, { file, line: lineOf(e) ?? 1, col: 1 })
  }
  compiled.set(key, fn)
  return fn
}

// A template is rendered once per host: it is read again only when its file changes on disk.
const byFile = new Map<string, { stamp: string; fn: ejs.TemplateFunction }>()

export function compiledFile(file: string): ejs.TemplateFunction {
  let stamp: string
  try {
    const st = statSync(file)
    stamp = `${st.ino}:${st.size}:${st.mtimeMs}`
  } catch {
    throw new RmError(`template not found: ${file}`)
  }
  const hit = byFile.get(file)
  if (hit && hit.stamp === stamp) return hit.fn
  let text: string
  try {
    text = readFileSync(file, 'utf8')
    currentRun().counters.templateReads++
  } catch {
    throw new RmError(`template not found: ${file}`)
  }
  const fn = compileTemplate(text, file)
  byFile.set(file, { stamp, fn })
  return fn
}

function lineOf(e: unknown): number | undefined {
  const m = /:(\d+)\n/.exec(String((e as Error).message))
  return m ? Number(m[1]) : undefined
}

export function runEjs(fn: ejs.TemplateFunction, file: string, source: ScopeSource): string {
  try {
    return fn(scopeProxy(source) as ejs.Data)
  } catch (e) {
    const line = lineOf(e)
    const msg = String((e as Error).message)
      .split('\n')
      .filter((l) => l && !/^\s*(>>)?\s*\d+\|/.test(l) && !l.startsWith(file))
    const cause = e instanceof UndefinedVariableError ? `undefined variable '${e.variable}'` : (msg.at(-1) ?? String(e))
    throw new TemplateRenderError(`template ${file}: ${cause}`, { file, line: line ?? 1, col: 1 })
  }
}
