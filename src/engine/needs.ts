// A change may need what an earlier task would make (a package, a user, a directory). The run mode
// decides, not the module: a real run fails with the change's message before running anything;
// check mode reports the change as "may change".
import type { Change } from '../contract/types.js'
import { ModuleFailure } from '../modules/types.js'

export function settleNeeds(changes: Change[], check: boolean): Change[] {
  const blocked = changes.find((c) => c.needs)
  if (!blocked?.needs) return changes
  if (!check) throw new ModuleFailure(blocked.needs.msg, blocked.needs.data)
  return changes.map(({ needs, ...c }) => (needs ? { ...c, uncertain: true } : c))
}
