// community.general.json_query: a JMESPath query over a value (the npm `jmespath`, kept behind
// this one file). Errors read as the collection's do, so a role that catches them sees the same.
import { createRequire } from 'node:module'
import type { Fn } from './filters-types.js'
import { FilterError, fromEngine } from './values.js'

// loaded when a query runs (loading a playbook never does)
const jmespath = (): typeof import('jmespath') => createRequire(import.meta.url)('jmespath') as typeof import('jmespath')

export const json_query: Fn = (data, expr) => {
  if (typeof expr !== 'string') throw new FilterError('json_query: the query must be a string')
  try {
    return jmespath().search(fromEngine(data), expr)
  } catch (e) {
    throw new FilterError(`JMESPathError in json_query filter plugin:\n${(e as Error).message}`)
  }
}
