// Trust 22, the pure parts: masking (per line, quoted and JSON forms, longest first, file diffs)
// and taint (a value computed from a secret becomes one), plus no_log over the local connection.
// The registry only grows (as during a run), so each test uses secrets of its own.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { evaluate, notFound, renderString } from '../../src/playbook/expression.js'
import { encryptVault, setVaultPassword } from '../../src/playbook/vault.js'
import { currentRun } from '../../src/playbook/run-context.js'
import { MASK, maskDeep, maskFileDiff, maskString, SECRET_AFTER, SECRET_BEFORE } from '../../src/report/mask.js'
import { NO_LOG_MSG } from '../../src/engine/task-runner.js'
import { play } from '../helpers/run-playbook.js'
import { hasAnsible } from '../helpers/ansible.js'

/** A fresh secret that no other test (and no output) holds by chance. */
const fresh = (tag: string) => `${tag}-${randomBytes(6).toString('hex')}`

function source(vars: Record<string, unknown>) {
  return { lookup: (k: string) => (k in vars ? vars[k] : notFound) }
}

describe('trust 22: masking', () => {
  it('trust 22: a multi-line secret is masked line by line, in stdout_lines, quoted and JSON-escaped', () => {
    const key = `-----BEGIN ${fresh('KEY')}-----\n  ${fresh('body')}\n${fresh('end')}\n`
    const set = new Set([key])
    const [l1, l2, l3] = key.split('\n').map((l) => l.trim())
    const shown = maskDeep({ stdout_lines: [l1, l2, l3], stdout: key.replace(/\n/g, '\r\n'), cmd: `printf %s '${l2}'`, json: JSON.stringify({ k: key }) }, set)
    const text = JSON.stringify(shown)
    for (const l of [l1!, l2!, l3!]) expect(text).not.to.include(l)
    expect(shown.stdout_lines).to.deep.equal([MASK, MASK, MASK])
  })

  it('trust 22: a secret with a quote is masked in its shell-quoted form (the run: line)', () => {
    const pw = `it's-${fresh('q')}`
    const set = new Set([pw])
    const quoted = `'${pw.replace(/'/g, `'\\''`)}'`
    expect(maskString(`run: echo ${quoted}`, set)).to.equal(`run: echo ${MASK}`)
  })

  it('trust 22: a secret that is a template is masked by its literal parts once rendered', () => {
    const pw = fresh('tpl')
    expect(maskString(`url: postgres://app:${pw}@db1.example/app`, new Set([`postgres://app:${pw}@{{ db_host }}/app`]))).to.equal(
      `url: ${MASK}db1.example${MASK}`,
    )
  })

  it('trust 22: the forms a host prints a secret in by itself are masked: upper and lower case, base64 (with or without a newline after it), URL-encoded', () => {
    const tok = `Tok/${fresh('x')}+Zz`
    const set = new Set([tok])
    for (const shown of [
      tok.toUpperCase(),
      tok.toLowerCase(),
      Buffer.from(tok).toString('base64'),
      Buffer.from(`${tok}\n`).toString('base64'),
      encodeURIComponent(tok),
    ]) {
      const masked = maskString(`out: ${shown}`, set)
      expect(masked.startsWith(`out: ${MASK}`), `${shown} → ${masked}`).to.equal(true)
      // base64 keeps at most its last group of 4 visible (it depends on what followed the secret)
      expect(masked.length, masked).to.be.at.most(`out: ${MASK}`.length + 4)
    }
  })

  it('trust 22: the longest secret is masked first, so no tail of it stays visible', () => {
    const short = fresh('s')
    const long = `${short}-and-more`
    expect(maskString(`x ${long} y`, new Set([short, long]))).to.equal(`x ${MASK} y`)
  })

  it('trust 22: a diff shows the old value of a secret line as masked too, and a key file as a placeholder', () => {
    const pw = fresh('pw')
    const set = new Set([pw])
    const d = maskFileDiff({ path: '/etc/app.conf', before: 'port = 5432\nsecret_key = old-unknown-secret\n', after: `port = 5432\nsecret_key = ${pw}\n` }, set)
    expect(d.before).to.equal(`port = 5432\nsecret_key = ${MASK}\n`)
    expect(d.after).to.equal(`port = 5432\nsecret_key = ${MASK} (changed)\n`)
    const pem = `${fresh('line1')}\n${fresh('line2')}\n`
    const k = maskFileDiff({ before: 'an old key nobody knew\n', after: pem }, new Set([pem]))
    expect(k).to.deep.equal({ before: SECRET_BEFORE, after: SECRET_AFTER })
    // A secret inside a line (not its value at the end) masks only itself; a new file has no "(changed)".
    const mid = maskFileDiff({ before: '', after: `path = /opt/${pw}/bin\nother = 1\n` }, set)
    expect(mid.after).to.equal(`path = /opt/${MASK}/bin\nother = 1\n`)
    // Through maskDeep, as events are masked.
    expect(maskDeep({ diffs: [{ before: '', after: pem }] }, new Set([pem])).diffs[0]!.after).to.equal(SECRET_AFTER)
  })
})

describe('trust 22: taint (a value computed from a secret is a secret)', () => {
  const pw = `Pa-${fresh('x')}`
  currentRun().secrets.add(pw)
  const vars = { pw, users: [{ name: 'alice-the-user', password: pw }], port: 5432, plain: 'hello world' }
  const src = source(vars)
  const leaks = (v: unknown) => maskString(typeof v === 'string' ? v : JSON.stringify(v), currentRun().secrets)

  const derived: [string, string][] = [
    ['pw | upper', pw.toUpperCase()],
    ['pw | b64encode', Buffer.from(pw).toString('base64')],
    ['pw | quote', pw],
    ['pw[2:9]', pw.slice(2, 9)],
    ["pw | regex_replace('-', '_')", pw.replace(/-/g, '_')],
    ["'x' ~ pw ~ 'y'", `x${pw}y`],
    ['pw[::-1]', [...pw].reverse().join('')],
    ["users | map(attribute='password') | map('upper') | list", pw.toUpperCase()],
  ]
  for (const [expr, value] of derived) {
    it(`trust 22: {{ ${expr} }} is masked wherever it appears`, () => {
      const v = evaluate(expr, src)
      expect(JSON.stringify(v)).to.include(value)
      expect(leaks(`shown: ${JSON.stringify(v)} and ${String(v)}`)).not.to.include(value)
    })
  }

  it('trust 22: an intermediate of a filter chain is masked too (the host may decode it and print it back)', () => {
    const v = String(evaluate("pw | hash('sha256') | b64encode", src))
    const hex = Buffer.from(v, 'base64').toString()
    expect(hex).to.equal(createHash('sha256').update(pw).digest('hex'))
    expect(leaks(`stdout: ${hex}`)).to.equal(`stdout: ${MASK}`)
  })

  it('trust 22: a filter that fails on a value computed from a secret does not show it in its error', () => {
    let msg = ''
    try {
      evaluate("('x' ~ pw | list | sort | join('')) | from_json", src)
    } catch (e) {
      msg = (e as Error).message
    }
    expect(msg).to.match(/JSON/)
    expect(leaks(msg)).not.to.include([...pw].sort().join('').slice(0, 8))
  })

  it('trust 22: a derived value inside a larger string is masked, the rest of the string is not', () => {
    const out = String(renderString('run: echo {{ pw | upper }} on port {{ port }}', src))
    expect(leaks(out)).to.equal(`run: echo ${MASK} on port 5432`)
  })

  it('trust 22: copies of clean values and literals from the same expression stay readable', () => {
    const before = currentRun().secrets.size
    expect(evaluate("users | map(attribute='name') | join(',')", src)).to.equal('alice-the-user')
    expect(evaluate("'long-enough' if pw | length > 3 else 'nope'", src)).to.equal('long-enough')
    expect(evaluate('pw | length > 3', src)).to.equal(true)
    expect(currentRun().secrets.size).to.equal(before)
    expect(leaks('alice-the-user long-enough hello world')).to.equal('alice-the-user long-enough hello world')
  })

  it('trust 22: a variable whose value is an expression over a secret is tainted too', () => {
    const scope = source({ pw })
    const nested = { lookup: (k: string) => (k === 'conn' ? String(renderString('postgres://app:{{ pw | upper }}@db', scope)) : scope.lookup(k)) }
    const v = String(evaluate('conn | lower', nested))
    expect(v).to.include(pw.toLowerCase())
    expect(leaks(v)).not.to.include(pw.toLowerCase())
    expect(leaks(v)).not.to.include(pw.toUpperCase())
  })
})

describe('trust 22: no_log and vault values in a run (local connection)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rmp-secrets-'))
  const inv = join(scratch, 'hosts')
  writeFileSync(inv, 'h1 ansible_connection=local\n')
  afterEach(() => setVaultPassword(undefined))

  it("trust 22: a no_log loop shows item=None and Ansible's censored message, also when an item fails and on retries", async () => {
    const a = fresh('item-a')
    const b = fresh('item-b')
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  tasks:\n` +
        `    - command: "echo {{ item }}"\n      loop: ["${a}", "${b}"]\n      loop_control: { label: "{{ item }}" }\n      no_log: true\n` +
        `    - command: "false {{ item }}"\n      loop: ["${a}"]\n      no_log: true\n      ignore_errors: true\n` +
        `    - command: "echo ${b}"\n      register: u\n      until: u.rc == 5\n      retries: 1\n      delay: 0\n      no_log: true\n      ignore_errors: true\n`,
      { inventory: [inv], verbosity: 3 },
    )
    const all = r.text + JSON.stringify(r.events)
    expect(all).not.to.include(a)
    expect(all).not.to.include(b)
    const items = r.results().map((e) => e.item)
    expect(items).to.deep.equal(['None', 'None', 'None', undefined])
    expect(
      r
        .results()
        .filter((e) => e.status === 'failed')
        .map((e) => e.msg),
    ).to.deep.equal([
      "the output has been hidden due to the fact that 'no_log: true' was specified for this result",
      "the output has been hidden due to the fact that 'no_log: true' was specified for this result",
    ])
  })

  it('trust 22: a vault value through filters never shows under -vvv, in the header, the run: line, register and failures', async () => {
    setVaultPassword('unit-pw')
    const pw = fresh('Vault')
    const forms = [pw, pw.toUpperCase(), Buffer.from(pw).toString('base64'), pw.slice(2, 12)]
    const r = await play(
      `- hosts: all\n  gather_facts: false\n  vars_files: [vault.yml]\n  tasks:\n` +
        `    - name: "header {{ pw | upper }} {{ pw | b64encode }}"\n      command: "echo {{ pw | upper }} {{ pw[2:12] }}"\n      register: out\n` +
        `    - debug: var=out\n` +
        `    - command: "false {{ pw | b64encode }}"\n      ignore_errors: true\n`,
      { inventory: [inv], verbosity: 3, files: { 'vault.yml': encryptVault(`pw: ${pw}\n`, 'unit-pw') } },
    )
    expect(r.results().map((e) => e.status)).to.deep.equal(['changed', 'ok', 'failed'])
    const all = r.text + JSON.stringify(r.events)
    for (const f of forms) expect(all, f).not.to.include(f)
    expect(r.text).to.include(`TASK [header ${MASK} ${MASK}]`)
  })

  it('trust 22: conformance: ansible-playbook shows a no_log loop as (item=None) with the same censored message', function () {
    let ansible: string
    const dir = mkdtempSync(join(tmpdir(), 'rmp-nolog-ansible-'))
    const item = fresh('ansible-item')
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: "false {{ item }}"\n      loop: ["${item}"]\n      no_log: true\n      ignore_errors: true\n`,
    )
    if (!hasAnsible()) return this.skip()
    ansible = execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(dir, 'site.yml')], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
      timeout: 120_000,
    })
    expect(ansible).not.to.include(item)
    expect(ansible).to.include('(item=None)')
    expect(ansible).to.include(NO_LOG_MSG)
  })
})
