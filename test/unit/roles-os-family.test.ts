// The RunMaster roles install with `package` and pick package names by ansible_os_family: every
// package task of every playbook, loaded as rm-play loads it, rendered with the roles' defaults and
// a host's facts faked (Debian 12 / apt, Rocky 9 / dnf), must give the names chosen for that family
// and arguments the chosen module (apt / dnf) accepts. Debian's names are pinned to what the roles
// installed before the RedHat path was added. RHEL hosts are untested here (no RPM mirror).
import { expect } from 'chai'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pkg, type PackageArgs } from '../../src/modules/package.js'
import { checkArgs } from '../../src/modules/schema.js'
import { renderValue } from '../../src/playbook/expression.js'
import { loadPlaybook } from '../../src/playbook/load.js'
import type { Node, Task } from '../../src/playbook/model.js'
import { VarScope } from '../../src/playbook/vars.js'

const DEBIAN = { ansible_os_family: 'Debian', ansible_distribution: 'Debian', ansible_distribution_major_version: '12', ansible_pkg_mgr: 'apt' }
const REDHAT = { ansible_os_family: 'RedHat', ansible_distribution: 'Rocky', ansible_distribution_major_version: '9', ansible_pkg_mgr: 'dnf' }

function tasksOf(nodes: Node[]): Task[] {
  return nodes.flatMap((n) => (n.kind === 'task' ? [n] : n.kind === 'block' ? tasksOf([...n.block, ...n.rescue, ...n.always]) : tasksOf(n.nodes ?? [])))
}

interface Chosen {
  /** role : task title */
  task: string
  names: string[]
  args: Record<string, unknown>
}

/** Every package task of every playbook, its arguments rendered for a host with these facts. */
function packageTasks(facts: Record<string, unknown>): Chosen[] {
  const out = new Map<string, Chosen>()
  const dir = resolve('playbooks')
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    for (const play of loadPlaybook(join(dir, file)).plays) {
      const defaults = play.roles.map((r) => ({ name: `role ${r.name} defaults`, values: r.defaults }))
      const scope = new VarScope([...defaults, { name: 'play vars', values: play.vars ?? {} }, { name: 'facts', values: facts, data: true }])
      for (const t of tasksOf([...play.preTasks, ...play.tasks, ...play.postTasks]).filter((t) => t.module.endsWith('package'))) {
        const args = renderValue(t.args, scope) as Record<string, unknown>
        const checked = checkArgs(pkg.args, args, false)
        expect(checked.problems, t.title).to.deep.equal([])
        // What the engine does: the chosen module (apt / dnf) checks the arguments package hands it.
        expect(
          () => pkg.probes(checked.args as PackageArgs, { host: 'h', facts: { pkg_mgr: facts.ansible_pkg_mgr }, check: false, diff: false }),
          t.title,
        ).not.to.throw()
        out.set(`${t.role?.name} : ${t.title}`, { task: `${t.role?.name} : ${t.title}`, names: checked.args.name as string[], args })
      }
    }
  }
  return [...out.values()]
}

const COMMON = 'common : Install the system packages (guide 1.1)'
const POSTGRESQL = 'postgresql : Install PostgreSQL'
const REDIS = 'redis : Install Redis'
const APP = "app : Install git and venv (and, app_python_packages debian, the backend's Python packages)"
const BACKUP = 'backup : Install rsync and the SSH client (the off-host copy)'

const namesByTask = (list: Chosen[]) => Object.fromEntries(list.map((c) => [c.task, c.names]))

describe('RunMaster roles: package names by OS family', function () {
  this.timeout(60_000)
  it('on Debian: the names the roles always installed, with apt and its cache_valid_time', () => {
    const debian = packageTasks(DEBIAN)
    expect(namesByTask(debian)).to.deep.equal({
      [COMMON]: [
        'python3',
        'python3-venv',
        'postgresql',
        'postgresql-contrib',
        'redis-server',
        'nginx',
        'supervisor',
        'python3-dev',
        'build-essential',
        'libpq-dev',
      ],
      [POSTGRESQL]: ['postgresql', 'postgresql-contrib'],
      [REDIS]: ['redis-server'],
      [APP]: ['git', 'python3-venv'],
      'celery : Install supervisor': ['supervisor'],
      'api : Install supervisor': ['supervisor'],
      'logrotate : Install logrotate': ['logrotate'],
      'tls : Install openssl': ['openssl'],
      'tls : Install certbot (guide 7.1; the webroot flow needs no nginx plugin)': ['certbot'],
      'nginx : Install nginx': ['nginx'],
      'firewall : Install ufw': ['ufw'],
      [BACKUP]: ['rsync', 'openssh-client'],
      "backup : Install rsync (rrsync restricts the sources' keys; it is a python3 script)": ['rsync', 'python3', 'openssh-server'],
    })
    for (const c of debian) expect([c.args.update_cache, String(c.args.cache_valid_time)], c.task).to.deep.equal([true, '3600'])
  })

  it("on RHEL-family hosts (the guide's yum path): their names, no apt-only argument", () => {
    const redhat = packageTasks(REDHAT)
    expect(namesByTask(redhat)).to.deep.include({
      [COMMON]: ['python3.11', 'postgresql-server', 'postgresql-contrib', 'redis', 'nginx', 'supervisor', 'python3.11-devel', 'gcc', 'libpq-devel'],
      [POSTGRESQL]: ['postgresql-server', 'postgresql-contrib'],
      [REDIS]: ['redis'],
      [APP]: ['git', 'python3.11'],
      [BACKUP]: ['rsync', 'openssh-clients'],
    })
    expect(Object.keys(namesByTask(redhat))).to.have.length(13)
    for (const c of redhat) expect(c.args, c.task).not.to.have.property('cache_valid_time')
  })

  it('an OS family the roles have no names for fails at the lookup (preflight stops such a host first)', () => {
    expect(() => packageTasks({ ...DEBIAN, ansible_os_family: 'Suse' })).to.throw(/_packages_by_os_family\[ansible_os_family\]/)
  })
})
