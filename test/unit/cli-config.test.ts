import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyConfig, givenFlags, withConfig } from '../../src/cli/apply-config.js'
import { parseArgs } from '../../src/cli/args.js'
import { configCommand } from '../../src/cli/config-cmd.js'
import { ConfigError, dumpConfig, findConfigFile, loadConfig, SETTINGS, type ConfigEnv } from '../../src/cli/config.js'
import { hasAnsible } from '../helpers/ansible.js'

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rmp-cfg-'))
  chmodSync(d, 0o755)
  return d
}

const CFG = `# a comment
[defaults]
inventory = hosts.ini, other/inv.yml
roles_path = roles:~/more/roles:/abs/roles
forks = 7
remote_user = deploy
private_key_file = ~/.ssh/id_lab
host_key_checking = False
vault_password_file = .vault_pass ; inline comment
timeout = 30
log_path = ./ansible.log
retry_files_enabled = yes
nosuchkey = 1
gathering = explicit

[privilege_escalation]
become = True
become_user = postgres
become_ask_pass = false
`

function project(cfg = CFG): { dir: string; home: string; ce: (env?: Record<string, string>) => ConfigEnv } {
  const dir = tmp()
  const home = tmp()
  writeFileSync(join(dir, 'ansible.cfg'), cfg)
  return { dir, home, ce: (env = {}) => ({ env, cwd: dir, home }) }
}

describe('cli config: ansible.cfg and ANSIBLE_*', () => {
  it('reads the keys rm-play uses, with paths relative to the file and ~ expanded', () => {
    const p = project()
    const cfg = loadConfig(p.ce())
    expect(cfg.file).to.equal(join(p.dir, 'ansible.cfg'))
    const v = (k: string) => cfg.settings.get(k)!.value
    expect(v('inventory')).to.deep.equal([join(p.dir, 'hosts.ini'), join(p.dir, 'other/inv.yml')])
    expect(v('roles_path')).to.deep.equal([join(p.dir, 'roles'), join(p.home, 'more/roles'), '/abs/roles'])
    expect(v('forks')).to.equal(7)
    expect(v('private_key_file')).to.equal(join(p.home, '.ssh/id_lab'))
    expect(v('vault_password_file')).to.equal(join(p.dir, '.vault_pass'))
    expect(v('host_key_checking')).to.equal(false)
    expect(v('become')).to.equal(true)
    expect(v('become_user')).to.equal('postgres')
    expect(cfg.ignored).to.deep.equal(['[defaults] nosuchkey', '[defaults] gathering'])
  })

  it('environment beats the file; the command line beats both', () => {
    const p = project()
    const cfg = loadConfig(p.ce({ ANSIBLE_FORKS: '9', ANSIBLE_INVENTORY: 'a.yml,b.yml', ANSIBLE_HOST_KEY_CHECKING: 'true' }))
    expect(cfg.settings.get('forks')).to.include({ value: 9, origin: 'env: ANSIBLE_FORKS' })
    expect(cfg.settings.get('inventory')!.value).to.deep.equal([join(p.dir, 'a.yml'), join(p.dir, 'b.yml')])
    const argv = ['site.yml', '-f', '3', '-uroot', '--private-key=/k']
    const a = applyConfig(parseArgs(argv), argv, cfg)
    expect(a.forks).to.equal(3)
    expect(a.user).to.equal('root')
    expect(a.privateKey).to.equal('/k')
    expect(a.inventory).to.deep.equal([join(p.dir, 'a.yml'), join(p.dir, 'b.yml')])
    expect(a.hostKeyChecking).to.equal('yes')
    expect(a.become).to.equal(true)
    expect(a.becomeUser).to.equal('postgres')
    expect(a.timeout).to.equal(30)
    const b = applyConfig(parseArgs(['site.yml', '-i', 'x.ini']), ['site.yml', '-i', 'x.ini'], loadConfig(p.ce()))
    expect(b.inventory).to.deep.equal(['x.ini'])
    expect(b.forks).to.equal(7)
    expect(b.hostKeyChecking).to.equal('no')
  })

  it('callbacks_enabled with profile_tasks (file or ANSIBLE_CALLBACKS_ENABLED) turns the task profile on; other callbacks do not', () => {
    const on = (text: string, env: Record<string, string> = {}) => {
      const cfg = loadConfig(project(text).ce(env))
      return applyConfig(parseArgs(['x.yml']), ['x.yml'], cfg).profile ?? false
    }
    expect(on('[defaults]\ncallbacks_enabled = timer, profile_tasks\n')).to.equal(true)
    expect(on('[defaults]\ncallbacks_enabled = ansible.posix.profile_tasks\n')).to.equal(true)
    expect(on('[defaults]\ncallbacks_enabled = timer\n')).to.equal(false)
    expect(on('[defaults]\n', { ANSIBLE_CALLBACKS_ENABLED: 'profile_tasks' })).to.equal(true)
  })

  it('without a config file or variables, rm-play keeps its own defaults', () => {
    const d = tmp()
    const cfg = loadConfig({ env: {}, cwd: d, home: d })
    if (cfg.file) return // a machine-wide /etc/ansible/ansible.cfg: nothing to say here
    const a = applyConfig(parseArgs(['x.yml']), ['x.yml'], cfg)
    expect(a).to.deep.equal(parseArgs(['x.yml']))
    expect(dumpConfig(cfg, true)).to.deep.equal([])
  })

  it('finds the file as Ansible does: ANSIBLE_CONFIG (file or dir), ./ansible.cfg, ~/.ansible.cfg; skips a world-writable cwd', () => {
    const p = project()
    const other = tmp()
    writeFileSync(join(other, 'ansible.cfg'), '[defaults]\nforks = 2\n')
    expect(findConfigFile(p.ce({ ANSIBLE_CONFIG: other })).file).to.equal(join(other, 'ansible.cfg'))
    expect(findConfigFile(p.ce({ ANSIBLE_CONFIG: join(other, 'ansible.cfg') })).file).to.equal(join(other, 'ansible.cfg'))
    expect(findConfigFile(p.ce()).file).to.equal(join(p.dir, 'ansible.cfg'))
    writeFileSync(join(p.home, '.ansible.cfg'), '[defaults]\nforks = 4\n')
    expect(findConfigFile({ env: {}, cwd: other + '/nonexistent', home: p.home }).file).to.equal(join(p.home, '.ansible.cfg'))
    chmodSync(p.dir, 0o777)
    const found = findConfigFile(p.ce())
    expect(found.file).to.equal(join(p.home, '.ansible.cfg'))
    expect(found.warnings.join()).to.match(/world writable/)
  })

  it('a bad number or yes/no is an error, not a guess', () => {
    expect(() => loadConfig(project('[defaults]\nforks = many\n').ce())).to.throw(ConfigError, /forks.*whole number.*many/)
    expect(() => loadConfig(project('[defaults]\nhost_key_checking = flase\n').ce())).to.throw(ConfigError, /host_key_checking.*true or false/)
    expect(loadConfig(project('[defaults]\nhost_key_checking = accept-new\n').ce()).settings.get('host_key_checking')!.value).to.equal('accept-new')
    const errs: string[] = []
    expect(() => withConfig(parseArgs(['x.yml']), ['x.yml'], { err: (s) => errs.push(s) }, project('[defaults]\nforks = 0\n').ce())).to.throw(
      /forks must be a positive/,
    )
  })

  it('says at -v which file it read and which keys it ignored', () => {
    const p = project()
    const errs: string[] = []
    withConfig(parseArgs(['x.yml', '-v']), ['x.yml', '-v'], { err: (s) => errs.push(s) }, p.ce())
    expect(errs.join(''))
      .to.contain(`Using ${join(p.dir, 'ansible.cfg')} as config file`)
      .and.to.contain('[defaults] nosuchkey')
    const quiet: string[] = []
    withConfig(parseArgs(['x.yml']), ['x.yml'], { err: (s) => quiet.push(s) }, p.ce())
    expect(quiet).to.deep.equal([])
  })

  it('knows which flags the command line gave, in every spelling', () => {
    expect([...givenFlags(['-f3', '--inventory=x', '-b', '-T', '5', 'pb.yml', '--', '-u', 'x'])].sort()).to.deep.equal(['-T', '-b', '-f', '-i'])
    expect([...givenFlags(['-e', '-f', 'pb.yml'])]).to.deep.equal(['-e'])
  })

  it('rm-play config prints the changed settings like ansible-config dump --only-changed', () => {
    const p = project()
    const out: string[] = []
    expect(configCommand([], { out: (s) => out.push(s), err: () => {} }, p.ce({ ANSIBLE_REMOTE_USER: 'bob' }))).to.equal(0)
    const text = out.join('')
    expect(text).to.contain(`DEFAULT_FORKS(${join(p.dir, 'ansible.cfg')}) = 7`)
    expect(text).to.contain('DEFAULT_REMOTE_USER(env: ANSIBLE_REMOTE_USER) = bob')
    expect(text).to.contain(`DEFAULT_HOST_LIST(${join(p.dir, 'ansible.cfg')}) = ['${join(p.dir, 'hosts.ini')}', '${join(p.dir, 'other/inv.yml')}']`)
    expect(text).not.to.contain('DEFAULT_TIMEOUT(default)')
  })

  it('agrees with ansible-config dump --only-changed on the same ansible.cfg and environment', function () {
    if (!hasAnsible()) this.skip()
    this.timeout(30000)
    const p = project()
    const env: Record<string, string> = {
      ANSIBLE_CONFIG: join(p.dir, 'ansible.cfg'),
      ANSIBLE_TIMEOUT: '12',
      ANSIBLE_BECOME_USER: 'app',
      ANSIBLE_ROLES_PATH: 'r1:/r2',
    }
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_') && k !== 'NO_COLOR'))
    const ansible = execFileSync('ansible-config', ['dump', '--only-changed'], {
      cwd: p.dir,
      env: { ...clean, ...env, HOME: p.home },
      encoding: 'utf8',
    }).replace(/\x1b\[[0-9;]*m/g, '')
    const out: string[] = []
    configCommand([], { out: (s) => out.push(s), err: () => {} }, { env, cwd: p.dir, home: p.home })
    const lines = (t: string) =>
      new Map(
        t
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('(')), l] as const),
      )
    const theirs = lines(ansible)
    const ours = lines(out.join(''))
    const shared = SETTINGS.map((s) => s.name)
    let compared = 0
    for (const name of shared) {
      expect(ours.get(name), name).to.equal(theirs.get(name))
      if (theirs.has(name)) compared++
    }
    expect(compared).to.be.greaterThan(12)
  })
})
