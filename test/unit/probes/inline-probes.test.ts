// Probes a batch runs in its own shell instead of a subshell (Probe.inline: a fork less each):
// the path probe, the creates/removes probe and the apt probe print, byte for byte, what their scripts printed
// when every probe had a subshell (the scripts as they were are kept below as the reference), the
// same inline as in a subshell, and leave the shell as they found it (no probe sees another's
// variables, options, positional parameters, IFS, traps or directory).
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Probe } from '../../../src/contract/types.js'
import { batchScript, splitBatchOutput } from '../../../src/engine/probe-batch.js'
import { commandProbes } from '../../../src/modules/command.js'
import { aptProbe, type AptProbeOptions } from '../../../src/probes/apt.js'
import { pathProbe, type PathProbeOptions } from '../../../src/probes/files.js'
import { sharedStatVars, STAT_FORMAT } from '../../../src/probes/shared-stat.js'
import { code, quote } from '../../../src/shell/index.js'

/** The path probe's script before it ran inline (a function and one-letter variables in a subshell). */
function pathScriptBefore(path: string, o: PathProbeOptions): string {
  const limit = o.contentLimit ?? 0
  const f = quote(STAT_FORMAT)
  const { stat: st, sha1 } = sharedStatVars(path)
  const own = o.checksum ? `printf 'sum '; ${o.checksum}sum < "$p"` : ':'
  const sum = o.checksum === 'sha1' && limit === 0 ? `if [ -n "\${${sha1.text}-}" ]; then echo "sum $${sha1.text}"; else ${own}; fi` : own
  const L = o.mime === 'L'
  return [
    `p=${quote(path)}`,
    "printf 'umask '; umask",
    'if [ -e "$p" ] || [ -L "$p" ]; then',
    `  if [ -n "\${${st.text}-}" ]; then l=$${st.text}; else l=$(stat -c ${f} -- "$p"); fi && echo "lstat $l"`,
    '  if [ -L "$p" ]; then',
    '    echo "link $(readlink -- "$p" | base64 -w0)"',
    '    echo "real $(readlink -f -- "$p" | base64 -w0)"',
    `    if [ -e "$p" ]; then l=$(stat -L -c ${f} -- "$p") && echo "target $l"; fi`,
    '  fi',
    '  if [ -f "$p" ]; then',
    '    if [ ! -r "$p" ]; then echo unreadable; else :',
    limit > 0
      ? `    set -f; set -- $l; set +f; if [ "$5" -le ${limit} ]; then printf 'content '; base64 -w0 < "$p"; echo; else echo toolarge; ${sum}; fi`
      : `    ${sum}`,
    '    fi',
    '  fi',
    ...(o.access ? ['  r=0; w=0; x=0; [ -r "$p" ] && r=1; [ -w "$p" ] && w=1; [ -x "$p" ] && x=1; echo "access $r $w $x"'] : []),
    ...(o.mime
      ? [
          `  if command -v file >/dev/null 2>&1; then echo "mime $(file -b --mime${L ? ' -L' : ''} -- "$p" 2>/dev/null)"; fi`,
          `  if ${L ? '[ -e "$p" ]' : '[ ! -L "$p" ]'} && command -v lsattr >/dev/null 2>&1; then a=$(lsattr -d -- "$p" 2>/dev/null) && echo "attrs $a"; fi`,
        ]
      : []),
    'fi',
    'q=$p; while [ "$q" != / ] && [ "${q%/}" != "$q" ]; do q=${q%/}; done',
    'up() { case "$1" in */*) u=${1%/*}; [ -n "$u" ] || u=/ ;; *) u=. ;; esac; }',
    'up "$q"; d=$u',
    'if [ -d "$d" ]; then echo "parent directory"; elif [ -e "$d" ]; then echo "parent other"; else echo "parent missing"; fi',
    'a=$q; while [ ! -e "$a" ] && [ ! -L "$a" ] && [ "$a" != / ] && [ "$a" != . ]; do up "$a"; a=$u; done',
    `printf 'ancestor %s\\n' "$a"`,
    'if [ -d "$a" ]; then echo "ancestordir 1"; else echo "ancestordir 0"; fi',
  ].join('\n')
}

/** The creates/removes probe's script before it ran inline. */
const existsScriptBefore = (path: string) => `p=${quote(path)}; IFS=''; for f in $p; do [ -e "$f" ] && exit 0; done; exit 1`

/** The apt probe's script before it ran inline (one-letter variables, `unset IFS`, `exit 0`). */
function aptScriptBefore(o: AptProbeOptions): string {
  const names = o.names.map(quote).join(' ')
  const policy = `apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=${o.defaultRelease ? ` -t ${quote(o.defaultRelease)}` : ''} policy -- ${names} 2>/dev/null`
  return [
    'echo @@head',
    ...(o.now ? ['echo "now=$(date +%s)"'] : []),
    't=0',
    'set -- /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.* /var/lib/apt/lists/*InRelease /var/lib/apt/lists/*_Release',
    'for m in $(stat -c %Y -- "$@" 2>/dev/null); do [ "$m" -gt "$t" ] && t=$m; done',
    'echo "cache_time=$t"',
    'n=0; for f in /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.*; do [ -f "$f" ] && n=$((n+1)); done; echo "lists=$n"',
    'echo @@dpkg',
    ...(o.names.length
      ? [
          `d=$(dpkg-query -W -f='\${Package}\\t\${Architecture}\\t\${db:Status-Abbrev}\\t\${Version}\\n' -- ${names} 2>/dev/null)`,
          `printf '%s\\n' "$d"`,
          'echo @@policy',
          o.candidatesOfInstalled
            ? policy
            : `i=0; IFS='\n'; for l in $d; do case "$l" in *'\tii '*) i=$((i+1)) ;; esac; done; unset IFS; [ "$i" -ge ${o.names.length} ] || ${policy}`,
        ]
      : ['echo @@policy']),
    ...(o.deb ? ['echo @@deb', `if [ -f ${quote(o.deb)} ]; then dpkg-deb -f ${quote(o.deb)} Package Version Architecture; else echo missing; fi`] : []),
    'echo @@end',
    'exit 0',
  ].join('\n')
}

/** Runs a script with sh in dir (the script on its stdin, as the framed shell gets it): its stdout and exit code. */
function run(script: string, cwd: string): { stdout: string; code: number } {
  try {
    return { stdout: execFileSync('sh', [], { cwd, input: script, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 1 << 26 }), code: 0 }
  } catch (e) {
    const err = e as { stdout: string; status: number }
    return { stdout: err.stdout, code: err.status }
  }
}

/** What a shell holds that a probe could leave behind: variables, options, traps, arguments, directory, umask. */
const SHELL_STATE = '{ set; set +o; trap; echo "$# $*"; pwd; umask; }'

describe('probes run inline in a batch', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmp-inline-'))
    for (const [i, f] of ['plain', 'a b', 'new\nline', '-dash', "quo'te", 'empty', 'big', 'locked'].entries())
      writeFileSync(join(dir, f), f === 'empty' ? '' : f === 'big' ? 'x'.repeat(300) : `content ${i}\n`)
    chmodSync(join(dir, 'locked'), 0o000)
    mkdirSync(join(dir, 'sub'))
    symlinkSync('plain', join(dir, 'link'))
    symlinkSync('sub', join(dir, 'linkdir'))
    symlinkSync('nowhere', join(dir, 'dangling'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    // atime ahead of mtime: reading a file leaves its atime as it is (relatime), so every run sees the same
    const later = Date.now() / 1000 + 3600
    for (const f of ['plain', 'a b', 'new\nline', '-dash', "quo'te", 'empty', 'big', 'locked', 'sub', 'fifo']) utimesSync(join(dir, f), later, later - 7200)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const names = ['plain', 'a b', 'new\nline', '-dash', "quo'te", 'empty', 'big', 'locked', 'sub', 'sub/', 'sub//', 'link', 'linkdir/', 'dangling', 'fifo']
  const paths = () => [
    ...names.map((n) => join(dir, n)),
    ...['missing', 'nodir/missing', 'nodir/a/b/', 'plain/under'].map((n) => join(dir, n)),
    ...['/', '/rmp-no-such-dir/x', '.', '', 'rel', 'rel/x/', './plain', 'sub/../plain'],
  ]
  const variants: PathProbeOptions[] = [
    {},
    { checksum: 'sha1' },
    { checksum: 'sha1', contentLimit: 100 },
    { contentLimit: 1 },
    { checksum: 'sha256', contentLimit: 1024 },
    { checksum: 'md5', access: true, mime: 'P' },
    { checksum: 'sha1', access: true, mime: 'L' },
  ]
  const globs = () => ['plain', '*', 'nomatch*', 'a b', 'missing', 'dangl*', '[', 'new?line', 'sub/*', 'sub/'].map((g) => join(dir, g))
  const existsProbe = (g: string) => commandProbes({ creates: g } as Parameters<typeof commandProbes>[0]).creates!

  it('a path probe prints, byte for byte, what its script printed before it ran inline', () => {
    for (const o of variants)
      for (const path of paths()) {
        const p = pathProbe(path, o)
        expect(p.inline, p.id).to.not.equal(undefined)
        expect(run(`( ${p.script.text}\n)`, dir), `${p.id} ${JSON.stringify(o)}`).to.deep.equal(run(`( ${pathScriptBefore(path, o)}\n)`, dir))
      }
  })

  it('a creates/removes probe exits as its script did before it ran inline (0: a match exists)', () => {
    const codes = globs().map((g) => {
      const p = existsProbe(g)
      expect(p.inline, p.id).to.not.equal(undefined)
      const before = run(`( ${existsScriptBefore(g)}\n)`, dir)
      expect(run(`( ${p.script.text}\n)`, dir), g).to.deep.equal(before)
      return before.code
    })
    expect(codes).to.deep.equal([0, 0, 1, 0, 1, 1, 1, 0, 1, 0])
  })

  const aptVariants: AptProbeOptions[] = [
    { names: ['dpkg', 'coreutils'] },
    { names: ['dpkg', 'rmp-no-such-package'], now: true },
    { names: ['dpkg'], candidatesOfInstalled: true },
    { names: ['bash'], defaultRelease: 'bookworm' },
    { names: [], deb: '/rmp-no-such.deb' },
  ]

  it('an apt probe prints, byte for byte, what its script printed before it ran inline', function () {
    if (!existsSync('/usr/bin/dpkg-query')) this.skip()
    for (const o of aptVariants) {
      const p = aptProbe(o)
      expect(p.inline, p.id).to.not.equal(undefined)
      const before = run(`( ${aptScriptBefore(o)}\n)`, dir)
      expect(before.stdout, p.id).to.match(/^@@end$/m)
      const now = run(`( ${p.script.text}\n)`, dir)
      expect(now.code, p.id).to.equal(before.code)
      expect(now.stdout.replace(/^now=\d+$/m, 'now=T'), p.id).to.equal(before.stdout.replace(/^now=\d+$/m, 'now=T'))
    }
  })

  it('in a batch, each inline probe prints what it prints in a subshell, and a later probe sees the same shell', () => {
    // the last probe prints every variable, option and argument it sees
    const spy: Probe = { id: 'spy', script: code(SHELL_STATE), parse: () => undefined }
    const probes: Probe[] = [
      ...variants.flatMap((o) => paths().map((path) => pathProbe(path, o))),
      ...globs().map(existsProbe),
      ...aptVariants.map(aptProbe),
      spy,
    ]
    const inSubshells = probes.map(({ inline: _inline, ...p }) => p)
    expect(batchScript(probes, 'tok').text).to.not.match(/^\( rmp_path=/m)
    expect(batchScript(inSubshells, 'tok').text).to.not.match(/^\{ rmp_path=/m)
    const inline = splitBatchOutput(run(batchScript(probes, 'tok').text, dir).stdout, probes.length, 'tok')
    const subshells = splitBatchOutput(run(batchScript(inSubshells, 'tok').text, dir).stdout, probes.length, 'tok')
    for (const [i, p] of probes.entries()) {
      expect(inline[i]!.code, p.id).to.not.equal(-1)
      // (the apt probe's clock may tick between the two batches)
      const clockless = (o: { stdout: string; code: number }) => ({ ...o, stdout: o.stdout.replace(/^now=\d+$/m, 'now=T') })
      expect(clockless(inline[i]!), p.id).to.deep.equal(clockless(subshells[i]!))
    }
  })

  it('an inline probe leaves the shell as it found it, once the batch unset its variables', () => {
    const probes: Probe[] = [...variants.flatMap((o) => paths().map((path) => pathProbe(path, o))), ...globs().map(existsProbe), ...aptVariants.map(aptProbe)]
    for (const p of probes) {
      const unset = p.inline!.sets.length ? `unset ${p.inline!.sets.join(' ')}` : ':'
      const script = `${SHELL_STATE} > before; { ${p.script.text}\n} >/dev/null 2>&1 </dev/null; ${unset}; ${SHELL_STATE} > after; cmp -s before after && echo same; rm -f before after`
      expect(run(script, dir).stdout, p.id).to.equal('same\n')
      expect(p.script.text, p.id).to.not.match(/\(\)\s*\{|\bexit\b|\bcd\b|\breturn\b/)
    }
  })
})
