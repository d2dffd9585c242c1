// Ansible's tag selection: --tags picks tasks with any of the tags ('all', 'tagged', 'untagged'
// are special), --skip-tags removes them; 'always' runs unless skipped by name; 'never' runs only
// when asked for by one of its tags.

export function tagSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags)
  const named = (list: readonly string[]) => taskTags.some((t) => list.includes(t))
  if (skip.length) {
    if (named(skip)) return false
    if (skip.includes('tagged') && tags.size > 0) return false
    if (skip.includes('untagged') && tags.size === 0) return false
    if (skip.includes('all') && !tags.has('always')) return false
  }
  if (tags.has('always')) return true
  const asked = (t: string) => t !== 'never' && only.includes(t)
  if (tags.has('never')) return taskTags.some(asked) || only.includes('never')
  if (only.length === 0 || only.includes('all')) return true
  if (only.includes('tagged') && tags.size > 0) return true
  if (only.includes('untagged') && tags.size === 0) return true
  return named(only)
}
