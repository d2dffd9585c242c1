import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { inventoryCommand } from '../../src/cli/inventory-cmd.js'
import { hasAnsible } from '../helpers/ansible.js'

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'rmp-invcmd-'))
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true })
    writeFileSync(join(d, p), c)
  }
  return d
}

const INI = {
  'hosts.ini': `loner ansible_host=10.0.0.9

[web]
web[1:3] http_port=8080
web9 ansible_host=10.0.0.2

[db]
db1 ansible_port=2222 flag=yes

[prod:children]
web
db

[prod:vars]
env=prod
ntp=ntp.example.com

[empty]

[canary]
web1
db1
`,
  'group_vars/all.yml': 'common: 1\nnested: {a: 1, b: [1, "two"], c: null}\n',
  'group_vars/web/main.yml': 'role: web\ncommon: 2\n',
  'group_vars/web/more.yml': 'quote: "it\'s"\n',
  'host_vars/web1.yml': 'special: true\nratio: 1.5\n',
}

const YAML = {
  'hosts.yml': `all:
  vars:
    top: yes
  hosts:
    bare:
  children:
    zeta:
      hosts:
        z1:
          x: 1
    app:
      children:
        front:
          hosts:
            f1:
            f2: {port: 80}
        back:
          hosts:
            b1:
          vars:
            tier: back
      vars:
        app_name: shop
    lonely:
`,
  'group_vars/front.yml': 'gv: front\nlist: [a, b]\n',
  'host_vars/b1/vars.yml': 'own: b1\n',
}

function ours(argv: string[]): { code: number; out: string; err: string } {
  let out = ''
  let err = ''
  const code = inventoryCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) })
  return { code, out, err }
}

function theirs(argv: string[], cwd: string): string | undefined {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')))
  const r = spawnSync('ansible-inventory', argv, { cwd, encoding: 'utf8', env: { ...env, ANSIBLE_NOCOLOR: '1' }, timeout: 60000 })
  return r.status === 0 ? r.stdout : undefined
}

describe('cli inventory: rm-play inventory as ansible-inventory', function () {
  this.timeout(60000)

  it('issue 9: --list gives groups, children and _meta.hostvars merged from group_vars and host_vars', () => {
    const d = dir(INI)
    const r = ours(['-i', join(d, 'hosts.ini'), '--list'])
    expect(r.code).to.equal(0)
    const list = JSON.parse(r.out)
    expect(list.all).to.deep.equal({ children: ['ungrouped', 'prod', 'empty', 'canary'] })
    expect(list.prod).to.deep.equal({ children: ['web', 'db'] })
    expect(list.web.hosts).to.deep.equal(['web1', 'web2', 'web3', 'web9'])
    expect(list).not.to.have.property('empty')
    expect(list._meta.hostvars.web1).to.deep.include({ common: 2, role: 'web', special: true, env: 'prod', http_port: 8080 })
    expect(list._meta.hostvars.loner).to.deep.include({ common: 1, ansible_host: '10.0.0.9' })
    expect(list._meta.hostvars).not.to.have.property('localhost')
  })

  for (const [kind, files, main] of [
    ['INI', INI, 'hosts.ini'],
    ['YAML', YAML, 'hosts.yml'],
  ] as const) {
    it(`issue 9: --list [--yaml], --host and --graph [--vars] agree with ansible-inventory on an ${kind} inventory`, function () {
      if (!hasAnsible()) this.skip()
      const d = dir(files)
      const inv = join(d, main)
      const list = theirs(['-i', inv, '--list'], d)
      expect(list, 'ansible-inventory --list').to.be.a('string')
      expect(JSON.parse(ours(['-i', inv, '--list']).out)).to.deep.equal(JSON.parse(list!))
      for (const h of Object.keys(JSON.parse(list!)._meta.hostvars))
        expect(JSON.parse(ours(['-i', inv, '--host', h]).out), h).to.deep.equal(JSON.parse(theirs(['-i', inv, '--host', h], d)!))
      expect(ours(['-i', inv, '--graph']).out).to.equal(theirs(['-i', inv, '--graph'], d))
      expect(ours(['-i', inv, '--graph', '--vars']).out).to.equal(theirs(['-i', inv, '--graph', '--vars'], d))
      const yamlList = theirs(['-i', inv, '--list', '--yaml'], d)
      expect(parse(ours(['-i', inv, '--list', '-y']).out)).to.deep.equal(parse(yamlList!))
      const sub = kind === 'INI' ? 'prod' : 'app'
      expect(ours(['-i', inv, '--graph', sub]).out).to.equal(theirs(['-i', inv, '--graph', sub], d))
    })
  }

  it('an inventory directory is read as Ansible reads it: hosts.ini, notes.txt and *.cfg are skipped, group_vars/x/ reads only YAML and JSON', function () {
    if (!hasAnsible()) this.skip()
    const d = dir({
      'hosts.ini': '[web]\nweb1\n',
      hosts: '[db]\ndb1\n',
      'notes.txt': '[nope]\nnope1\n',
      'group_vars/db/main.yml': 'a: 1\n',
      'group_vars/db/extra.ini': 'b: 2\n',
      'group_vars/db/plain': 'c: 3\n',
    })
    const list = theirs(['-i', d, '--list'], d)
    expect(list, 'ansible-inventory --list').to.be.a('string')
    expect(JSON.parse(ours(['-i', d, '--list']).out)).to.deep.equal(JSON.parse(list!))
    expect(JSON.parse(list!)._meta.hostvars).to.deep.equal({ db1: { a: 1, c: 3 } })
  })

  it('issue 8: INI lines with a trailing # comment (hosts, [group] headers, :vars, :children) read as ansible-inventory reads them', function () {
    if (!hasAnsible()) this.skip()
    const d = dir({
      'hosts.ini': `web1 ansible_port=2222 # the first
web2 ansible_host=10.0.0.2#no space before it
web3 note="a # inside quotes" mode=0755 n=1_000 ok=True none=None # comment
[db] # the databases
db1 list="[1, 'two']" # a list
[db:vars] # vars
n=1 # an int, then Python's comment
s=hello # a string keeps it
q='quoted' # a quoted string
u=plain ; a semicolon is text
[all:children] # kids
db # the db group
`,
    })
    const inv = join(d, 'hosts.ini')
    const list = theirs(['-i', inv, '--list'], d)
    expect(list, 'ansible-inventory --list').to.be.a('string')
    const mine = ours(['-i', inv, '--list'])
    expect(mine.err).to.equal('')
    expect(JSON.parse(mine.out)).to.deep.equal(JSON.parse(list!))
    expect(JSON.parse(list!)._meta.hostvars.web3).to.deep.equal({ note: 'a # inside quotes', mode: '0755', n: 1000, ok: true, none: null })
  })

  it('issue 9: an unknown host or group, a missing mode or option is a clear error', () => {
    const d = dir(INI)
    const inv = join(d, 'hosts.ini')
    expect(ours(['-i', inv, '--host', 'nosuch']))
      .to.include({ code: 1 })
      .and.property('err')
      .to.match(/no host 'nosuch'/)
    expect(ours(['-i', inv, '--graph', 'nosuch']))
      .to.include({ code: 1 })
      .and.property('err')
      .to.match(/no group 'nosuch'/)
    expect(ours(['-i', inv]))
      .to.include({ code: 1 })
      .and.property('err')
      .to.match(/--list, --graph or --host/)
    expect(ours(['-i', inv, '--lsit']))
      .to.include({ code: 1 })
      .and.property('err')
      .to.match(/unknown option --lsit/)
    expect(ours(['-i', join(d, 'missing.ini'), '--list']))
      .to.include({ code: 1 })
      .and.property('err')
      .to.match(/inventory not found/)
  })
})
