// Template files are EJS: `<%= expr %>` prints a value (not HTML-escaped: these are config
// files), `<% code %>` runs JavaScript, `<%# %>` is a comment, `-%>` trims the newline.
// Expressions inside `<%= %>` get the same Jinja forms as YAML values (filters, `is defined`).
import ejs from 'ejs'
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { RmError } from './errors.js'
import { currentRun } from './run-context.js'
import { scopeProxy, UndefinedVariableError, type ScopeSource } from './expression.js'
import { translate } from './expression-translate.js'
import { FILTER_NAMES, TEST_NAMES } from './filters.js'
import * as jinjaLayer from './expression-jinja.js'
import { TemplateError } from '../jinja/index.js'

/**
 * A template that does not compile or render (undefined variable, bad expression): an error in the
 * playbook, not on the host, so ignore_errors does not hide it (engine/task-runner.ts).
 */
export class TemplateRenderError extends RmError {}

// Names that EJS's compiled function uses inside its `with` block.
const EJS_LOCALS = new Set(['locals', 'escapeFn', 'include', 'rethrow', 'escape'])

const TAG = /<%([=-]?)([\s\S]*?)([-_]?)%>/g

/** Applies the expression translation to output tags, and undefined-guards to code tags. */
export function translateTemplate(text: string): string {
  return text.replace(TAG, (whole, kind: string, body: string, trim: string) => {
    if (body.startsWith('#') || body.startsWith('%') || kind === '' && body.trim() === '') return whole
    if (kind === '=' || kind === '-') return `<%-${translate(body, FILTER_NAMES, TEST_NAMES)} ${trim}%>`
    // code: translate only what keeps statements valid (?? and typeof guards)
    return `<%${body.replace(/typeof\s+([A-Za-z_$][\w$.]*)/g, 'typeof __g(() => $1)').replace(/([A-Za-z_$][\w$.]*)\s*\?\?/g, '__g(() => $1) ??')}${trim}%>`
  })
}

// Compiled templates by file and a hash of their text (not the text itself, which may be large).
// Pure (the same text compiles to the same function), so one cache serves every run.
const compiled = new Map<string, ejs.TemplateFunction>()

export function compileTemplate(text: string, file: string): ejs.TemplateFunction {
  const key = `${file}\0${createHash('sha256').update(text).digest('hex')}`
  let fn = compiled.get(key)
  if (fn) return fn
  try {
    fn = ejs.compile(translateTemplate(text), { filename: file, _with: true, strict: false, escape: (s: unknown) => (s === undefined || s === null ? '' : String(s)), compileDebug: true })
  } catch (e) {
    throw new TemplateRenderError(`template ${file}: ${(e as Error).message.split('\n')[0]}`, { file, line: lineOf(e) ?? 1, col: 1 })
  }
  compiled.set(key, fn)
  return fn
}

// A template is rendered once per host: it is read again only when its file changes on disk. Shared
// by runs: the stamp (inode, size, mtime) makes an entry stand for the file's content.
const byFile = new Map<string, { stamp: string; fn: ejs.TemplateFunction }>()

function compiledFile(file: string): ejs.TemplateFunction {
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

/**
 * Renders a template file with a variable scope; errors name the variable and the template line.
 * A `.j2` file is Jinja2 with Ansible's meaning (src/jinja); any other is EJS.
 */
export function renderTemplateFile(file: string, source: ScopeSource): string {
  if (file.endsWith('.j2')) return renderJinjaFile(file, source)
  return run(compiledFile(file), file, source)
}

function renderJinjaFile(file: string, source: ScopeSource): string {
  try {
    return jinjaLayer.renderTemplateFile(file, source)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RmError(`template not found: ${file}`)
    if (!(e instanceof TemplateError)) throw e
    throw new TemplateRenderError(`template ${file}: ${e.message}`, { file, line: e.line ?? 1, col: 1 })
  }
}

export function renderTemplateText(text: string, file: string, source: ScopeSource): string {
  return run(compileTemplate(text, file), file, source)
}

function run(fn: ejs.TemplateFunction, file: string, source: ScopeSource): string {
  try {
    return fn(scopeProxy(source, EJS_LOCALS) as ejs.Data)
  } catch (e) {
    const line = lineOf(e)
    const msg = String((e as Error).message).split('\n').filter((l) => l && !/^\s*(>>)?\s*\d+\|/.test(l) && !l.startsWith(file))
    const cause = e instanceof UndefinedVariableError ? `undefined variable '${e.variable}'` : msg.at(-1) ?? String(e)
    throw new TemplateRenderError(`template ${file}: ${cause}`, { file, line: line ?? 1, col: 1 })
  }
}
