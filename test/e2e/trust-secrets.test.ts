// Trust 22 on a real lab host, through the real CLI (stdout and stderr as a person or a log
// collector sees them): vault values, and values computed from them (quote, upper, b64encode,
// slices, regex_replace, concatenation, a template's code), never appear under -vvv, --check,
// --diff, --json, in failures, loop items, retries, or in a multi-line secret read back from the
// host; a rotated secret's old value does not show in the diff either. Then Ansible's own
// copy/tasks/no_log.yml, ported: `copy: content: "{{ secret }}"` under -vvv and --check.
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { encryptVault } from '../../src/playbook/vault.js'
import { MASK } from '../../src/report/mask.js'
import { quote } from '../../src/shell/index.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

const BIN = resolve('bin', 'rm-play.js')
const VAULT_PW = 'trust22-vault-password'

interface CliRun {
  code: number
  out: string
}

function cli(cwd: string, args: string[]): Promise<CliRun> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 1 << 24, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n--- stderr ---\n${stderr}` })
    })
  })
}

interface Secrets {
  pw: string
  multi: string
  /** Used only as itself: the host alone changes its case and base64-encodes it. */
  token: string
}

function newSecrets(): Secrets {
  const h = () => randomBytes(6).toString('hex')
  // A quote and a dash: quoting and regex_replace change how it looks.
  return {
    pw: `Pa'ss-${h()}-Word`,
    token: `Tok${h()}Zz`,
    multi: `-----BEGIN TEST KEY-----\nMIIkey${h()}line1\nMIIkey${h()}line2\n-----END TEST KEY ${h()}-----\n`,
  }
}

/** Every form of the secrets that the playbook makes (intermediates too), and those the host makes. */
function forms(s: Secrets): string[] {
  const { pw, multi, token } = s
  const lines = multi.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----BEGIN'))
  return [
    pw,
    pw.toUpperCase(),
    pw.toLowerCase(),
    createHash('sha256').update(pw).digest('hex'),
    Buffer.from(pw).toString('base64'),
    quote(pw),
    quote(pw.toUpperCase()),
    pw.slice(2, 12),
    pw.replace(/-/g, '_'),
    [...pw].reverse().join(''),
    ...lines,
    Buffer.from(multi).toString('base64').slice(0, 40),
    token,
    token.toUpperCase(),
    token.toLowerCase(),
    Buffer.from(token).toString('base64').slice(0, 8),
  ]
}

const PLAYBOOK = `- hosts: all
  gather_facts: false
  vars_files: [vault.yml]
  vars:
    dir: /root/trust22
  tasks:
    - file: { path: "{{ dir }}", state: directory, mode: "0700" }
    - name: "header {{ vault_pw | quote }} {{ vault_pw | upper }} {{ vault_pw | b64encode }} {{ vault_pw[2:12] }}"
      command: "echo {{ vault_pw | upper | quote }} {{ vault_pw | b64encode }} {{ vault_pw[2:12] | quote }} {{ vault_pw | regex_replace('-', '_') | quote }} {{ ('x' ~ vault_pw ~ 'y') | quote }}"
      register: derived
    - debug: var=derived
    - shell: "printf '%s\\\\n' {{ vault_pw | quote }} | tr a-z A-Z"
      register: host_upper
      changed_when: false
    - shell: "echo {{ vault_pw | hash('sha256') | b64encode }} | base64 -d"
      changed_when: false
    - shell: "printf '%s' {{ vault_token | quote }} | base64 -w0; echo; printf '%s\\\\n' {{ vault_token | quote }} | tr a-z A-Z; printf '%s\\\\n' {{ vault_token | quote }} | tr A-Z a-z; printf '%s\\\\n' {{ vault_token | quote }} | base64; printf '%s' {{ vault_multi | quote }} | base64 -w0"
      register: host_forms
      changed_when: false
    - copy: { content: "{{ vault_multi }}", dest: "{{ dir }}/key.pem", mode: "0600" }
    - command: "cat {{ dir }}/key.pem"
      register: key
      changed_when: false
    - debug: var=key
    - template: { src: app.conf.ejs, dest: "{{ dir }}/app.conf", mode: "0600" }
    - command: "echo {{ item | quote }}"
      loop: ["{{ vault_pw | upper }}", "{{ vault_pw | b64encode }}", "{{ vault_multi }}"]
      no_log: true
    - command: "echo {{ item | quote }}"
      loop: ["{{ vault_pw | lower }}"]
    - command: "false {{ vault_pw | upper | quote }} {{ vault_pw | b64encode }}"
      ignore_errors: true
    - shell: "echo {{ vault_pw | b64encode }}; echo {{ vault_pw | upper | quote }} >&2; exit 3"
      register: u
      until: u.rc == 0
      retries: 1
      delay: 0
      ignore_errors: true
    - shell: "echo {{ vault_pw | b64encode }} {{ vault_multi | b64encode }}"
      register: w
      until: w.stdout == 'never'
      retries: 1
      delay: 0
      ignore_errors: true
    - fail: { msg: "final failure {{ vault_pw | upper }} {{ vault_multi | b64encode }}" }
`

const TEMPLATE = `port = <%= 5432 %>
secret_key = <%= vault_pw %>
<% const reversed = vault_pw.split('').reverse().join('') -%>
reversed = <%= reversed %>
`

describe('trust 22: secrets on a lab host through the CLI', function () {
  this.timeout(600_000)
  let lab: TestLab
  let host: string
  let dir: string

  const writeVault = (s: Secrets) =>
    writeFileSync(
      join(dir, 'vault.yml'),
      encryptVault(
        `vault_pw: ${JSON.stringify(s.pw)}\nvault_token: ${s.token}\nvault_multi: |\n${s.multi
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n`,
        VAULT_PW,
      ),
    )
  const run = (...flags: string[]) => cli(dir, ['site.yml', '-i', lab.inventory, '-l', host, '--vault-password-file', 'pw.txt', ...flags])
  const expectNoForm = (r: CliRun, s: Secrets, what: string) => {
    for (const f of forms(s)) expect(r.out.includes(f), `${what}: ${JSON.stringify(f)} appears in:\n${r.out}`).to.equal(false)
  }

  before(async () => {
    lab = await testLab(1)
    host = lab.names[0]!
    await sh(lab.inventory, host, 'rm -rf /root/trust22')
    dir = mkdtempSync(join(tmpdir(), 'rmp-trust22-'))
    mkdirSync(join(dir, 'templates'))
    writeFileSync(join(dir, 'pw.txt'), `${VAULT_PW}\n`)
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK)
    writeFileSync(join(dir, 'templates', 'app.conf.ejs'), TEMPLATE)
  })
  after(closeHostConnections)

  it('trust 22: vault values and every value computed from them stay hidden under -vvv, --check, --diff, --json, failures, loops and retries', async () => {
    const s1 = newSecrets()
    writeVault(s1)
    const check = await run('--check', '--diff', '-vvv')
    expectNoForm(check, s1, 'check')
    expect(check.code, check.out).to.equal(2)
    expect(check.out).to.match(/final failure \*{8} \*{8}/)
    expect(await sh(lab.inventory, host, 'test -e /root/trust22', true).then((r) => r.code)).to.not.equal(0)

    const apply = await run('--diff', '-vvv')
    expectNoForm(apply, s1, 'apply')
    expect(apply.code, apply.out).to.equal(2)
    // The secrets did go through: the host holds them, and the output shows where, masked.
    expect((await sh(lab.inventory, host, 'cat /root/trust22/key.pem')).stdout).to.equal(s1.multi)
    expect((await sh(lab.inventory, host, 'cat /root/trust22/app.conf')).stdout).to.include(
      `secret_key = ${s1.pw}\nreversed = ${[...s1.pw].reverse().join('')}`,
    )
    expect(apply.out).to.include(`"stdout_lines": [\n            "${MASK}",\n            "${MASK}",\n            "${MASK}",\n            "${MASK}"`)
    expect(apply.out).to.include(`TASK [header ${MASK} ${MASK} ${MASK} ${MASK}]`)
    expect(apply.out).to.include('(item=None)')
    expect(apply.out).to.include(`retries exhausted (1) waiting for: w.stdout == 'never'`)
    expect(apply.out).to.include(`run: echo ${MASK}; echo ${MASK} >&2; exit 3: exit 3`)

    const json = await run('--json', '--diff', '-vvv')
    expectNoForm(json, s1, 'json')
    const events = json.out
      .split('\n--- stderr ---')[0]!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; output?: Record<string, unknown> })
    const results = events.filter((e) => e.type === 'host-result')
    expect(results.length).to.be.greaterThan(10)
    expect(JSON.stringify(results)).to.include(MASK)
  })

  it('trust 22: a rotated secret: neither the old value (which the run never knew) nor the new one shows in the diff', async () => {
    const s1 = newSecrets()
    writeVault(s1)
    await run()
    expect((await sh(lab.inventory, host, 'cat /root/trust22/key.pem')).stdout).to.equal(s1.multi)
    const s2 = newSecrets()
    writeVault(s2)
    for (const flags of [
      ['--check', '--diff', '-vvv'],
      ['--json', '--check', '--diff'],
      ['--diff', '-vvv'],
    ]) {
      const r = await run(...flags)
      expectNoForm(r, s1, `old secret, ${flags.join(' ')}`)
      expectNoForm(r, s2, `new secret, ${flags.join(' ')}`)
      if (!flags.includes('--json')) {
        expect(r.out).to.include('+(new secret content hidden)')
        expect(r.out).to.include('-(old secret content hidden)')
        expect(r.out).to.include(`-secret_key = ${MASK}\n`)
        expect(r.out).to.include(`+secret_key = ${MASK} (changed)\n`)
      }
    }
    expect((await sh(lab.inventory, host, 'cat /root/trust22/key.pem')).stdout).to.equal(s2.multi)
  })

  it("trust 22: Ansible's copy/tasks/no_log.yml: copy content from -e secret=... never shows under -vvv and --check", async () => {
    const p = join(dir, 'no_log.yml')
    writeFileSync(p, '- hosts: all\n  gather_facts: false\n  tasks:\n    - copy:\n        dest: "{{ dest }}"\n        content: "{{ secret }}"\n')
    const dest = '/root/trust22/test_no_log'
    const secret1 = `SECRET${randomBytes(4).toString('hex')}`
    const secret2 = `NEWSECRET${randomBytes(4).toString('hex')}`
    for (const [secret, check] of [
      [secret1, true],
      [secret1, false],
      [secret1, true],
      [secret1, false],
      [secret2, true],
      [secret2, false],
    ] as const) {
      const r = await cli(dir, [
        'no_log.yml',
        '-i',
        lab.inventory,
        '-l',
        host,
        '-vvv',
        '-e',
        `secret=${secret}`,
        '-e',
        `dest=${dest}`,
        ...(check ? ['--check'] : []),
      ])
      expect(r.code, r.out).to.equal(0)
      expect(r.out).not.to.include(secret)
    }
    expect((await sh(lab.inventory, host, `cat ${dest}`)).stdout).to.equal(secret2)
  })
})
