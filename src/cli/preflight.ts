// Checks made before any host is touched, for a run and for --syntax-check alike, as
// ansible-playbook makes them: a --limit that leaves no host, and a vars_files file that the vault
// password given (or the lack of one) cannot open, so neither surfaces later as a failed task.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { errorList, formatPos, RmError } from '../playbook/errors.js'
import type { Inventory } from '../playbook/inventory.js'
import type { Playbook } from '../playbook/model.js'
import { matchHosts } from '../playbook/patterns.js'
import { isTemplated } from '../text/templated.js'
import { loadVarsFile } from '../playbook/vars-files.js'
import { isVaultText } from '../playbook/vault.js'

/** A --limit that selects nothing is an error, as Ansible's "leaves us with no hosts to target". */
export function limitProblems(inventory: Inventory, limit: string | undefined): RmError[] {
  if (limit === undefined) return []
  let hosts: string[]
  try {
    hosts = matchHosts(inventory, limit)
  } catch (e) {
    return [new RmError(`--limit ${limit}: ${(e as Error).message}`)]
  }
  if (hosts.length) return []
  return [
    new RmError(
      `--limit '${limit}' matches no host of the inventory`,
      undefined,
      'the inventory, host pattern and --limit leave no host to target (as Ansible, this stops the run)',
    ),
  ]
}

/**
 * vars_files with a fixed path that the vault passwords given (or none) cannot open. A file opened
 * here is not opened again by the play: decryption is remembered (playbook/vault.ts).
 */
export function varsFileProblems(playbooks: Playbook[]): RmError[] {
  const out: RmError[] = []
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      for (const vf of play.varsFiles) {
        if (isTemplated(vf.file)) continue
        const path = resolve(dirname(pb.file), vf.file)
        // a missing file may be written by an earlier play; the run says so if it still is
        if (!existsSync(path) || !isVaultText(readFileSync(path, 'utf8'))) continue
        try {
          loadVarsFile(path)
        } catch (e) {
          out.push(...errorList(e).map((x) => new RmError(`${x.message} (vars_files of the play at ${formatPos(play.pos)})`, x.pos, x.hint)))
        }
      }
    }
  }
  return out
}
