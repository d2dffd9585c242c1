// Connection flags on lab hosts: --become-method su (from root, as Ansible; with a password from
// another user, over a terminal: the second describe), and --ssh-common-args carrying the options
// an inventory would (known hosts file, host key checking, port, user, key) for an inventory that
// gives none.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { randomBytes } from 'node:crypto'
import { encryptVault } from '../../src/playbook/vault.js'
import { ansibleJson, hasAnsible } from '../helpers/ansible.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

async function rmPlay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

const results = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; host?: string; status?: string; msg?: string; output?: { stdout?: string } })
    .filter((e) => e.type === 'host-result')

describe('cli connection flags on lab hosts', function () {
  this.timeout(180000)
  let lab: TestLab
  let dir: string
  let h1: string
  before(async () => {
    lab = await testLab(2)
    h1 = lab.names[0]!
    dir = mkdtempSync(join(tmpdir(), 'rmp-cli-flags-e2e-'))
    await sh(lab.inventory, h1, 'id alice >/dev/null 2>&1 || useradd -m -s /bin/sh alice')
    writeFileSync(
      join(dir, 'whoami.yml'),
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      become: true\n      become_user: alice\n',
    )
  })
  after(() => closeHostConnections())

  it('--become-method su: root becomes alice without a password, as ansible-playbook does', async () => {
    const r = await rmPlay([join(dir, 'whoami.yml'), '-i', lab.inventory, '-l', h1, '--become-method', 'su', '--json'])
    expect(r.code, r.out + r.err).to.equal(0)
    expect(results(r.out).map((e) => e.output?.stdout)).to.deep.equal(['alice'])
    // and it was su, not sudo, that got there: su is among the command's ancestors
    writeFileSync(
      join(dir, 'ancestors.yml'),
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: p=$$; while [ "$p" -gt 1 ]; do cat /proc/$p/comm; p=$(cut -d" " -f4 /proc/$p/stat); done\n      become: true\n      become_user: alice\n',
    )
    const chain = await rmPlay([join(dir, 'ancestors.yml'), '-i', lab.inventory, '-l', h1, '--become-method', 'su', '--json'])
    const names = results(chain.out)[0]!.output!.stdout!.split('\n')
    expect(names).to.include('su').and.not.include('sudo')
    if (hasAnsible()) {
      const a = spawnSync('ansible-playbook', [join(dir, 'whoami.yml'), '-i', lab.inventory, '-l', h1, '--become-method', 'su', '-v'], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'false' },
      })
      expect(a.status, a.stdout + a.stderr).to.equal(0)
      expect(a.stdout).to.match(/"stdout": "alice"/)
    }
  })

  it('become_method: su (keyword) and ansible_become_method: su (variable, which beats the keyword) become with su, as Ansible', async () => {
    const chain = 'p=$$; while [ "$p" -gt 1 ]; do cat /proc/$p/comm; p=$(cut -d" " -f4 /proc/$p/stat); done'
    const cases: [string, string, string][] = [
      [
        'keyword',
        `- hosts: all\n  gather_facts: false\n  become_method: su\n  tasks:\n    - shell: '${chain}'\n      become: true\n      become_user: alice\n`,
        'su',
      ],
      [
        'variable over keyword',
        `- hosts: all\n  gather_facts: false\n  vars: { ansible_become_method: su }\n  tasks:\n    - shell: '${chain}'\n      become: true\n      become_method: sudo\n      become_user: alice\n`,
        'su',
      ],
      [
        'keyword sudo',
        `- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: '${chain}'\n      become: true\n      become_method: sudo\n      become_user: alice\n`,
        'sudo',
      ],
    ]
    for (const [what, yaml, method] of cases) {
      const file = join(dir, `method-${method}-${what.replace(/ /g, '-')}.yml`)
      writeFileSync(file, yaml)
      const r = await rmPlay([file, '-i', lab.inventory, '-l', h1, '--json'])
      expect(r.code, what + r.out + r.err).to.equal(0)
      const names = results(r.out)[0]!.output!.stdout!.split('\n')
      expect(names, what)
        .to.include(method)
        .and.not.include(method === 'su' ? 'sudo' : 'su')
      if (hasAnsible()) {
        const a = spawnSync('ansible-playbook', [file, '-i', lab.inventory, '-l', h1, '-v'], {
          encoding: 'utf8',
          env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'false' },
        })
        expect(a.status, a.stdout + a.stderr).to.equal(0)
        expect(a.stdout, `ansible-playbook, ${what}`).to.match(new RegExp(`\\\\n${method}\\\\n`))
      }
    }
  })

  it('--ssh-common-args gives the known hosts file, host key checking, user and key to an inventory without them', async () => {
    const host = lab.hosts[0]!
    const bare = join(dir, 'bare.ini')
    writeFileSync(bare, `${h1} ansible_host=${host.address}\n`)
    writeFileSync(join(dir, 'ping.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n')
    const args = `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes -o User=root -o IdentityFile=${lab.keyPath} -o Port=22 -o ConnectTimeout=5`
    const r = await rmPlay([join(dir, 'ping.yml'), '-i', bare, '--ssh-common-args', args, '--json'])
    expect(r.code, r.out + r.err).to.equal(0)
    expect(results(r.out).map((e) => e.output?.stdout)).to.deep.equal(['root'])
    // without them the host key is not known here: the same run is refused
    const without = await rmPlay([join(dir, 'ping.yml'), '-i', bare, '--json', '--private-key', lab.keyPath, '-u', 'root', '-T', '3'])
    expect(without.code).to.equal(4)
  })
})

describe('become_method su with a password, logged in as a user other than root (compared with ansible-playbook)', function () {
  this.timeout(300000)
  let lab: TestLab
  let dir: string
  // a space and a quote: the password must reach su intact, never through a shell word
  const password = `S3cr'et su-${randomBytes(6).toString('hex')}`
  const rootHash = new Map<string, string>()
  const rmPlayBin = join(process.cwd(), 'bin', 'rm-play.js')
  const site = (extra = '') =>
    `- hosts: all\n  gather_facts: false\n  remote_user: alice\n  become: true\n  become_method: su\n  vars: { ansible_user: alice${extra} }\n  tasks:\n` +
    `    - name: who\n      command: id -u\n` +
    `    - name: both streams and an exit code\n      shell: echo to-out; echo to-err >&2; printf 'two\\nlines\\n'; exit 3\n      failed_when: false\n` +
    `    - name: a file only root may write\n      copy: { content: "by su\\n", dest: /root/su-e2e.txt, mode: '0600' }\n` +
    `    - name: the same file again\n      copy: { content: "by su\\n", dest: /root/su-e2e.txt, mode: '0600' }\n` +
    `    - name: su among the ancestors\n      shell: 'p=$$; while [ "$p" -gt 1 ]; do cat /proc/$p/comm; p=$(cut -d" " -f4 /proc/$p/stat); done'\n`
  before(async () => {
    lab = await testLab(2)
    dir = mkdtempSync(join(tmpdir(), 'rmp-su-pw-e2e-'))
    for (const h of lab.names.slice(0, 2)) {
      await sh(
        lab.inventory,
        h,
        'id alice >/dev/null 2>&1 || useradd -m -s /bin/sh alice; mkdir -p ~alice/.ssh && cp /root/.ssh/authorized_keys ~alice/.ssh/ && chown -R alice ~alice/.ssh; rm -f /root/su-e2e.txt',
      )
      rootHash.set(h, (await sh(lab.inventory, h, 'getent shadow root | cut -d: -f2')).stdout.trim())
      await sh(lab.inventory, h, `printf 'root:%s\\n' '${password.replace(/'/g, `'\\''`)}' | chpasswd`)
    }
    writeFileSync(join(dir, 'vault-pw'), 'vault-pw-su\n')
    writeFileSync(join(dir, 'secret.yml'), encryptVault(`ansible_become_password: ${JSON.stringify(password)}\n`, 'vault-pw-su'))
    writeFileSync(join(dir, 'site.yml'), site().replace('  tasks:\n', '  vars_files: [secret.yml]\n  tasks:\n'))
    writeFileSync(join(dir, 'wrong.yml'), site(', ansible_become_password: not-the-password'))
    writeFileSync(join(dir, 'ask.yml'), site())
  })
  after(async () => {
    for (const [h, hash] of rootHash) await sh(lab.inventory, h, `usermod -p '${hash}' root`)
    await closeHostConnections()
  })

  it('ansible_become_password from the vault: every task ran as root through su, and changed flags, stdout, stderr and rc equal ansible-playbook', async () => {
    const [h1, h2] = lab.names as [string, string]
    const r = await rmPlay([join(dir, 'site.yml'), '-i', lab.inventory, '-l', h1, '--vault-password-file', join(dir, 'vault-pw'), '--json'])
    expect(r.code, r.out + r.err).to.equal(0)
    const mine = results(r.out)
    expect(mine[0]!.output!.stdout).to.equal('0')
    expect(mine[4]!.output!.stdout!.split('\n')).to.include('su').and.not.include('sudo')
    expect(r.out + r.err).not.to.contain(password)
    if (!hasAnsible()) return
    const a = ansibleJson(['-i', lab.inventory, '-l', h2, '--vault-password-file', join(dir, 'vault-pw'), join(dir, 'site.yml')])
    expect(a.code, JSON.stringify(a.report) + a.stderr).to.equal(0)
    const theirs = a.report.plays[0]!.tasks.map((t) => t.hosts[h2] as { changed?: boolean; stdout?: string; stderr?: string; rc?: number })
    const pick = (x: { changed?: boolean; stdout?: string; stderr?: string; rc?: number }) => ({
      changed: !!x.changed,
      stdout: x.stdout,
      stderr: x.stderr,
      rc: x.rc,
    })
    const ours = mine.map((e) => {
      const o = (e as { output?: { stdout?: string; stderr?: string; rc?: number } }).output ?? {}
      return pick({ changed: e.status === 'changed', stdout: o.stdout, stderr: o.stderr, rc: o.rc })
    })
    // the ancestors differ by pid chain (Ansible runs python under sh): compare the first four
    expect(ours.slice(0, 4)).to.deep.equal(theirs.slice(0, 4).map(pick))
    expect(theirs[4]!.stdout!.split('\n')).to.include('su')
  })

  it('-K (the become password read from stdin): runs as root, and the password is in neither -vvvv nor --json output', () => {
    const [h1] = lab.names as [string]
    for (const flags of [['-vvvv'], ['--json']]) {
      const r = spawnSync('node', [rmPlayBin, join(dir, 'ask.yml'), '-i', lab.inventory, '-l', h1, '-K', ...flags], {
        input: password + '\n',
        encoding: 'utf8',
      })
      expect(r.status, r.stdout + r.stderr).to.equal(0)
      expect(r.stdout + r.stderr).not.to.contain(password)
      if (flags[0] === '--json') expect(results(r.stdout)[0]!.output!.stdout).to.equal('0')
      else expect(r.stdout).to.match(/EXEC as su to root \(with a password\)/)
    }
  })

  it('a wrong password fails the host with "Incorrect su password" in both tools, and no hang', async () => {
    const [h1, h2] = lab.names as [string, string]
    const r = await rmPlay([join(dir, 'wrong.yml'), '-i', lab.inventory, '-l', h1, '--json'])
    expect(r.code, r.out + r.err).to.equal(2)
    const [first] = results(r.out)
    expect(first!.status).to.equal('failed')
    expect(first!.msg).to.match(/^su to root: Incorrect su password \(su said ".*Authentication failure"\)$/)
    if (!hasAnsible()) return
    const a = ansibleJson(['-i', lab.inventory, '-l', h2, join(dir, 'wrong.yml')])
    expect(a.code).to.equal(2)
    expect(String(a.report.plays[0]!.tasks[0]!.hosts[h2]!.msg)).to.equal('Incorrect su password')
  })
})

describe('cli -vvv / -vvvv on a lab host', function () {
  this.timeout(180000)
  let lab: TestLab
  before(async () => {
    lab = await testLab(2)
  })
  after(() => closeHostConnections())

  it("-vvv: the SSH set-up and each command; -vvvv: ssh2's negotiation too; a password never shows", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-vvvv-'))
    const h = lab.names[1]!
    writeFileSync(
      join(dir, 'site.yml'),
      '- hosts: all\n  gather_facts: false\n  vars: { ansible_password: pw-6612-never-shown }\n  tasks:\n    - command: echo marker-5150\n',
    )
    const v3 = await rmPlay([join(dir, 'site.yml'), '-i', lab.inventory, '-l', h, '-vvv'])
    expect(v3.code, v3.out + v3.err).to.equal(0)
    expect(v3.out).to.match(new RegExp(`^<${h}> ESTABLISH SSH CONNECTION FOR USER: root to \\S+:22 .*auth: none, password, publickey`, 'm'))
    expect(v3.out).to.match(new RegExp(`^<${h}> SSH: negotiated kex \\S+, host key \\S+, cipher`, 'm'))
    expect(v3.out).to.match(new RegExp(`^<${h}> EXEC as root: .*echo marker-5150`, 'm'))
    expect(v3.out).not.to.contain('ssh2: ')
    const v4 = await rmPlay([join(dir, 'site.yml'), '-i', lab.inventory, '-l', h, '-vvvv'])
    expect(v4.code).to.equal(0)
    expect(v4.out).to.match(new RegExp(`^<${h}> ssh2: .*KEXINIT`, 'm'))
    expect(v4.out).to.match(new RegExp(`^<${h}> ssh2: .*USERAUTH`, 'm'))
    expect(v3.out + v3.err + v4.out + v4.err).not.to.contain('pw-6612-never-shown')
  })
})
