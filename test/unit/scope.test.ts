// The variables a task sees (engine/scope.ts): what is shared per play (groups, fact variables) and
// what is read lazily (hostvars[h], the connection variables while gathering facts).
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostResultEvent, RunEvent } from '../../src/engine/events.js'
import { runPlaybook } from '../../src/engine/run.js'
import { loadInventory, type Inventory } from '../../src/playbook/inventory.js'
import { loadPlaybook } from '../../src/playbook/load.js'

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5']

function inventory(): Inventory {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-scope-inv-'))
  writeFileSync(join(dir, 'hosts'), `[web]\n${HOSTS.map((h) => `${h} ansible_connection=local`).join('\n')}\n[db]\nh1\n`)
  return loadInventory([join(dir, 'hosts')])
}

/** Adds to every host a variable whose reads are counted (a getter on the layer's values). */
function countReads(inv: Inventory, name: string): { reads: number } {
  const counter = { reads: 0 }
  const values = Object.defineProperty({}, name, { enumerable: true, get: () => (counter.reads++, 'counted') })
  const layers = inv.varLayers.bind(inv)
  inv.varLayers = (host, dir) => [...layers(host, dir), { name: 'counted', values }]
  return counter
}

async function run(yaml: string, inv: Inventory, files: Record<string, string> = {}): Promise<{ exitCode: number; msgs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-scope-'))
  writeFileSync(join(dir, 'site.yml'), yaml)
  for (const [p, text] of Object.entries(files)) writeFileSync(join(dir, p), text)
  const events: RunEvent[] = []
  const r = await runPlaybook(loadPlaybook(join(dir, 'site.yml'), { rolesPath: [] }), {
    check: false,
    diff: false,
    forks: 50,
    tags: [],
    skipTags: [],
    extraVars: {},
    verbosity: 0,
    hostKeyChecking: 'yes',
    connectTimeoutMs: 10000,
    inventory: inv,
    emit: (e) => events.push(e),
  })
  // debug keeps a non-string message as its value (in output.msg), as Ansible does
  const shown = (e: HostResultEvent) => e.msg ?? (e.output?.msg === undefined ? undefined : String(e.output.msg))
  const msgs = events.filter((e): e is HostResultEvent => e.type === 'host-result' && shown(e) !== undefined).map((e) => `${e.host}:${shown(e)}`)
  return { exitCode: r.exitCode, msgs }
}

describe('scope: shared per play', () => {
  it('groups is computed once per play, not per task and host', async () => {
    const inv = inventory()
    let calls = 0
    const groupsMap = inv.groupsMap.bind(inv)
    inv.groupsMap = () => (calls++, groupsMap())
    const r = await run(
      "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: msg={{ groups.web | join(',') }}\n    - debug: msg={{ groups['db'] | join(',') }}\n",
      inv,
    )
    expect(r.exitCode).to.equal(0)
    expect(r.msgs).to.deep.equal([...HOSTS.map((h) => `${h}:${HOSTS.join(',')}`), ...HOSTS.map((h) => `${h}:h1`)])
    expect(calls).to.equal(1)
  })
  it('a list of groups sorted in place by an expression changes nothing for the next reader', async () => {
    const r = await run(
      "- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg={{ groups.web | reverse | join(',') }}\n    - debug: msg={{ groups.web | join(',') }}\n",
      inventory(),
    )
    expect(r.msgs).to.deep.equal([`h1:${[...HOSTS].reverse().join(',')}`, `h1:${HOSTS.join(',')}`])
  })
})

describe('scope: hostvars', () => {
  it("hostvars[h].x renders only x, in h's own context", async () => {
    const inv = inventory()
    const counted = countReads(inv, 'expensive')
    const layers = inv.varLayers.bind(inv)
    inv.varLayers = (host, dir) => [...layers(host, dir), { name: 'more', values: { me: '{{ inventory_hostname }}-x', bad: '{{ nowhere }}' } }]
    const r = await run("- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: msg={{ hostvars['h2'].me }}\n", inv)
    expect(r.msgs).to.deep.equal(['h1:h2-x'])
    expect(counted.reads).to.equal(0)
  })
  it('behaves as a plain object of the variables that render: in, keys, to_json, default', async () => {
    const inv = inventory()
    const layers = inv.varLayers.bind(inv)
    inv.varLayers = (host, dir) => [...layers(host, dir), { name: 'more', values: { me: '{{ inventory_hostname }}-x', bad: '{{ nowhere }}' } }]
    const r = await run(
      `- hosts: h1
  gather_facts: false
  tasks:
    - debug: msg="{{ 'me' in hostvars['h2'] }} {{ 'bad' in hostvars['h2'] }} {{ hostvars['h2'].bad | default('none') }}"
    - debug: msg="{{ hostvars['h2'] | to_json }}"
    - debug: msg="{{ hostvars['h2'] | dict2items | map(attribute='key') | join(',') }}"
`,
      inv,
    )
    expect(r.exitCode).to.equal(0)
    expect(r.msgs[0]).to.equal('h1:True False none')
    // the host's variables (with inventory_file/inventory_dir, set where the host was first seen),
    // then Ansible's Host.get_magic_vars, the facts and the run's magic variables
    const shown = JSON.parse(r.msgs[1]!.slice(3)) as Record<string, unknown>
    expect(shown).to.include({ ansible_connection: 'local', me: 'h2-x', inventory_hostname: 'h2', inventory_hostname_short: 'h2', ansible_check_mode: false })
    expect(shown.group_names).to.deep.equal(['web'])
    expect(shown.ansible_facts).to.deep.equal({})
    expect(String(shown.inventory_file)).to.match(/\/hosts$/)
    expect(Object.keys(shown).sort()).to.deep.equal([
      'ansible_check_mode',
      'ansible_connection',
      'ansible_diff_mode',
      'ansible_facts',
      'ansible_forks',
      'ansible_inventory_sources',
      'ansible_run_tags',
      'ansible_skip_tags',
      'ansible_verbosity',
      'group_names',
      'groups',
      'inventory_dir',
      'inventory_file',
      'inventory_hostname',
      'inventory_hostname_short',
      'me',
      'omit',
      'playbook_dir',
    ])
    // (the keys' order is not compared: Jinja's dictionaries come sorted here, README)
    expect(r.msgs[2]!.slice(3).split(',')).to.deep.equal(Object.keys(shown).sort())
  })
  it('a value stored from hostvars is a snapshot, not a live view', async () => {
    const r = await run(
      `- hosts: h1
  gather_facts: false
  tasks:
    - set_fact: { snap: "{{ hostvars['h1'] }}", peers: "{{ [hostvars['h1'], hostvars['h2']] }}" }
    - set_fact: { later: 1 }
    - debug: msg="{{ 'later' in snap }} {{ 'snap' in snap }} {{ peers | length }} {{ peers[0] | to_json | length > 0 }}"
`,
      inventory(),
    )
    expect(r.exitCode).to.equal(0)
    expect(r.msgs).to.deep.equal(['h1:False False 2 True'])
  })
})

describe('scope: gathering facts', () => {
  it('opens the connection reading only the variables it needs', async () => {
    const inv = inventory()
    const counted = countReads(inv, 'expensive')
    const r = await run('- hosts: h1\n  gather_facts: true\n  tasks:\n    - debug: msg={{ ansible_facts is defined }}\n', inv)
    expect(r.exitCode).to.equal(0)
    expect(r.msgs).to.deep.equal(['h1:true'])
    expect(counted.reads).to.equal(0)
  })
})
