// inventory/prodlab is inventory/prod on lab hosts: prod's group_vars file itself, overridden only
// by what cannot be the same in the lab. A value of prod that the lab quietly changes would make
// the prod-inventory e2e prove less than it says.
import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { loadInventory } from '../../src/playbook/inventory.js'
import { readPasswordFile, setVaultPassword } from '../../src/playbook/vault.js'
import { VarScope } from '../../src/playbook/vars.js'

const ROOT = resolve('.')
/** What the lab overrides, and why (inventory/prodlab/group_vars/all/zz-lab.yml says more). */
const LAB_ONLY = [
  'app_repo_url', // the lab's git daemon
  'app_version', // its repository has branch main only
  'tls_acme_server', // the lab's pebble
  'tls_acme_ca_files', // pebble's CAs
  'app_pip_index_url', // the lab's package index (PyPI is not reachable from the lab)
  'app_pip_trusted_host', // which is plain http
  'app_python_packages', // index, unless the lab's index is incomplete (neither pip nor Debian's packages gave the closure): then Debian's
]

describe('inventory/prodlab', () => {
  it("has inventory/prod's values except the lab-only ones", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-prodlab-'))
    // The secrets are the lab's (vault.yml links to inventory/lab's).
    setVaultPassword(readPasswordFile(join(ROOT, 'inventory', 'lab', 'vault-password.txt')))
    try {
      writeFileSync(join(dir, 'hosts.yml'), 'all:\n  children:\n    runmaster:\n      hosts:\n        h1: {}\n')
      symlinkSync(join(ROOT, 'inventory', 'prodlab', 'group_vars'), join(dir, 'group_vars'))
      // Raw (unrendered) values as the files give them: the top layer that has the name wins.
      const layers = loadInventory([dir]).varLayers('h1')
      const v = Object.fromEntries(new VarScope(layers).names().map((n) => [n, layers.filter((l) => n in l.values).pop()!.values[n]]))
      const prod = parse(readFileSync(join(ROOT, 'inventory', 'prod', 'group_vars', 'all', 'main.yml'), 'utf8')) as Record<string, unknown>
      const overlay = parse(readFileSync(join(ROOT, 'inventory', 'prodlab', 'group_vars', 'all', 'zz-lab.yml'), 'utf8')) as Record<string, unknown>
      expect(Object.keys(overlay).sort()).to.deep.equal([...LAB_ONLY].sort())
      for (const [k, value] of Object.entries(prod)) {
        expect(v[k], k).to.deep.equal(LAB_ONLY.includes(k) ? overlay[k] : value)
      }
      expect(v).to.include({
        tls_mode: 'letsencrypt',
        nginx_redirect_http_to_https: true,
        redis_maxmemory: '2gb',
        api_max_requests: 2000,
        runmaster_domain: 'runmaster.example.com',
      })
    } finally {
      setVaultPassword(undefined)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
