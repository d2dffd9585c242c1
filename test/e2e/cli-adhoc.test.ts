// `rm-play PATTERN -m MODULE -a ARGS` on lab hosts, with the result lines compared with what
// `ansible` itself prints on the same inventory.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { closeHostConnections, sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'
import { hasAnsible } from '../helpers/ansible.js'

async function rmPlay(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false })
  return { code, out, err }
}

function ansible(argv: string[]): { code: number; out: string } | undefined {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')))
  const r = spawnSync('ansible', argv, { encoding: 'utf8', cwd: tmpdir(), env: { ...env, ANSIBLE_NOCOLOR: '1' }, timeout: 120000 })
  if (r.error) return undefined
  return { code: r.status ?? -1, out: r.stdout }
}

/** Host → its result block (the header line and what follows), for output whose host order may vary. */
function blocks(out: string): Map<string, string> {
  const m = new Map<string, string>()
  let cur: string | undefined
  for (const line of out.split('\n')) {
    const h = /^(\S+) \| [A-Z]+!?( |$)/.exec(line)
    if (h) m.set((cur = h[1]!), line)
    else if (cur && line !== '') m.set(cur, `${m.get(cur)}\n${line}`)
  }
  return m
}

/** A JSON result block as header + parsed dict, without Ansible's interpreter discovery facts. */
function jsonBlock(b: string): { head: string; dict: Record<string, unknown> } {
  const i = b.indexOf(' => ')
  const dict = JSON.parse(b.slice(i + 4)) as Record<string, unknown>
  delete dict.ansible_facts
  return { head: b.slice(0, i), dict }
}

describe('cli ad-hoc runs on lab hosts', function () {
  this.timeout(180000)
  let lab: TestLab
  let inv: string
  let withAnsible = true

  before(async function () {
    lab = await testLab(2)
    inv = lab.inventory
    withAnsible = hasAnsible()
    for (const h of lab.names.slice(0, 2)) await sh(inv, h, 'rm -rf /root/rmp-adhoc; mkdir -p /root/rmp-adhoc')
  })

  after(closeHostConnections)

  const two = () => lab.names.slice(0, 2).join(',')

  it('issue 9: -m ping prints `host | SUCCESS => {json}` per host, as ansible does', async function () {
    const ours = await rmPlay([two(), '-i', inv, '-m', 'ping'])
    expect(ours.code).to.equal(0)
    const b = blocks(ours.out)
    expect([...b.keys()].sort()).to.deep.equal(lab.names.slice(0, 2).sort())
    for (const h of b.keys()) expect(jsonBlock(b.get(h)!)).to.deep.equal({ head: `${h} | SUCCESS`, dict: { changed: false, ping: 'pong' } })
    if (!withAnsible) return
    const theirs = ansible([two(), '-i', inv, '-m', 'ping'])!
    expect(theirs.code).to.equal(0)
    const t = blocks(theirs.out)
    for (const h of b.keys()) expect(jsonBlock(b.get(h)!)).to.deep.equal(jsonBlock(t.get(h)!))
  })

  it('issue 9: command and shell print `host | CHANGED | rc=0 >>` and the output, failures as ansible (rc 2)', async function () {
    const ok = await rmPlay([two(), '-i', inv, '-m', 'command', '-a', 'echo hi'])
    expect(ok.code).to.equal(0)
    for (const h of lab.names.slice(0, 2)) expect(blocks(ok.out).get(h)).to.equal(`${h} | CHANGED | rc=0 >>\nhi`)
    const h1 = lab.names[0]!
    const bad = await rmPlay([h1, '-i', inv, '-m', 'shell', '-a', 'echo out; echo err >&2; exit 3'])
    expect(bad.code).to.equal(2)
    expect(bad.out).to.equal(`${h1} | FAILED | rc=3 >>\nouterrnon-zero return code\n`)
    if (!withAnsible) return
    const theirs = ansible([two(), '-i', inv, '-m', 'command', '-a', 'echo hi'])!
    expect(blocks(ok.out)).to.deep.equal(blocks(theirs.out))
    const theirBad = ansible([h1, '-i', inv, '-m', 'shell', '-a', 'echo out; echo err >&2; exit 3'])!
    expect(theirBad.code).to.equal(bad.code)
    expect(theirBad.out).to.equal(bad.out)
  })

  it('issue 9: k=v and JSON arguments, --check changes nothing, -e and --limit apply, a second run is SUCCESS', async function () {
    const h1 = lab.names[0]!
    const f = '/root/rmp-adhoc/f'
    const check = await rmPlay([
      'all',
      '-i',
      inv,
      '--limit',
      h1,
      '-m',
      'copy',
      '-a',
      `{"content": "<{{ word }}>", "dest": "${f}"}`,
      '-e',
      'word=hello',
      '--check',
    ])
    expect(check.code).to.equal(0)
    expect([...blocks(check.out).keys()]).to.deep.equal([h1])
    expect(jsonBlock(blocks(check.out).get(h1)!).head).to.equal(`${h1} | CHANGED`)
    expect((await sh(inv, h1, `test -e ${f} && echo yes || echo no`)).stdout.trim()).to.equal('no')
    const run = await rmPlay(['all', '-i', inv, '--limit', h1, '-m', 'copy', '-a', `{"content": "<{{ word }}>", "dest": "${f}"}`, '-e', 'word=hello'])
    expect(jsonBlock(blocks(run.out).get(h1)!).head).to.equal(`${h1} | CHANGED`)
    expect((await sh(inv, h1, `cat ${f}`)).stdout).to.equal('<hello>')
    const again = await rmPlay([h1, '-i', inv, '-m', 'file', '-a', `path=${f} mode=0600`])
    expect(jsonBlock(blocks(again.out).get(h1)!).head).to.equal(`${h1} | CHANGED`)
    const same = await rmPlay([h1, '-i', inv, '-m', 'file', '-a', `path=${f} mode=0600`])
    const d = jsonBlock(blocks(same.out).get(h1)!)
    expect(d.head).to.equal(`${h1} | SUCCESS`)
    expect(d.dict).to.include({ changed: false, mode: '0600', path: f })
    expect(d.dict).not.to.have.property('stdout')
  })

  it('issue 9: --list-hosts prints the hosts as ansible does', async function () {
    const ours = await rmPlay([two(), '-i', inv, '-m', 'ping', '--list-hosts'])
    expect(ours.out).to.equal(
      `  hosts (2):\n${lab.names
        .slice(0, 2)
        .map((h) => `    ${h}\n`)
        .join('')}`,
    )
    if (withAnsible) expect(ours.out).to.equal(ansible([two(), '-i', inv, '-m', 'ping', '--list-hosts'])!.out)
  })

  it('issue 9: -b runs as root through sudo, -u picks the user', async function () {
    const h1 = lab.names[0]!
    const r = await rmPlay([h1, '-i', inv, '-u', 'root', '-b', '-a', 'id -un'])
    expect(r.code).to.equal(0)
    expect(r.out).to.equal(`${h1} | CHANGED | rc=0 >>\nroot\n`)
  })

  it('issue 9: an unreachable host prints `UNREACHABLE! => {...}` and exits 4; a bad module is caught before any host', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-adhoc-'))
    const ghost = join(dir, 'ghost.yml')
    writeFileSync(ghost, `all:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      ansible_user: root\n`)
    const r = await rmPlay(['all', '-i', ghost, '-m', 'ping', '-T', '3'])
    expect(r.code).to.equal(4)
    const b = jsonBlock(blocks(r.out).get('ghost')!)
    expect(b.head).to.equal('ghost | UNREACHABLE!')
    expect(b.dict).to.include({ changed: false, unreachable: true })
    expect(b.dict.msg).to.be.a('string')
    const typo = await rmPlay(['all', '-i', inv, '-m', 'pnig'])
    expect(typo.code).to.equal(1)
    expect(typo.out).to.equal('')
    expect(typo.err).to.contain("no module named 'pnig'").and.to.contain("did you mean 'ping'")
    const badArg = await rmPlay(['all', '-i', inv, '-m', 'file', '-a', 'path=/x nosuch=1'])
    expect(badArg.code).to.equal(1)
    expect(badArg.err).to.match(/-m file -a 'path=\/x nosuch=1': .*nosuch/)
    if (!withAnsible) return
    const theirs = ansible(['all', '-i', ghost, '-m', 'ping', '-T', '3'])!
    expect(theirs.code).to.equal(4)
    expect(jsonBlock(blocks(theirs.out).get('ghost')!).head).to.equal(b.head)
    expect(Object.keys(jsonBlock(blocks(theirs.out).get('ghost')!).dict).sort()).to.deep.equal(Object.keys(b.dict).sort())
  })
})
