// Trust cases of the playbook language on a real lab host (issue 11): a playbook error stops the
// host even under ignore_errors (1); !unsafe and !vault values reach the host byte for byte, as
// file content and as a user's password (2); template variables named like EJS options are plain
// text (5); data from the host (facts, registered output) holding `{{ }}` or `<%= %>` is never
// rendered again: in when, templates, set_fact, debug and loops (21).
import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'
import { play, type PlayOutcome } from '../helpers/run-playbook.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'

const ROOT = '/srv/rmp-trust-lang'
const CANARY = '/tmp/rmp-trust-lang-canary'
/** What an attacker-controlled or merely unlucky value may hold. */
const HOSTILE = `p{{ 7*7 }}w{% if x %}'"$(touch ${CANARY})\`touch ${CANARY}\`;touch ${CANARY} <%= 7*7 %>\\n`
const HOSTILE_MULTILINE = `${HOSTILE}\nsecond line {{ nope }}\n`
/** Lands in a fact: the host's os-release codename (restored afterwards). */
const FACT = '{{ 7*7 }}|<%= 7*7 %>|{{ undefined_thing }}|{% if true %}x{% endif %}'

const indent = (text: string, n: number) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n')

describe('trust: the playbook language on a lab host', function () {
  this.timeout(600000)
  let lab: TestLab
  let inv: string
  let host: string
  const run = (yaml: string, files: Record<string, string> = {}): Promise<PlayOutcome> => play(yaml, { inventory: [inv], limit: host, files })
  const onHost = async (script: string) => (await sh(inv, host, script)).stdout
  const fileOnHost = async (path: string) => Buffer.from((await onHost(`base64 -w0 ${path}`)).trim(), 'base64').toString('utf8')

  before(async () => {
    lab = await testLab(1)
    inv = lab.inventory
    host = lab.names[0]!
    await sh(inv, host, `rm -rf ${ROOT} ${CANARY}; mkdir -p ${ROOT}`)
  })

  after(async () => {
    setVaultPassword(undefined)
    if (inv)
      await sh(
        inv,
        host,
        `rm -rf ${ROOT} ${CANARY}; userdel rmptrust 2>/dev/null; if [ -e /etc/os-release.rmp-bak ]; then mv -f /etc/os-release.rmp-bak /etc/os-release; fi`,
        true,
      )
    await closeHostConnections()
  })

  it('trust 1: under ignore_errors an undefined variable fails the host after earlier tasks wrote files; nothing after it runs', async () => {
    const r = await run(`- hosts: ${host}
  gather_facts: false
  tasks:
    - copy: { content: "first\\n", dest: ${ROOT}/first }
    - copy: { content: "{{ typo_in_name }}", dest: ${ROOT}/typo }
      ignore_errors: true
    - copy: { content: "second\\n", dest: ${ROOT}/second }
`)
    expect(r.exitCode, r.text).to.equal(2)
    expect(r.text).to.match(/undefined variable 'typo_in_name'.*site\.yml:5:7/)
    expect(r.stats[host]!.ignored).to.equal(0)
    expect(await onHost(`ls ${ROOT}`)).to.equal('first\n')
  })

  it('trust 1: a variable nothing defines stops the CLI at load time with file:line:col; the host is untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-trust-lang-'))
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: ${host}
  gather_facts: false
  tasks:
    - copy: { content: "first\\n", dest: ${ROOT}/cli-first }
    - copy: { content: "{{ typo_in_cli }}", dest: ${ROOT}/cli-typo }
      ignore_errors: true
`,
    )
    let err = ''
    const code = await main([join(dir, 'site.yml'), '-i', inv, '--limit', host], { out: () => undefined, err: (t) => (err += t), tty: false })
    expect(code).to.equal(1)
    expect(err).to.match(/site\.yml:5:24: undefined variable .typo_in_cli./)
    expect(err).to.match(/No host was touched/)
    expect(await onHost(`ls ${ROOT}`)).to.not.contain('cli-first')
  })

  it('trust 2: !unsafe and inline !vault values are written byte for byte, and set as a user password, never templated or shell-parsed', async () => {
    setVaultPassword('trust-2-pw')
    const password = `pa{{ 7*7 }}ss'"$(touch ${CANARY});\`id\`{% raw %}`
    const vaulted = (v: string) => `!vault |\n${indent(encryptVault(v, 'trust-2-pw'), 6)}`
    const r = await run(`- hosts: ${host}
  gather_facts: false
  vars:
    unsafe_text: !unsafe ${JSON.stringify(HOSTILE_MULTILINE)}
    vault_text: ${vaulted(HOSTILE_MULTILINE)}
    vault_password: ${vaulted(password)}
  tasks:
    - copy: { content: "{{ unsafe_text }}", dest: ${ROOT}/unsafe.txt, mode: '0600' }
    - copy: { content: "{{ vault_text }}", dest: ${ROOT}/vault.txt, mode: '0600' }
    - user: { name: rmptrust }
    - command: { argv: [chpasswd], stdin: "rmptrust:{{ vault_password }}" }
      no_log: true
`)
    expect(r.exitCode, r.text).to.equal(0)
    expect(await fileOnHost(`${ROOT}/unsafe.txt`)).to.equal(HOSTILE_MULTILINE)
    expect(await fileOnHost(`${ROOT}/vault.txt`)).to.equal(HOSTILE_MULTILINE)
    // The shadow hash is the hash of the exact password (crypt with the stored salt, in perl).
    const b64 = Buffer.from(password).toString('base64')
    const same = await onHost(
      `h=$(getent shadow rmptrust | cut -d: -f2); pw=$(printf %s ${b64} | base64 -d); perl -e 'print crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? "same" : "different"' "$pw" "$h"`,
    )
    expect(same).to.equal('same')
    expect(await onHost(`test -e ${CANARY} && echo planted || echo clean`)).to.equal('clean\n')
    expect(r.text).to.not.contain('ss\'"$(touch')
  })

  it('trust 5: template variables named settings, outputFunctionName, localsName, escapeFunction, client are plain text', async () => {
    const payload = `x;process.mainModule.require('fs').writeFileSync('${CANARY}','pwned');var y`
    const r = await run(
      `- hosts: ${host}
  gather_facts: false
  vars:
    settings: { view options: { outputFunctionName: ${JSON.stringify(payload)}, client: true } }
    outputFunctionName: ${JSON.stringify(payload)}
    localsName: ${JSON.stringify(payload)}
    escapeFunction: ${JSON.stringify(payload)}
    client: true
  tasks:
    - template: { src: opts.ejs, dest: ${ROOT}/opts.txt }
`,
      {
        'templates/opts.ejs':
          '<%= outputFunctionName %>\n<%= localsName %>\n<%= escapeFunction %>\n<%= client %>\n<%= settings["view options"].outputFunctionName %>\n',
      },
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(await fileOnHost(`${ROOT}/opts.txt`)).to.equal(`${payload}\n${payload}\n${payload}\ntrue\n${payload}\n`)
    expect(await onHost(`test -e ${CANARY} && echo planted || echo clean`)).to.equal('clean\n')
  })

  it('trust 21: facts and registered output holding {{ }} or <%= %> are literal in when, templates, set_fact, debug and loops', async () => {
    await sh(
      inv,
      host,
      `set -e
printf '%s\\n' '${FACT}' '<%= 6*7 %>' > ${ROOT}/hostile.txt
mv /etc/os-release /etc/os-release.rmp-bak
{ grep -v '^VERSION_CODENAME=' /etc/os-release.rmp-bak; printf "VERSION_CODENAME='%s'\\n" '${FACT}'; } > /etc/os-release`,
    )
    const r = await run(
      `- hosts: ${host}
  gather_facts: true
  vars:
    expected: !unsafe ${JSON.stringify(FACT)}
  tasks:
    - command: cat ${ROOT}/hostile.txt
      register: out
      changed_when: false
    - set_fact: { from_output: "{{ out.stdout_lines[0] }}", from_fact: "{{ ansible_distribution_release }}" }
    - copy: { content: "{{ from_output }}\\n{{ from_fact }}\\n{{ out.stdout }}\\n", dest: ${ROOT}/set_fact.txt }
    - template: { src: show.ejs, dest: ${ROOT}/template.txt }
    - debug: { msg: "{{ out.stdout }}" }
      register: shown
    - copy: { content: "{{ shown.msg }}\\n", dest: ${ROOT}/debug.txt }
    - copy: { content: "{{ item }}\\n", dest: "${ROOT}/loop-{{ i }}.txt" }
      loop: "{{ [out.stdout_lines[0], out.stdout_lines[1], ansible_distribution_release] }}"
      loop_control: { index_var: i }
    - debug: { var: "hostvars[inventory_hostname].out.stdout_lines" }
    - debug: { var: ansible_distribution_release }
    - file: { path: ${ROOT}/when-output-literal, state: touch }
      when: out.stdout_lines[0] == expected and from_output == expected
    - file: { path: ${ROOT}/when-fact-literal, state: touch }
      when: ansible_distribution_release == expected and from_fact == expected and '49' not in ansible_distribution_release
`,
      { 'templates/show.ejs': '<%= out.stdout %>\n<%= ansible_distribution_release %>\n<%= from_output %>\n' },
    )
    expect(r.exitCode, r.text).to.equal(0)
    const outText = `${FACT}\n<%= 6*7 %>`
    expect(await fileOnHost(`${ROOT}/set_fact.txt`)).to.equal(`${FACT}\n${FACT}\n${outText}\n`)
    expect(await fileOnHost(`${ROOT}/template.txt`)).to.equal(`${outText}\n${FACT}\n${FACT}\n`)
    expect(await fileOnHost(`${ROOT}/debug.txt`)).to.equal(`${outText}\n`)
    expect([await fileOnHost(`${ROOT}/loop-0.txt`), await fileOnHost(`${ROOT}/loop-1.txt`), await fileOnHost(`${ROOT}/loop-2.txt`)]).to.deep.equal([
      `${FACT}\n`,
      '<%= 6*7 %>\n',
      `${FACT}\n`,
    ])
    expect(await onHost(`ls ${ROOT} | grep ^when- || true`)).to.equal('when-fact-literal\nwhen-output-literal\n')
    expect(r.text).to.contain(`"ansible_distribution_release": "${FACT}"`)
    expect(r.text).to.contain(`"hostvars[inventory_hostname].out.stdout_lines": [\n        "${FACT}",\n        "<%= 6*7 %>"\n    ]`)
    expect(r.text).to.not.match(/\b(49|42)\b/)
  })
})
