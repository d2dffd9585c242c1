// community.general.json_query: a JMESPath query over a value (the npm `jmespath`, kept behind
// this one file). Errors read as the collection's do, so a role that catches them sees the same.
import jmespath from 'jmespath'
import type { Fn } from './filters-types.js'
import { FilterError, fromEngine } from './values.js'

export const json_query: Fn = (data, expr) => {
  if (typeof expr !== 'string') throw new FilterError('json_query: the query must be a string')
  try {
    return jmespath.search(fromEngine(data), expr)
  } catch (e) {
    throw new FilterError(`JMESPathError in json_query filter plugin:\n${(e as Error).message}`)
  }
}
