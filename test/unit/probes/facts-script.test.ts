// The facts script reads the kernel's names and the user's name without uname and id where that is
// exact: on this machine, as other users and under personalities, it prints what the script printed
// when it ran `uname -srm` and `id -un` (that script is rebuilt below from today's), and it runs
// those programs only where it must.
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { factsProbe, UNAME_SRM, USER_NAME } from '../../../src/probes/facts.js'

/** The script as it was: uname and id for these two facts. */
function scriptBefore(): string {
  const now = factsProbe.script.text
  const before = now
    .replace(`${UNAME_SRM.text}\n`, 'u=$(uname -srm); ')
    .replace(`${USER_NAME.text}\n`, '')
    .replace('echo "user_id=$n"', 'echo "user_id=$(id -un)"')
  for (const gone of ['personality', 'nsswitch']) expect(before).to.not.include(gone)
  for (const back of ['u=$(uname -srm); r=', '"user_id=$(id -un)"']) expect(before).to.include(back)
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
    // uname and id first on PATH, each noting its run
    for (const p of ['uname', 'id']) writeFileSync(join(bin, p), `#!/bin/sh\necho ${p} >> ${runs()}\nexec /usr/bin/${p} "$@"\n`, { mode: 0o755 })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** The script's output (but the lines that move by the moment: date, free memory) and the programs it ran. */
  function run(script: string, wrap: string[]): { out: string; ran: string } {
    writeFileSync(runs(), '')
    chmodSync(runs(), 0o666)
    const out = execFileSync(wrap[0]!, [...wrap.slice(1), 'sh'], {
      input: script,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    })
    return { out: out.replace(/^(date|memfree_kb)=.*\n/gm, ''), ran: readFileSync(runs(), 'utf8') }
  }

  const cases: [string, string[], string][] = [
    ['this machine, as root', ['env'], ''],
    ['as nobody (a name in /etc/passwd after others)', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], ''],
    ['as a uid without a name (id says so)', ['setpriv', '--reuid=4242', '--regid=4242', '--clear-groups'], 'id\n'],
    ['under linux32 (uname says i686)', ['setarch', 'linux32'], 'uname\n'],
    ['under uname26 (uname says 2.6.x)', ['setarch', 'x86_64', '--uname-2.6'], 'uname\n'],
  ]
  for (const [name, wrap, ran] of cases)
    it(`${name}: the same lines as with uname and id; runs ${ran ? ran.trim() : 'neither'}`, function () {
      if (process.arch !== 'x64' || readFileSync('/proc/sys/kernel/ostype', 'utf8') !== 'Linux\n') this.skip()
      const before = run(scriptBefore(), wrap)
      const now = run(factsProbe.script.text, wrap)
      expect(now.out).to.equal(before.out)
      expect(before.ran).to.equal('uname\nid\n')
      expect(now.ran).to.equal(ran)
      expect(now.out)
        .to.match(/^user_id=/m)
        .and.to.match(/^kernel=\S+$/m)
    })
})
