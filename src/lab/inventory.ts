// The Ansible-style YAML inventory a lab writes for its hosts. Rendering is pure; the file is
// marked so that `lab down` removes only inventories that a lab wrote.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { stringify } from 'yaml'
import { writeFileAtomic } from './fs-util.js'

const INVENTORY_GROUP = 'runmaster'

export interface InventoryInput {
  lab: string
  bridgeAddress: string
  keyPath: string
  knownHostsPath: string
  hosts: { name: string; address: string }[]
  /** The lab's ACME server (pebble) and the CA files a host must trust to use it. */
  acmeDirectory?: string
  acmeCaFiles?: string[]
  /** The lab's package index (PEP 503 simple), when it serves one. */
  pipIndexUrl?: string
  pipIndexComplete?: boolean
}

function marker(lab: string): string {
  return `# written by 'rm-play lab up' for lab '${lab}'; rewritten on every up, removed by 'rm-play lab down'`
}

export function renderInventory(inv: InventoryInput): string {
  const hosts: Record<string, { ansible_host: string }> = {}
  for (const h of inv.hosts) hosts[h.name] = { ansible_host: h.address }
  const doc = {
    all: {
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: inv.keyPath,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${inv.knownHostsPath} -o StrictHostKeyChecking=yes`,
        rm_play_lab: inv.lab,
        lab_bridge_address: inv.bridgeAddress,
        lab_git_url: `git://${inv.bridgeAddress}/`,
        ...(inv.pipIndexUrl ? { lab_pip_index_url: inv.pipIndexUrl, lab_pip_index_complete: inv.pipIndexComplete === true } : {}),
        ...(inv.acmeDirectory ? { lab_acme_directory: inv.acmeDirectory, lab_acme_ca_files: inv.acmeCaFiles ?? [] } : {}),
      },
      children: { [INVENTORY_GROUP]: { hosts } },
    },
  }
  return `${marker(inv.lab)}\n${stringify(doc, { lineWidth: 0 })}`
}

export function writeInventory(path: string, inv: InventoryInput): void {
  writeFileAtomic(path, renderInventory(inv))
}

/** Removes `path` only if this lab wrote it; true when removed. */
export function removeInventory(path: string, lab: string): boolean {
  if (!existsSync(path)) return false
  if (!readFileSync(path, 'utf8').startsWith(marker(lab))) return false
  rmSync(path, { force: true })
  return true
}
