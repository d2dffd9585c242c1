// `rm-play lab up --write-config`: an ansible.cfg in the current directory that points at the
// lab's inventory, so `rm-play site.yml` (and `ansible-playbook site.yml`) need no -i. Written
// only when asked; a config file the user wrote is never replaced.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'

const MARK = "# written by 'rm-play lab up --write-config'"

/** Writes DIR/ansible.cfg for the lab; returns what to tell the user and whether it was written. */
export function writeLabConfig(dir: string, lab: string, inventoryPath: string): { written: boolean; message: string } {
  const file = join(dir, 'ansible.cfg')
  const rel = relative(dir, inventoryPath)
  const inv = rel.startsWith('..') || isAbsolute(rel) ? inventoryPath : rel
  if (existsSync(file) && !readFileSync(file, 'utf8').startsWith(MARK)) {
    return {
      written: false,
      message: `ansible.cfg exists and was not written by rm-play: left as it is (add 'inventory = ${inv}' under [defaults] to use the lab)`,
    }
  }
  writeFileSync(file, `${MARK} for lab '${lab}'; rm-play and Ansible both read it\n[defaults]\ninventory = ${inv}\n`)
  return { written: true, message: `config: ${file} (inventory = ${inv})` }
}
