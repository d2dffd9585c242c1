// Ansible's template language for rm-play (see docs/jinja.md): MiniJinja with Ansible's meaning.
export {
  templateString,
  templateValue,
  renderTemplateFile,
  evaluateCondition,
  checkTemplate,
  isTemplate,
  type TemplateContext,
  type FileOptions,
} from './render.js'
export { TemplateError } from './errors.js'
export { setCallObserver, setOutputObserver, type CallObserver, type OutputObserver } from './environment.js'
export { referencedNames, usesWholeHostvars } from './rewrite.js'
export { splitTemplate, tokenize, JinjaSyntaxError, type Part, type Token } from './lexer.js'
export { isLookup } from './lookups.js'
