import { expect } from 'chai'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RmErrors } from '../../src/playbook/errors.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { expandHostRange, splitKeyValues } from '../../src/playbook/inventory-ini.js'
import { VarScope } from '../../src/playbook/vars.js'

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'rmp-inv-'))
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true })
    writeFileSync(join(d, p), c)
  }
  return d
}

const vars = (inv: ReturnType<typeof loadInventory>, h: string) => new VarScope(inv.varLayers(h)).toObject()

describe('inventory: INI', () => {
  const d = dir({
    hosts: `
# comment
lone ansible_host=10.0.0.9
[web]
web[01:03] ansible_user=deploy
[db]
db1 ansible_host=10.0.0.5 ansible_port=2222 note="two words"
[app:children]
web
db
[app:vars]
ntp=pool.example
port=8080
`,
  })
  const inv = loadInventory([join(d, 'hosts')])
  it('expands ranges keeping zero padding', () => {
    expect(inv.hostsOf('web')).to.deep.equal(['web01', 'web02', 'web03'])
  })
  it('groups children, all and ungrouped', () => {
    expect(inv.hostsOf('app')).to.deep.equal(['web01', 'web02', 'web03', 'db1'])
    expect(inv.hostsOf('ungrouped')).to.deep.equal(['lone'])
    expect(inv.hostsOf('all')).to.include.members(['lone', 'db1', 'web02'])
  })
  it('host-line and [g:vars] values are what Python literal_eval makes of them (as Ansible 2.14 reads them)', () => {
    const v = vars(inv, 'db1')
    expect(v.ansible_port).to.equal(2222)
    expect(v.note).to.equal('two words')
    expect(v.port).to.equal(8080)
    expect(v.ntp).to.equal('pool.example')
  })
  it('group_names and implicit localhost (not in all)', () => {
    expect(inv.groupNames('db1')).to.deep.equal(['app', 'db'])
    expect(inv.hosts.has('localhost')).to.equal(true)
    expect(inv.hostsOf('all')).to.not.include('localhost')
  })
})

describe('inventory: YAML, directories, group_vars and host_vars', () => {
  const d = dir({
    'inv/hosts.yml': `
all:
  vars: { level: all }
  children:
    web:
      hosts:
        w[1:2]: { ansible_host: 10.1.0.1 }
      vars: { level: web-inline, only_inline: yes }
    db:
      hosts: { d1: }
`,
    'inv/extra': '[db]\nd2\n', // INI without an extension: Ansible skips *.ini in a directory
    'inv/group_vars/all.yml': 'level: gv-all\nfrom_all: 1\n',
    'inv/group_vars/web/main.yml': 'level: gv-web\n',
    'inv/group_vars/web/more.yml': 'more: 2\n',
    'inv/host_vars/w1.yml': 'level: hv-w1\n',
    'pb/group_vars/web.yml': 'level: pb-web\npb_only: 3\n',
  })
  const inv = loadInventory([join(d, 'inv')])
  it('reads every inventory file in a directory', () => {
    // files are read in name order: extra before hosts.yml
    expect(inv.hostsOf('db')).to.deep.equal(['d2', 'd1'])
    expect(inv.hostsOf('web')).to.deep.equal(['w1', 'w2'])
  })
  it('applies Ansible precedence: inline group < group_vars all < group_vars group < host_vars', () => {
    expect(vars(inv, 'w1').level).to.equal('hv-w1')
    expect(vars(inv, 'w2').level).to.equal('gv-web')
    expect(vars(inv, 'd1').level).to.equal('gv-all')
    expect(vars(inv, 'w2').more).to.equal(2)
    expect(vars(inv, 'w2').only_inline).to.equal(true)
  })
  it('group_vars beside the playbook come after the inventory ones', () => {
    const v = new VarScope(inv.varLayers('w2', join(d, 'pb'))).toObject()
    expect(v.level).to.equal('pb-web')
    expect(v.pb_only).to.equal(3)
  })
  it('comma host lists work like Ansible', () => {
    const i2 = loadInventory(['a1,a2,'])
    expect(i2.hostsOf('all')).to.deep.equal(['a1', 'a2'])
  })
  it('reports errors with file:line', () => {
    const bad = dir({ hosts: '[web\nx\n' })
    try {
      loadInventory([join(bad, 'hosts')])
      expect.fail('should throw')
    } catch (e) {
      expect(e).to.be.instanceOf(RmErrors)
      expect((e as RmErrors).errors[0]!.pos?.line).to.equal(1)
    }
    expect(() => loadInventory(['/nonexistent/inv'])).to.throw(/inventory not found/)
  })
  it('INI: a child group or a [group:vars] with no section of its own is an error at its line (Ansible rejects the file too)', () => {
    const bad = dir({ hosts: '[web]\nw1\n[web:children]\nwbe\n[dbb:vars]\nx=1\n' })
    try {
      loadInventory([join(bad, 'hosts')])
      expect.fail('should throw')
    } catch (e) {
      expect((e as RmErrors).errors.map((x) => `${x.pos?.line} ${x.message}`)).to.deep.equal([
        "4 inventory: [web:children] names group 'wbe', which is never defined",
        '5 inventory: section [dbb:vars] is for a group that is never defined',
      ])
    }
    // a child whose section comes later is fine; [all:vars] needs no [all]
    expect(loadInventory([join(dir({ hosts: '[all:vars]\nx=1\n[p:children]\nc\n[c]\nh1\n' }), 'hosts')]).hostsOf('p')).to.deep.equal(['h1'])
  })
})

describe('inventory helpers', () => {
  it('expandHostRange: letters, steps, several ranges', () => {
    expect(expandHostRange('db-[a:c]')).to.deep.equal(['db-a', 'db-b', 'db-c'])
    expect(expandHostRange('n[1:5:2]')).to.deep.equal(['n1', 'n3', 'n5'])
    expect(expandHostRange('r[1:2]c[1:2]')).to.deep.equal(['r1c1', 'r1c2', 'r2c1', 'r2c2'])
  })
  it('splitKeyValues respects quotes', () => {
    expect(splitKeyValues(`a=1 b="x y" c='z w'`).map((k) => [k.key, k.value])).to.deep.equal([
      ['a', '1'],
      ['b', 'x y'],
      ['c', 'z w'],
    ])
  })
})

describe('YAML as Ansible reads it', () => {
  it('yes/no/on/off are booleans, y/n, times and dates stay strings, 0644 is octal', async () => {
    const { parseYaml } = await import('../../src/playbook/yaml.js')
    expect(parseYaml('a: n\nb: yes\nc: y\nd: 0644\ne: off\nf: 12:30\ng: 2024-01-01\n', 'x.yml')).to.deep.equal({
      a: 'n',
      b: true,
      c: 'y',
      d: 420,
      e: false,
      f: '12:30',
      g: '2024-01-01',
    })
  })
})

describe('inventory: inventory_file and inventory_dir', () => {
  it('a host list gives the list as inventory_file and the string None as inventory_dir (as ansible-playbook 2.14 prints them)', () => {
    // `ansible-playbook -i w1,w2, ...` printed `w1,w2,|None|False` for
    // `{{ inventory_file }}|{{ inventory_dir }}|{{ inventory_dir is none }}`: basedir() of a path
    // that does not exist is None, turned to text. (Files and directories: magic-vars-ansible.test.ts.)
    const inv = loadInventory(['w1,w2,'])
    expect(vars(inv, 'w2')).to.include({ inventory_file: 'w1,w2,', inventory_dir: 'None' })
    expect(inv.sources).to.deep.equal(['w1,w2,'])
  })
  it('the first source that names a host is its inventory_file; its own variables come after', () => {
    const d = dir({ 'inv/a.yml': 'all:\n  hosts:\n    h1: { x: 1 }\n', 'inv/b': '[g]\nh1\nh2 inventory_dir=mine\n' })
    const inv = loadInventory([join(d, 'inv')])
    expect(vars(inv, 'h1')).to.include({ inventory_file: join(d, 'inv', 'a.yml'), inventory_dir: join(d, 'inv'), x: 1 })
    expect(vars(inv, 'h2')).to.include({ inventory_file: join(d, 'inv', 'b'), inventory_dir: 'mine' })
    expect(vars(inv, 'localhost')).to.not.have.property('inventory_file')
  })
})
