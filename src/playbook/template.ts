// Template files: a `.j2` file is Jinja2 with Ansible's meaning (src/jinja, as the template module
// renders it: trim_blocks, ansible_managed, template_* variables); any other (`.ejs`) is EJS
// (template-ejs.ts), kept for users who have such files.
import { RmError } from './errors.js'
import type { ScopeSource } from './expression-errors.js'
import * as jinjaLayer from './expression-jinja.js'
import { TemplateError } from '../jinja/index.js'
import type { TemplateTask } from '../modules/types.js'
import { compiledFile, compileTemplate, runEjs, TemplateRenderError } from './template-ejs.js'

export { compileTemplate, TemplateRenderError }

/** Renders a template file with a variable scope; errors name the variable and the template line. */
export function renderTemplateFile(file: string, source: ScopeSource, as?: TemplateTask): string {
  if (file.endsWith('.j2')) return renderJinjaFile(file, source, as)
  return runEjs(compiledFile(file), file, source)
}

function renderJinjaFile(file: string, source: ScopeSource, as?: TemplateTask): string {
  try {
    return jinjaLayer.renderTemplateFile(file, source, as)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RmError(`template not found: ${file}`)
    if (!(e instanceof TemplateError)) throw e
    throw new TemplateRenderError(`template ${file}: ${e.message}`, { file, line: e.line ?? 1, col: 1 })
  }
}

export function renderTemplateText(text: string, file: string, source: ScopeSource): string {
  return runEjs(compileTemplate(text, file), file, source)
}
