// Fully qualified names of the filters and tests rm-play has: `ansible.builtin.x` is x, and so is
// `community.general.x` for the few collection filters implemented here.
const COMMUNITY_GENERAL = new Set(['json_query'])

/** `ansible.builtin.to_json` -> `to_json`; an unknown collection's name stays as written. */
export function shortName(name: string): string {
  if (name.startsWith('ansible.builtin.')) return name.slice('ansible.builtin.'.length)
  const rest = name.slice('community.general.'.length)
  return name.startsWith('community.general.') && COMMUNITY_GENERAL.has(rest) ? rest : name
}
