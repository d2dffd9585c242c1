// The facts script reads the kernel's names and the user's name without uname and id where that is
// exact, and the route and addresses with one ip: on this machine, as other users, under
// personalities and with an ip that has no -batch, it prints what the script printed when it ran
// `uname -srm`, `id -un` and two ips (that script is rebuilt below from today's), and it runs those
// programs only where it must.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADDRESSES_START, factsProbe, ROUTES, UNAME_SRM, USER_NAME } from '../../../src/probes/facts.js'

/** The script as it was: uname and id for these facts, an ip each for the route and the addresses. */
function scriptBefore(): string {
  const before = factsProbe.script.text
    .replace(`${UNAME_SRM.text}\n`, 'u=$(uname -srm); ')
    .replace(`${USER_NAME.text}\n`, '')
    .replace('echo "user_id=$n"', 'echo "user_id=$(id -un)"')
    .replace(ROUTES.text, '{ ip -4 route get 1.1.1.1; echo @; ip -4 -o addr show scope global; } 2>/dev/null')
    .replace(`${ADDRESSES_START.text}\n`, '')
  for (const gone of ['personality', 'nsswitch', '-batch', '[0-9]+: ']) expect(before).to.not.include(gone)
  for (const back of ['u=$(uname -srm); r=', '"user_id=$(id -un)"', '{ ip -4 route get 1.1.1.1; echo @; ip']) expect(before).to.include(back)
  return before
}

describe('probes/facts script', () => {
  let dir: string
  let bin: string
  const runs = () => join(dir, 'runs')
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-facts-'))
    chmodSync(dir, 0o755)
    bin = join(dir, 'bin')
    mkdirSync(bin)
    // uname, id and ip first on PATH, each noting its run (an ip told so fails -batch, as busybox's)
    for (const p of ['uname', 'id']) writeFileSync(join(bin, p), `#!/bin/sh\necho ${p} >> ${runs()}\nexec /usr/bin/${p} "$@"\n`, { mode: 0o755 })
    const ip = `#!/bin/sh\necho ip >> ${runs()}\ncase "$RMP_TEST_IP:$*" in old:*-batch*) exit 1 ;; esac\nexec /usr/sbin/ip "$@"\n`
    writeFileSync(join(bin, 'ip'), ip, { mode: 0o755 })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** The script's output (but the lines that move by the moment: date, free memory) and the programs it ran. */
  function run(script: string, wrap: string[], oldIp: boolean): { out: string; ran: string } {
    writeFileSync(runs(), '')
    chmodSync(runs(), 0o666)
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, RMP_TEST_IP: oldIp ? 'old' : '' }
    const out = execFileSync(wrap[0]!, [...wrap.slice(1), 'sh'], { input: script, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], env })
    return { out: out.replace(/^(date|memfree_kb)=.*\n/gm, ''), ran: readFileSync(runs(), 'utf8') }
  }

  const cases: [string, string[], string, boolean?][] = [
    ['this machine, as root', ['env'], 'ip'],
    ['as nobody (a name in /etc/passwd after others)', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], 'ip'],
    ['as a uid without a name (id says so)', ['setpriv', '--reuid=4242', '--regid=4242', '--clear-groups'], 'ip id'],
    ['under linux32 (uname says i686)', ['setarch', 'linux32'], 'ip uname'],
    ['under uname26 (uname says 2.6.x)', ['setarch', 'x86_64', '--uname-2.6'], 'ip uname'],
    ['with an ip without -batch (busybox)', ['env'], 'ip ip ip', true],
  ]
  for (const [name, wrap, ran, oldIp = false] of cases)
    it(`${name}: the same lines as with uname, id and two ips; runs ${ran}`, function () {
      if (process.arch !== 'x64' || readFileSync('/proc/sys/kernel/ostype', 'utf8') !== 'Linux\n') this.skip()
      const before = run(scriptBefore(), wrap, oldIp)
      const now = run(factsProbe.script.text, wrap, oldIp)
      expect(now.out).to.equal(before.out)
      expect(before.ran).to.equal('ip\nip\nuname\nid\n')
      expect(now.ran).to.equal(`${ran.replaceAll(' ', '\n')}\n`)
      for (const line of [/^user_id=/m, /^kernel=\S+$/m, /^ipv4=/m, /^ipv4_dev=/m, /^ipv4_all=/m]) expect(now.out).to.match(line)
    })
})
