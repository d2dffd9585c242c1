// The load-time template check (jinja/render.ts checkTemplate), remembered across runs: a template
// that passed once passes again with the same code (load-cache.ts keys it by both), so a second
// load of the same playbook neither parses it again nor starts the Jinja engine. Only passes are
// remembered: an error is computed again each time, with its position.
import { checkTemplate } from '../jinja/index.js'
import { cacheKey, passedBefore, recordPassed } from './load-cache.js'

export function checkTemplateOnce(source: string, opts: { file?: boolean } = {}): void {
  const key = cacheKey(opts.file ? 'file' : 'value', source)
  if (passedBefore(key)) return
  checkTemplate(source, opts)
  recordPassed(key)
}
