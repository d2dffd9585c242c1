// Two runs in one process share nothing: the vault password, the secrets the reporter masks and
// the group_vars read by the first run are its own (run-context.ts). Each run is a real CLI
// invocation (`main`), as a test suite or a server would make them.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { currentRun, RunContext, withRun } from '../../src/playbook/run-context.js'
import { encryptVault } from '../../src/playbook/vault.js'

const SECRET = 'run-one-token-5521'

/** A project dir: an inventory whose group_vars/all is encrypted, a playbook that prints `msg`. */
function project(msg: string): { dir: string; pb: string; inv: string; pwFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-runctx-'))
  mkdirSync(join(dir, 'group_vars'))
  writeFileSync(join(dir, 'hosts'), 'h1 ansible_connection=local\n')
  writeFileSync(join(dir, 'group_vars', 'all.yml'), encryptVault(`token: ${SECRET}\n`, 'pw-one'))
  writeFileSync(join(dir, 'pw.txt'), 'pw-one\n')
  writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg="${msg}"\n`)
  return { dir, pb: join(dir, 'site.yml'), inv: join(dir, 'hosts'), pwFile: join(dir, 'pw.txt') }
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

describe('run context: two runs in one process', () => {
  it('a value that was a vault secret in the first run is printed as it is by a second run that has no vault', async () => {
    const one = project('token={{ token }}')
    const first = await cli([one.pb, '-i', one.inv, '--vault-password-file', one.pwFile])
    expect(first.code, first.err).to.equal(0)
    expect(first.out).to.include('token=********').and.not.include(SECRET)

    const other = mkdtempSync(join(tmpdir(), 'rmp-runctx-'))
    writeFileSync(join(other, 'hosts'), 'h1 ansible_connection=local\n')
    writeFileSync(join(other, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg="plain={{ '${SECRET}' }}"\n`)
    const second = await cli([join(other, 'site.yml'), '-i', join(other, 'hosts')])
    expect(second.code, second.err).to.equal(0)
    // Ansible prints it: nothing in this run comes from a vault.
    expect(second.out).to.include(`plain=${SECRET}`)
  })

  it("a second run without a password cannot read the first run's vault files (neither its password nor its cached group_vars)", async () => {
    const one = project('token={{ token }}')
    expect((await cli([one.pb, '-i', one.inv, '--vault-password-file', one.pwFile])).code).to.equal(0)
    const second = await cli([one.pb, '-i', one.inv])
    expect(second.out).not.to.include(SECRET)
    expect(second.err + second.out).to.match(/encrypted with the vault but no vault password was given/)
    expect(second.code).not.to.equal(0)
  })
})

/** A promise and the function that settles it: the test decides the order the runs go on in. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

describe('run context: the run that code belongs to', () => {
  const who = (a: RunContext, b: RunContext) => (currentRun() === a ? 'a' : currentRun() === b ? 'b' : 'other')

  it('two runs at once, each started outside the other, see themselves across awaits; outside both is neither', async () => {
    const [a, b] = [new RunContext(), new RunContext()]
    const [ga, gb] = [gate(), gate()]
    const seen: string[] = []
    const runA = withRun(a, async () => {
      seen.push(`a:${who(a, b)}`)
      await ga.wait
      seen.push(`a:${who(a, b)}`)
    })
    const runB = withRun(b, async () => {
      seen.push(`b:${who(a, b)}`)
      await gb.wait
      seen.push(`b:${who(a, b)}`)
    })
    gb.open()
    await runB
    ga.open()
    await runA
    expect(seen).to.deep.equal(['a:a', 'b:b', 'b:b', 'a:a'])
    expect(who(a, b)).to.equal('other')
  })

  it('a run started inside another is its own, and the outer one is itself again after it', async () => {
    const [a, b] = [new RunContext(), new RunContext()]
    const gb = gate()
    const seen: string[] = []
    await withRun(a, async () => {
      const inner = withRun(b, async () => {
        await gb.wait
        seen.push(`inner:${who(a, b)}`)
        // the same run again (runPlaybook inside the CLI's run) stays that run
        await withRun(b, async () => seen.push(`again:${who(a, b)}`))
      })
      seen.push(`outer:${who(a, b)}`)
      gb.open()
      await inner
      seen.push(`outer:${who(a, b)}`)
    })
    expect(seen).to.deep.equal(['outer:a', 'inner:b', 'again:b', 'outer:a'])
  })

  it('a run that throws at once leaves no run behind', () => {
    const a = new RunContext()
    expect(() =>
      withRun(a, () => {
        throw new Error('boom')
      }),
    ).to.throw('boom')
    expect(currentRun()).not.to.equal(a)
  })
})
